import Foundation
import XCTest
import KMSCore
import KMSCrypto
import KMSStorage
@testable import KMSAPI
@testable import KMSService

/// The hosted data key in the audit trail, against PostgreSQL: a data-key request's record names
/// the data key beside its CMK through both insert paths (the action's own transaction and the
/// batched COPY), reads back as written, is found by the data-key filter of `kmsctl audit tail`,
/// verifies in its chain (and stops verifying when the data key is edited), and survives the
/// archive file's JSON, which the offline verifier checks.
final class AuditDataKeyIntegrationTests: XCTestCase {
    func rows(_ h: ServiceHarness, requestIds: [String]) throws -> [String: ChainedAuditRecord] {
        let found = try h.owner.run(ListAuditRecords(limit: 1_000_000, ascending: true)).filter { requestIds.contains($0.record.requestId) }
        return Dictionary(uniqueKeysWithValues: found.map { ($0.record.requestId, $0) })
    }

    /// The chain problems of `lanes`, every record of them re-verified in order.
    func problems(_ h: ServiceHarness, lanes: Set<String>) throws -> [String] {
        var heads = AuditChainHeads()
        var found: [String] = []
        for row in try h.owner.run(ListAuditRecords(limit: 1_000_000, ascending: true)) where lanes.contains(row.lane) {
            found += heads.append(row, sealer: h.sealer)
        }
        return found
    }

    func setDataKey(_ h: ServiceHarness, seq: Int64, to value: String?) throws {
        _ = try h.owner.connection.execute(name: "t_audit_dk_\(value == nil ? "null" : "set")",
                                           sql: value == nil ? "UPDATE audit_log SET data_key_id = NULL WHERE seq = $1"
                                                             : "UPDATE audit_log SET data_key_id = $2::uuid WHERE seq = $1",
                                           parameters: value == nil ? [String(seq)] : [String(seq), value!])
    }

