import XCTest
@testable import KMSCore

final class EncryptionContextTests: XCTestCase {
    func testMemberOrderDoesNotMatter() throws {
        let a = try EncryptionContext(parameter: #"{"a":"1","b":"2"}"#)
        let b = try EncryptionContext(parameter: #"{"b":"2","a":"1"}"#)
        XCTAssertEqual(a.canonicalEncoding, b.canonicalEncoding)
    }

    func testLengthPrefixesKeepBoundariesApart() throws {
        let a = try EncryptionContext(parameter: #"{"ab":"c"}"#)
        let b = try EncryptionContext(parameter: #"{"a":"bc"}"#)
        XCTAssertNotEqual(a.canonicalEncoding, b.canonicalEncoding)
    }

    func testAbsentAndEmptyObjectAreTheSameContext() throws {
        XCTAssertEqual(try EncryptionContext(parameter: nil).canonicalEncoding, try EncryptionContext(parameter: "{}").canonicalEncoding)
        XCTAssertEqual(try EncryptionContext(parameter: "").canonicalEncoding, [0, 0, 0, 0])
    }

    func testCanonicalEncodingIsCountThenLengthPrefixedPairs() throws {
        let ctx = try EncryptionContext(parameter: #"{"k":"vv"}"#)
        XCTAssertEqual(ctx.canonicalEncoding, [0, 0, 0, 1, 0, 0, 0, 1, 0x6B, 0, 0, 0, 2, 0x76, 0x76])
    }

    func testNamesSortByUTF8Bytes() throws {
        let ctx = try EncryptionContext(parameter: #"{"é":"1","z":"2","A":"3"}"#)
        XCTAssertEqual(ctx.pairs.map(\.0), ["A", "z", "é"])
    }

    func testRejectsNonObjectsNonStringsAndOversizedText() {
        for bad in ["[]", "\"x\"", "{\"a\":1}", "{\"a\":null}", "{\"a\":{}}", "not json", "{\"a\":\"1\",\"a\":\"2\"}"] {
            XCTAssertThrowsError(try EncryptionContext(parameter: bad), bad) { error in
                XCTAssertEqual((error as? KMSError)?.code, .invalidParameterValue, bad)
            }
        }
        let big = "{\"a\":\"" + String(repeating: "x", count: 1100) + "\"}"
        XCTAssertThrowsError(try EncryptionContext(parameter: big))
    }
}
