import XCTest
@testable import KMSService
import KMSCore

/// Unauthenticated failures are folded into counted summaries (issue 10), without a database.
final class FailureSummariesTests: XCTestCase {
    func failure(_ client: String, _ result: String, action: String = "Encrypt", region: String = "ap-guangzhou", at: Int64) -> AuditRecord {
        AuditRecord(atMilliseconds: at, requestId: "r\(at)", appId: nil, secretId: nil, region: region, action: action, keyID: nil,
                    result: result, client: client, latencyMicroseconds: 10)
    }

    func testFailuresAreCountedPerSourceActionAndCodeUntilTheIntervalEnds() {
        var summaries = FailureSummaries(interval: 10_000_000_000)
        for i in 0..<1000 { summaries.add(failure("10.0.0.1", "AuthFailure.SignatureFailure", at: Int64(i)), now: 1) }
        for i in 0..<7 { summaries.add(failure("10.0.0.2", "AuthFailure.SignatureFailure", region: "r\(i)", at: Int64(i)), now: 2) }
        summaries.add(failure("10.0.0.1", "AuthFailure.SecretIdNotFound", at: 5), now: 3)
        XCTAssertEqual(summaries.drain(now: 9_000_000_000, force: false), [], "the interval has not ended")
        let records = summaries.drain(now: 10_000_000_001, force: false)
        XCTAssertEqual(records.count, 3)
        XCTAssertEqual(records.map(\.occurrences).reduce(0, +), 1008)
        let first = records.first { $0.client == "10.0.0.1" && $0.result == "AuthFailure.SignatureFailure" }!
        XCTAssertEqual(first.occurrences, 1000)
        XCTAssertEqual(first.requestId, "r0", "a summary carries its first request")
        XCTAssertEqual(records.first { $0.client == "10.0.0.2" }?.region, "*", "a region that varied")
        XCTAssertTrue(summaries.isEmpty)
    }

    func testManySourcesFoldIntoOneGroupAndKeepTheirCount() {
        var summaries = FailureSummaries(interval: 1, maximumGroups: 100)
        for i in 0..<5000 { summaries.add(failure("10.1.\(i / 256).\(i % 256)", "AuthFailure.SecretIdNotFound", at: Int64(i)), now: 0) }
        let records = summaries.drain(now: 0, force: true)
        XCTAssertEqual(records.count, 101)
        XCTAssertEqual(records.map(\.occurrences).reduce(0, +), 5000)
        XCTAssertEqual(records.first { $0.client == "*" }?.occurrences, 4900)
    }

    func testASingleRecordEncodesAsBeforeAndACountIsCoveredByTheChain() {
        let one = failure("10.0.0.1", "AuthFailure.SignatureFailure", at: 1)
        var many = one
        many.occurrences = 2
        let previous = AuditRecord.genesisMAC
        XCTAssertNotEqual(one.chainEncoding(lane: "l", laneSeq: 1, previousMAC: previous),
                          many.chainEncoding(lane: "l", laneSeq: 1, previousMAC: previous))
        // The encoding of a one-request record is the one every record had before summaries existed.
        var legacy = previous
        for field in ["l", "1", "1", "r1", "", "", "ap-guangzhou", "Encrypt", "", "AuthFailure.SignatureFailure", "10.0.0.1", "10"] {
            let n = UInt32(field.utf8.count)
            legacy += [UInt8(n >> 24), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)] + Array(field.utf8)
        }
        XCTAssertEqual(one.chainEncoding(lane: "l", laneSeq: 1, previousMAC: previous), legacy)
    }
}
