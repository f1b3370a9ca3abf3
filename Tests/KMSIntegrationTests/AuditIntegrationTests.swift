import Foundation
import XCTest
import KMSCore
import KMSCrypto
import KMSStorage
@testable import KMSAPI
@testable import KMSService
import KMSHTTP

/// The audit trail: one record per request, state changes committed with their record, and any
/// edit, insertion or deletion found by the verifier.
final class AuditIntegrationTests: XCTestCase {
    func records(_ h: ServiceHarness, requestIds: [String]) throws -> [ChainedAuditRecord] {
        try h.owner.run(ListAuditRecords(limit: 100_000, ascending: true)).filter { requestIds.contains($0.record.requestId) }
    }

    func problems(_ h: ServiceHarness) throws -> [String] {
        // Only this harness's master key chains these lanes; records of other tests' keys don't verify.
        try AuditVerifier(sealer: h.sealer).verify(h.owner).problems
    }

    func ownLanesProblems(_ h: ServiceHarness, lanes: Set<String>) throws -> [String] {
        var heads: [String: (Int64, [UInt8])] = [:]
        var found: [String] = []
        for row in try h.owner.run(ListAuditRecords(limit: 1_000_000, ascending: true)) where lanes.contains(row.lane) {
            let head = heads[row.lane] ?? (0, AuditRecord.genesisMAC)
            if row.laneSeq != head.0 + 1 { found.append("gap at \(row.seq)") }
            let mac = h.sealer.auditMAC(row.record.chainEncoding(lane: row.lane, laneSeq: row.laneSeq, previousMAC: head.1))
            if mac != row.mac { found.append("mac at \(row.seq)") }
            heads[row.lane] = (row.laneSeq, row.mac)
        }
        return found
    }

    func testEveryRequestIsRecordedAndTamperingIsDetected() throws {
        let h = try ServiceHarness(clock: TestClock(Int64(Date().timeIntervalSince1970)))
        let account = try h.newAccount()
        let created = h.call("CreateKey", ["Alias": "audited"], as: account)
        let keyId = ServiceHarness.string(created, "KeyId")
        let encrypted = h.call("Encrypt", ["KeyId": .string(keyId), "Plaintext": "c2VjcmV0"], as: account)
        let failed = h.call("DisableKey", ["KeyId": "00000000-0000-4000-8000-000000000000"], as: account)
        XCTAssertTrue(h.auditWriter.flush())
        let ids = [created, encrypted, failed].map { ServiceHarness.string($0, "RequestId") }
        let rows = try records(h, requestIds: ids)
        XCTAssertEqual(rows.count, 3)
        let byRequest = Dictionary(uniqueKeysWithValues: rows.map { ($0.record.requestId, $0.record) })
        XCTAssertEqual(byRequest[ids[0]]?.action, "CreateKey")
        XCTAssertEqual(byRequest[ids[0]]?.result, "Success")
        XCTAssertEqual(byRequest[ids[0]]?.keyID?.description, keyId)
        XCTAssertEqual(byRequest[ids[1]]?.action, "Encrypt")
        XCTAssertEqual(byRequest[ids[2]]?.result, "ResourceUnavailable.CmkNotFound")
        XCTAssertEqual(byRequest[ids[0]]?.appId, account.appId)
        // Nothing secret in a record: no plaintext, no blob.
        for row in rows {
            let text = String(describing: row.record)
            XCTAssertFalse(text.contains("c2VjcmV0"))
            XCTAssertFalse(text.contains(ServiceHarness.string(encrypted, "CiphertextBlob")))
        }
        let lanes = Set(rows.map(\.lane))
        XCTAssertEqual(try ownLanesProblems(h, lanes: lanes), [])

        // An operator edits a result.
        let target = rows.first { $0.record.requestId == ids[2] }!
        _ = try h.owner.connection.execute(name: "t_audit_edit", sql: "UPDATE audit_log SET result = 'Success' WHERE seq = $1",
                                           parameters: [String(target.seq)])
        XCTAssertFalse(try ownLanesProblems(h, lanes: lanes).isEmpty, "an edited record is detected")
        _ = try h.owner.connection.execute(name: "t_audit_restore", sql: "UPDATE audit_log SET result = $2 WHERE seq = $1",
                                           parameters: [String(target.seq), target.record.result])
        XCTAssertEqual(try ownLanesProblems(h, lanes: lanes), [])

        // Another request, then its predecessor in the lane is deleted.
        let more = h.call("Encrypt", ["KeyId": .string(keyId), "Plaintext": "c2VjcmV0"], as: account)
        XCTAssertTrue(h.auditWriter.flush())
        let writerLane = try records(h, requestIds: [ServiceHarness.string(more, "RequestId")]).first!.lane
        let encryptRow = rows.first { $0.record.requestId == ids[1] }!
        XCTAssertEqual(encryptRow.lane, writerLane, "read-only requests go through the buffered writer's lane")
        _ = try h.owner.connection.execute(name: "t_audit_delete", sql: "DELETE FROM audit_log WHERE seq = $1",
                                           parameters: [String(encryptRow.seq)])
        XCTAssertFalse(try ownLanesProblems(h, lanes: lanes.union([writerLane])).isEmpty, "a deleted record is detected")
    }

