import XCTest
import KMSCore

/// The caller's Uin in an audit record: covered by the chain MAC when present, absent from the
/// encoding when not, so every record written before CAM still verifies.
final class AuditCallerUinTests: XCTestCase {
    func record(callerUin: Int64?, occurrences: Int64 = 1) -> AuditRecord {
        AuditRecord(atMilliseconds: 1, requestId: "r1", appId: 1_300_000_000, secretId: "AKIDx", region: "", action: "AddUser",
                    keyID: nil, result: "Success", client: "10.0.0.1", latencyMicroseconds: 10, occurrences: occurrences,
                    callerUin: callerUin)
    }

    func testARecordWithoutACallerEncodesExactlyAsBeforeCAM() {
        var legacy = AuditRecord.genesisMAC
        for field in ["l", "1", "1", "r1", "1300000000", "AKIDx", "", "AddUser", "", "Success", "10.0.0.1", "10"] {
            let n = UInt32(field.utf8.count)
            legacy += [UInt8(n >> 24), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)] + Array(field.utf8)
        }
        XCTAssertEqual(record(callerUin: nil).chainEncoding(lane: "l", laneSeq: 1, previousMAC: AuditRecord.genesisMAC), legacy)
    }

    func testTheCallerIsCoveredAndTwoCallersNeverEncodeAlike() {
        let encode = { (r: AuditRecord) in r.chainEncoding(lane: "l", laneSeq: 1, previousMAC: AuditRecord.genesisMAC) }
        let root = encode(record(callerUin: 100_000_000_001)), sub = encode(record(callerUin: 200_000_000_001))
        XCTAssertNotEqual(root, sub)
        XCTAssertNotEqual(root, encode(record(callerUin: nil)))
        // A caller is never read as a summary's count, nor a count as a caller.
        XCTAssertNotEqual(encode(record(callerUin: 2)), encode(record(callerUin: nil, occurrences: 2)))
    }
}
