import XCTest
import KMSCore

/// The hosted data key in an audit record: covered by the chain MAC when present, tagged so a
/// record naming one never encodes like a record without, and absent from the encoding when not,
/// so every record written before data keys still verifies.
final class AuditDataKeyEncodingTests: XCTestCase {
    static let cmk = KeyID("6a1f0c3e-2b7d-4e59-8c41-0d9e7f3a5b21")!
    static let dataKey = KeyID("0f8e4d2c-9a1b-4c3d-8e5f-6a7b8c9d0e1f")!

    func record(dataKeyID: KeyID?, callerUin: Int64? = 100_000_000_001, occurrences: Int64 = 1, client: String = "10.0.0.1")
        -> AuditRecord {
        AuditRecord(atMilliseconds: 1_700_000_000_000, requestId: "r1", appId: 1_300_000_000, secretId: "AKIDx", region: "ap-guangzhou",
                    action: "GetDataKeyPlaintext", keyID: Self.cmk, result: "Success", client: client, latencyMicroseconds: 10,
                    occurrences: occurrences, callerUin: callerUin, dataKeyID: dataKeyID)
    }

    func encode(_ r: AuditRecord) -> [UInt8] { r.chainEncoding(lane: "l", laneSeq: 7, previousMAC: AuditRecord.genesisMAC) }

    /// Length-prefixed fields after the genesis MAC, as the encoding is specified.
    func golden(_ fields: [String]) -> [UInt8] {
        var out = AuditRecord.genesisMAC
        for field in fields {
            let n = UInt32(field.utf8.count)
            out += [UInt8(n >> 24), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)] + Array(field.utf8)
        }
        return out
    }

    static let before = ["l", "7", "1700000000000", "r1", "1300000000", "AKIDx", "ap-guangzhou", "GetDataKeyPlaintext",
                         cmk.description, "Success", "10.0.0.1", "10"]

    func testARecordWithoutADataKeyEncodesExactlyAsBeforeDataKeys() {
        XCTAssertEqual(encode(record(dataKeyID: nil)), golden(Self.before + ["caller_uin:100000000001"]))
        XCTAssertEqual(encode(record(dataKeyID: nil, callerUin: nil)), golden(Self.before))
    }

    func testTheDataKeyIsOneTaggedFieldAfterTheCaller() {
        XCTAssertEqual(encode(record(dataKeyID: Self.dataKey)),
                       golden(Self.before + ["caller_uin:100000000001", "data_key_id:0f8e4d2c-9a1b-4c3d-8e5f-6a7b8c9d0e1f"]))
        XCTAssertEqual(encode(record(dataKeyID: Self.dataKey, callerUin: nil)),
                       golden(Self.before + ["data_key_id:0f8e4d2c-9a1b-4c3d-8e5f-6a7b8c9d0e1f"]))
    }

    func testTheDataKeyIsCoveredAndTwoDataKeysNeverEncodeAlike() {
        let other = KeyID("0f8e4d2c-9a1b-4c3d-8e5f-6a7b8c9d0e10")!
        XCTAssertNotEqual(encode(record(dataKeyID: Self.dataKey)), encode(record(dataKeyID: other)))
        XCTAssertNotEqual(encode(record(dataKeyID: Self.dataKey)), encode(record(dataKeyID: nil)))
    }

    func testARecordWithADataKeyNeverEncodesLikeOneWithout() {
        // Every optional tail a keyless record can have (count, caller, both): none reads as the tagged data key.
        let withKey = [record(dataKeyID: Self.dataKey), record(dataKeyID: Self.dataKey, callerUin: nil)].map(encode)
        var keyless: [[UInt8]] = []
        for callerUin in [nil, Int64(100_000_000_001)] {
            for occurrences in [Int64(1), 2, 100_000_000_001] {
                keyless.append(encode(record(dataKeyID: nil, callerUin: callerUin, occurrences: occurrences)))
            }
        }
        for encoded in withKey { XCTAssertFalse(keyless.contains(encoded)) }
        // Nor can a keyless record smuggle the tag in through its last fixed field: the field count differs.
        let smuggled = record(dataKeyID: nil, callerUin: nil, client: "10.0.0.1\u{0}\u{0}\u{0}\u{2}10")
        XCTAssertNotEqual(encode(smuggled), encode(record(dataKeyID: Self.dataKey, callerUin: nil)))
    }

    func testRequestsWithoutADataKeyStoreNone() {
        XCTAssertNil(AuditRecord(atMilliseconds: 1, requestId: "r", appId: nil, secretId: nil, region: "", action: "Encrypt",
                                 keyID: Self.cmk, result: "Success", client: "c", latencyMicroseconds: 1).dataKeyID)
    }
}