    func testBatchedRecordsSurviveCopyExactlyAndStillVerify() throws {
        let h = try ServiceHarness(clock: TestClock(Int64(Date().timeIntervalSince1970)))
        // Every character COPY's text format treats specially, and some it does not.
        let awkward = ["tab\there", "new\nline", "carriage\rreturn", "back\\slash", "\\N", "quote\"'", "密钥 ✓", "", "\\x41"]
        let lane = AuditLane(sealer: h.sealer)
        let records = awkward.enumerated().map { i, text in
            AuditRecord(atMilliseconds: 1_700_000_000_000 + Int64(i), requestId: KeyID(random: Random.bytes(16)).description,
                        appId: i % 2 == 0 ? nil : Int64(i) - 4, secretId: i % 3 == 0 ? nil : text, region: text, action: text,
                        keyID: i % 2 == 0 ? KeyID(random: Random.bytes(16)) : nil, result: text, client: text,
                        latencyMicroseconds: Int64(i) * 1_000_000_007)
        }
        let chained = lane.chain(records)
        try h.database.copy(AuditRecordsCopy.sql, rows: AuditRecordsCopy.rows(chained.rows))
        let stored = try h.owner.run(ListAuditRecords(limit: 1_000_000, ascending: true)).filter { $0.lane == lane.id }
        XCTAssertEqual(stored.map(\.record), records)
        XCTAssertEqual(stored.map(\.mac), chained.rows.map(\.mac))
        XCTAssertEqual(try ownLanesProblems(h, lanes: [lane.id]), [])
    }

    func testTheApplicationRoleCannotReadOrChangeTheTrail() throws {
        let h = try ServiceHarness(clock: TestClock(Int64(Date().timeIntervalSince1970)))
        for (name, sql) in [("t_app_read", "SELECT count(*) FROM audit_log"), ("t_app_update", "UPDATE audit_log SET result = 'x'"),
                            ("t_app_delete", "DELETE FROM audit_log")] {
            XCTAssertThrowsError(try h.database.connection.execute(name: name, sql: sql, parameters: []), name) {
                XCTAssertEqual(($0 as? StorageError)?.sqlState, "42501", name)  // insufficient_privilege
            }
        }
    }

    func testAStateChangeAndItsRecordCommitTogether() throws {
        let h = try ServiceHarness(clock: TestClock(Int64(Date().timeIntervalSince1970)))
        let account = try h.newAccount()
        let keyId = ServiceHarness.string(h.call("CreateKey", ["Alias": "together"], as: account), "KeyId")
        let disabled = h.call("DisableKey", ["KeyId": .string(keyId)], as: account)
        // Without flushing the buffered writer, the state change's record is already there.
        let rows = try records(h, requestIds: [ServiceHarness.string(disabled, "RequestId")])
        XCTAssertEqual(rows.map(\.record.action), ["DisableKey"])
        XCTAssertEqual(rows.first?.record.result, "Success")
    }
}