    func testDataKeyRequestsNameTheirDataKeyAndTheChainCoversIt() throws {
        let h = try ServiceHarness(clock: TestClock(Int64(Date().timeIntervalSince1970)))
        let account = try h.newAccount()
        let cmk = ServiceHarness.string(h.call("CreateKey", ["Alias": .string("audit-dk-\(UInt32.random(in: 0...UInt32.max))")],
                                               as: account), "KeyId")
        let generated = h.call("GenerateDataKey", ["KeyId": .string(cmk), "NumberOfBytes": .int(32), "IsHostedByKms": .int(1),
                                                   "DataKeyName": "audited"], as: account)
        XCTAssertNil(ServiceHarness.errorCode(generated), "\(generated)")
        let dataKey = ServiceHarness.string(generated, "DataKeyId")
        let plaintext = h.call("GetDataKeyPlaintext", ["DataKeyId": .string(dataKey)], as: account)
        XCTAssertNil(ServiceHarness.errorCode(plaintext), "\(plaintext)")
        let disabled = h.call("DisableDataKey", ["DataKeyId": .string(dataKey)], as: account)
        XCTAssertNil(ServiceHarness.errorCode(disabled), "\(disabled)")
        let encrypted = h.call("Encrypt", ["KeyId": .string(cmk), "Plaintext": "c2VjcmV0"], as: account)
        let missing = KeyID(random: Random.bytes(16)).description
        let unknown = h.call("DescribeDataKey", ["DataKeyId": .string(missing)], as: account)
        XCTAssertEqual(ServiceHarness.errorCode(unknown), "ResourceUnavailable.DataKeyNotFound")
        XCTAssertTrue(h.auditWriter.flush())

        let ids = [generated, plaintext, disabled, encrypted, unknown].map { ServiceHarness.string($0, "RequestId") }
        let found = try rows(h, requestIds: ids)
        XCTAssertEqual(found.count, 5)
        // The state changes (in-transaction INSERT) and the reads (batched COPY) carry the data key beside its CMK.
        for id in ids[0...2] {
            XCTAssertEqual(found[id]?.record.dataKeyID?.description, dataKey, found[id]?.record.action ?? id)
            XCTAssertEqual(found[id]?.record.keyID?.description, cmk, found[id]?.record.action ?? id)
        }
        XCTAssertEqual(found[ids[0]]?.record.action, "GenerateDataKey")
        XCTAssertEqual(found[ids[1]]?.record.action, "GetDataKeyPlaintext")
        XCTAssertNil(found[ids[3]]?.record.dataKeyID, "Encrypt names no data key")
        // A failed request still records the data key it named.
        XCTAssertEqual(found[ids[4]]?.record.dataKeyID?.description, missing)
        XCTAssertEqual(found[ids[4]]?.record.result, "ResourceUnavailable.DataKeyNotFound")
        // No plaintext in any record.
        let secret = ServiceHarness.string(plaintext, "Plaintext")
        XCTAssertFalse(secret.isEmpty)
        for row in found.values { XCTAssertFalse(String(describing: row.record).contains(secret)) }

        // `kmsctl audit tail --data-key`: exactly this data key's records, and the account filter still applies.
        let page = try h.owner.run(PageAuditRecords(appId: account.appId, keyID: nil, sinceMilliseconds: nil, limit: 100, ascending: true,
                                                    dataKeyID: KeyID(dataKey)!))
        // (Seq order, not request order: the read's record waits in the batched writer while the disable commits its own.)
        XCTAssertEqual(Set(page.map(\.record.requestId)), Set(ids[0...2]))
        XCTAssertEqual(page.map(\.seq), page.map(\.seq).sorted())
        XCTAssertEqual(try h.owner.run(PageAuditRecords(appId: account.appId + 1, keyID: nil, sinceMilliseconds: nil, limit: 100,
                                                        ascending: true, dataKeyID: KeyID(dataKey)!)).count, 0)
        let byKey = try h.owner.run(PageAuditRecords(appId: account.appId, keyID: KeyID(cmk)!, sinceMilliseconds: nil, limit: 100,
                                                     ascending: true))
        XCTAssertEqual(Set(byKey.map(\.record.requestId)).isSuperset(of: ids[0...3]), true, "--key still finds the CMK's records")

        let lanes = Set(found.values.map(\.lane))
        XCTAssertEqual(try problems(h, lanes: lanes), [])
        // Dropping the data key from a record, or naming another, breaks the chain; restoring it mends it.
        let target = found[ids[1]]!
        try setDataKey(h, seq: target.seq, to: nil)
        XCTAssertFalse(try problems(h, lanes: lanes).isEmpty, "a record stripped of its data key is detected")
        try setDataKey(h, seq: target.seq, to: missing)
        XCTAssertFalse(try problems(h, lanes: lanes).isEmpty, "a record naming another data key is detected")
        try setDataKey(h, seq: target.seq, to: dataKey)
        XCTAssertEqual(try problems(h, lanes: lanes), [])
        // Adding a data key to a record that named none is detected too.
        try setDataKey(h, seq: found[ids[3]]!.seq, to: dataKey)
        XCTAssertFalse(try problems(h, lanes: lanes).isEmpty, "a data key added to an Encrypt record is detected")
        try setDataKey(h, seq: found[ids[3]]!.seq, to: nil)
        XCTAssertEqual(try problems(h, lanes: lanes), [])
    }

    /// Records with and without a data key, chained on one lane.
    func chainedRecords(_ h: ServiceHarness, lane: AuditLane) -> (records: [AuditRecord], rows: [ChainedAuditRecord]) {
        let cmk = KeyID(random: Random.bytes(16))
        var records: [AuditRecord] = []
        for i in 0..<4 {
            let n = Int64(i)
            let named = i % 2 == 0
            let callerUin: Int64? = i == 3 ? nil : 100_000_000_001
            let dataKeyID: KeyID? = named ? KeyID(random: Random.bytes(16)) : nil
            records.append(AuditRecord(atMilliseconds: 1_700_000_000_000 + n, requestId: KeyID(random: Random.bytes(16)).description,
                                       appId: 1_300_000_000 + n, secretId: "AKIDaudit", region: "ap-guangzhou",
                                       action: named ? "GetDataKeyPlaintext" : "Encrypt", keyID: cmk, result: "Success",
                                       client: "10.0.0.\(i)", latencyMicroseconds: n * 7, callerUin: callerUin, dataKeyID: dataKeyID))
        }
        return (records, lane.chain(records).rows)
    }

