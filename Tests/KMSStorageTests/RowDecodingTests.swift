import XCTest
import KMSCore
@testable import KMSStorage

/// Decoding by column name, on results made without a server: a NULL, a missing column or a
/// cell of another type is an error, never a default.
final class RowDecodingTests: XCTestCase {
    enum OID {
        static let bool: UInt32 = 16, bytea: UInt32 = 17, int8: UInt32 = 20, int4: UInt32 = 23, text: UInt32 = 25, uuid: UInt32 = 2950
    }

    func bigEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] { withUnsafeBytes(of: value.bigEndian) { Array($0) } }

    func testBinaryCellsDecodeByColumnName() throws {
        let id = KeyID(random: Array(repeating: 7, count: 16))
        let result = QueryResult(
            columns: [("app_id", OID.int8, true), ("version", OID.int4, true), ("material_sealed", OID.bytea, true),
                      ("key_id", OID.uuid, true), ("enabled", OID.bool, true), ("region", OID.text, true)],
            rows: [[bigEndian(Int64(1_300_000_001)), bigEndian(Int32(3)), [0, 255, 1], id.bytes, [1], Array("ap-guangzhou".utf8)]])
        let row = try XCTUnwrap(try result.singleRow())
        // Asked in another order than the columns', and twice: each name is found once per result.
        XCTAssertEqual(try row.decode(String.self, "region"), "ap-guangzhou")
        XCTAssertEqual(try row.decode(Int64.self, "app_id"), 1_300_000_001)
        XCTAssertEqual(try row.decode(UInt32.self, "version"), 3)
        XCTAssertEqual(try row.decode(Int64.self, "version"), 3)
        XCTAssertEqual(try row.decode([UInt8].self, "material_sealed"), [0, 255, 1])
        XCTAssertEqual(try row.decode(KeyID.self, "key_id"), id)
        XCTAssertEqual(try row.decode(String.self, "key_id"), id.description)
        XCTAssertEqual(try row.decode(Bool.self, "enabled"), true)
        XCTAssertEqual(try row.decode(Int64.self, "app_id"), 1_300_000_001)
    }

    func testAnUnexpectedNullThrowsAndAnExpectedOneIsNil() throws {
        let result = QueryResult(columns: [("dead_at", OID.int8, true), ("material_sealed", OID.bytea, true)], rows: [[nil, []]])
        let row = result.rows[0]
        XCTAssertThrowsError(try row.decode(Int64.self, "dead_at")) { XCTAssertTrue("\($0)".contains("NULL"), "\($0)") }
        XCTAssertNil(try row.decode(Int64?.self, "dead_at"))
        // An empty bytea is a value, not a NULL.
        XCTAssertEqual(try row.decode([UInt8].self, "material_sealed"), [])
        XCTAssertEqual(try row.decode([UInt8]?.self, "material_sealed"), [])
    }

    func testAColumnTheResultDoesNotHaveThrows() {
        let result = QueryResult(columns: [("app_id", OID.int8, true)], rows: [[bigEndian(Int64(1))]])
        XCTAssertThrowsError(try result.rows[0].decode(Int64.self, "uin"))
        XCTAssertThrowsError(try result.rows[0].decode(Int64?.self, "uin"))
    }

    func testACellOfAnotherTypeOrOutOfRangeThrows() {
        let result = QueryResult(
            columns: [("alias", OID.text, true), ("big", OID.int8, true), ("negative", OID.int4, true), ("state", OID.text, true)],
            rows: [[Array("12".utf8), bigEndian(Int64(1) << 40), bigEndian(Int32(-1)), Array("Melted".utf8)]])
        let row = result.rows[0]
        XCTAssertThrowsError(try row.decode(Int64.self, "alias"))
        XCTAssertThrowsError(try row.decode(Bool.self, "big"))
        XCTAssertThrowsError(try row.decode(String.self, "big"))
        XCTAssertThrowsError(try row.decode([UInt8].self, "alias"))
        XCTAssertThrowsError(try row.decode(UInt32.self, "big"))
        XCTAssertThrowsError(try row.decode(Int32.self, "big"))
        XCTAssertThrowsError(try row.decode(UInt32.self, "negative"))
        XCTAssertEqual(try row.decode(Int.self, "negative"), -1)
        XCTAssertThrowsError(try row.decode(KeyState.self, "state"))
        XCTAssertThrowsError(try row.decode(KeyID.self, "alias"))
    }

    func testTextFormatCellsDecodeAsWell() throws {
        let id = KeyID(random: Array(repeating: 9, count: 16))
        let result = QueryResult(
            columns: [("n", OID.int8, false), ("flag", OID.bool, false), ("b", OID.bytea, false), ("key_id", OID.uuid, false)],
            rows: [[Array("-42".utf8), Array("t".utf8), Array("\\x00ff".utf8), Array(id.description.utf8)]])
        let row = result.rows[0]
        XCTAssertEqual(try row.decode(Int64.self, "n"), -42)
        XCTAssertEqual(try row.decode(Bool.self, "flag"), true)
        XCTAssertEqual(try row.decode([UInt8].self, "b"), [0, 255])
        XCTAssertEqual(try row.decode(KeyID.self, "key_id"), id)
        // The raw accessors of ad-hoc SQL read the same cells by index.
        XCTAssertEqual(result.int64(0, 0), -42)
        XCTAssertEqual(result.string(0, 3), id.description)
    }

    func testSingleRowRefusesSeveral() {
        let result = QueryResult(columns: [("n", OID.int8, true)], rows: [[bigEndian(Int64(1))], [bigEndian(Int64(2))]])
        XCTAssertThrowsError(try result.singleRow())
        XCTAssertEqual(try result.rows.map { try $0.decode(Int64.self, "n") }, [1, 2])
        XCTAssertNil(try QueryResult(columns: [("n", OID.int8, true)], rows: []).singleRow())
    }
}