    func testBothInsertPathsStoreTheDataKeyExactly() throws {
        let h = try ServiceHarness(clock: TestClock(Int64(Date().timeIntervalSince1970)))
        // The action's own transaction: InsertAuditRecords, as the responder's role.
        let inserted = AuditLane(sealer: h.sealer)
        let first = chainedRecords(h, lane: inserted)
        try h.database.transaction(tenant: nil) { try $0.run(InsertAuditRecords(first.rows)) }
        // The batched writer: COPY.
        let copied = AuditLane(sealer: h.sealer)
        let second = chainedRecords(h, lane: copied)
        try h.database.copy(AuditRecordsCopy.sql, rows: AuditRecordsCopy.rows(second.rows))

        for (lane, written) in [(inserted.id, first), (copied.id, second)] {
            let stored = try h.owner.run(ListAuditRecords(limit: 1_000_000, ascending: true)).filter { $0.lane == lane }
            XCTAssertEqual(stored.map(\.record), written.records)
            XCTAssertEqual(stored.map(\.record.dataKeyID).compactMap { $0 }.count, 2)
            XCTAssertEqual(stored.map(\.mac), written.rows.map(\.mac))
        }
        XCTAssertEqual(try problems(h, lanes: [inserted.id, copied.id]), [])
    }

    func testArchiveLinesCarryTheDataKeyOnlyWhenPresentAndVerifyOffline() throws {
        let h = try ServiceHarness(clock: TestClock(Int64(Date().timeIntervalSince1970)))
        let lane = AuditLane(sealer: h.sealer)
        let written = chainedRecords(h, lane: lane)
        try h.database.copy(AuditRecordsCopy.sql, rows: AuditRecordsCopy.rows(written.rows))
        let stored = try h.owner.run(ListAuditRecords(limit: 1_000_000, ascending: true)).filter { $0.lane == lane.id }
        XCTAssertEqual(stored.count, 4)

        // The file `kmsctl audit archive` writes: header, one line per record, trailer checkpoint.
        func archive(_ recordLines: [String]) -> [String] {
            var heads = AuditChainHeads()
            for row in stored { _ = heads.append(row, sealer: h.sealer) }
            var checkpoint = AuditCheckpoint(cutSeq: stored.last!.seq, beforeMilliseconds: 1_800_000_000_000, archived: Int64(stored.count),
                                             createdMilliseconds: 1_800_000_000_000, heads: heads.encoded,
                                             previousMAC: AuditRecord.genesisMAC, mac: [])
            checkpoint.mac = AuditChainHeads.checkpointMAC(checkpoint, sealer: h.sealer)
            let header = JSONValue.object([("Kind", .string("AuditArchive")), ("Version", .int(1)),
                                           ("BeforeMilliseconds", .int(1_800_000_000_000)), ("From", .null)])
            let trailer = JSONValue.object([("Kind", .string("Checkpoint")), ("Checkpoint", AuditArchiver.json(checkpoint))])
            return [header, trailer].map { String(decoding: $0.serialized(), as: UTF8.self) }
                .enumerated().flatMap { $0.offset == 0 ? [$0.element] + recordLines : [$0.element] }
        }
        let lines = stored.map { String(decoding: AuditArchiver.json($0).serialized(), as: UTF8.self) }
        for (row, line) in zip(stored, lines) {
            if let dataKeyID = row.record.dataKeyID {
                XCTAssertTrue(line.contains("\"DataKeyId\":\"\(dataKeyID)\""), line)
            } else {
                XCTAssertFalse(line.contains("DataKeyId"), "a line without a data key reads as before: \(line)")
            }
            XCTAssertEqual(AuditArchiver.row(try JSONValue.parse(line)), row, "the line reads back as the record")
        }
        let verifier = AuditArchiver(sealer: h.sealer)
        let intact = verifier.verifyArchive(lines: archive(lines))
        XCTAssertEqual(intact.records, 4)
        XCTAssertEqual(intact.problems, [])

        // A data key dropped from a line breaks its MAC; one that is not a data key id makes the line unreadable.
        let dataKeyLine = lines[0]
        let id = stored[0].record.dataKeyID!.description
        let stripped = dataKeyLine.replacingOccurrences(of: ",\"DataKeyId\":\"\(id)\"", with: "")
        XCTAssertNotEqual(stripped, dataKeyLine)
        XCTAssertFalse(verifier.verifyArchive(lines: archive([stripped] + lines.dropFirst())).problems.isEmpty)
        let garbled = dataKeyLine.replacingOccurrences(of: id, with: "not-a-data-key")
        XCTAssertTrue(verifier.verifyArchive(lines: archive([garbled] + lines.dropFirst())).problems
                        .contains("a record line cannot be read"))
    }
}
