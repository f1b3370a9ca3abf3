import Foundation
import Synchronization
import XCTest
import KMSCore
import KMSCrypto
import KMSStorage
@testable import KMSAPI
@testable import KMSService

/// KMS-hosted data keys through the real service and PostgreSQL (docs/DATA_KEYS.md): the quota
/// holds under concurrent requests, the scheduled worker destroys a data key at its DeletionDate
/// and not before, a destroyed CMK takes its data keys with it, names are freed on time, and
/// row-level security keeps each tenant's data keys its own.
final class HostedDataKeyIntegrationTests: XCTestCase {
    let t0: Int64 = 1_975_000_000

    func createKey(_ h: ServiceHarness, _ account: IssuedCredential, region: String = "ap-guangzhou") -> String {
        let created = h.call("CreateKey", ["Alias": .string("d\(UInt32.random(in: 0...UInt32.max))")], as: account, region: region)
        XCTAssertNil(ServiceHarness.errorCode(created))
        return ServiceHarness.string(created, "KeyId")
    }

    func host(_ h: ServiceHarness, _ account: IssuedCredential, _ keyId: String, name: String, database: Database? = nil) -> JSONValue {
        h.call("GenerateDataKey", ["KeyId": .string(keyId), "NumberOfBytes": .int(16), "IsHostedByKms": .int(1),
                                   "DataKeyName": .string(name)], as: account, database: database)
    }

    func dataKeyCall(_ h: ServiceHarness, _ account: IssuedCredential, _ action: String, _ id: String,
                     _ extra: [(String, JSONValue)] = []) -> JSONValue {
        h.call(action, .object([("DataKeyId", .string(id))] + extra), as: account)
    }

    func testConcurrentCreationsNeverExceedTheQuota() throws {
        let limit = 5
        let h = try ServiceHarness(clock: TestClock(t0), dataKeyLimit: limit)
        let account = try h.newAccount()
        let keyId = createKey(h, account)
        let connections = try (0..<8).map { _ in try h.appConnection() }
        let codes = Mutex<[String?]>([])
        DispatchQueue.concurrentPerform(iterations: 8) { i in
            for round in 0..<2 {
                let code = ServiceHarness.errorCode(host(h, account, keyId, name: "q\(i)x\(round)", database: connections[i]))
                codes.withLock { $0.append(code) }
            }
        }
        let all = codes.withLock { $0 }
        XCTAssertEqual(all.filter { $0 == nil }.count, limit, "\(all)")
        XCTAssertEqual(Set(all.compactMap { $0 }), ["LimitExceeded.DataKeyLimitExceeded"])
        let status = h.call("GetServiceStatus", [:], as: account)
        XCTAssertEqual(status["DataKeyUsedCount"], .int(Int64(limit)))
        XCTAssertEqual(status["DataKeyLimit"], .int(Int64(limit)))
        // A PendingDelete key does not count; cancelling its deletion counts it again, if there is room.
        let listed = h.call("ListDataKeys", ["Limit": .int(1)], as: account)
        guard case let .array(keys)? = listed["DataKeys"], case let .string(first)? = keys.first?["DataKeyId"] else {
            return XCTFail("\(listed)")
        }
        XCTAssertNil(ServiceHarness.errorCode(dataKeyCall(h, account, "ScheduleDataKeyDeletion", first, [("PendingWindowInDays", .int(7))])))
        XCTAssertNil(ServiceHarness.errorCode(host(h, account, keyId, name: "refill")))
        XCTAssertEqual(ServiceHarness.errorCode(dataKeyCall(h, account, "CancelDataKeyDeletion", first)), "LimitExceeded.DataKeyLimitExceeded")
    }

    func testTheWorkerDestroysADataKeyAtItsDeletionDateAndNotBefore() throws {
        let clock = TestClock(t0)
        let h = try ServiceHarness(clock: clock)
        let account = try h.newAccount()
        let keyId = createKey(h, account)
        let id = ServiceHarness.string(host(h, account, keyId, name: "doomed"), "DataKeyId")
        let scheduled = dataKeyCall(h, account, "ScheduleDataKeyDeletion", id, [("PendingWindowInDays", .int(7))])
        XCTAssertEqual(scheduled["DeletionDate"], .int(t0 + 7 * 86_400))
        let worker = h.worker(try h.appConnection())
        clock.set(t0 + 7 * 86_400 - 1)
        worker.runDueJobs()
        XCTAssertEqual(dataKeyCall(h, account, "DescribeDataKey", id)["DataKeyMetadata"]?["KeyState"], .string("PendingDelete"))
        clock.set(t0 + 7 * 86_400)
        // Gone on arrival, before the worker has run; its name is free at once.
        XCTAssertEqual(ServiceHarness.errorCode(dataKeyCall(h, account, "DescribeDataKey", id)), "ResourceUnavailable.DataKeyNotFound")
        // (Other tests' jobs may be due at the same time: the outcome is what counts, not the number done.)
        worker.runDueJobs()
        let tenant = Tenant(appId: account.appId, region: "ap-guangzhou")
        XCTAssertNil(try h.database.transaction(tenant: tenant) { try $0.run(FindDataKey(tenant: tenant, dataKeyID: KeyID(id)!)) })
        XCTAssertEqual(try h.owner.run(ListScheduledJobs(deadOnly: false)).filter { $0.job.keyID.description == id }.count, 0)
        XCTAssertNil(ServiceHarness.errorCode(host(h, account, keyId, name: "doomed")))
    }

    func testACancelledDeletionLeavesNothingForTheWorker() throws {
        let clock = TestClock(t0)
        let h = try ServiceHarness(clock: clock)
        let account = try h.newAccount()
        let id = ServiceHarness.string(host(h, account, createKey(h, account), name: "spared"), "DataKeyId")
        XCTAssertNil(ServiceHarness.errorCode(dataKeyCall(h, account, "ScheduleDataKeyDeletion", id, [("PendingWindowInDays", .int(7))])))
        XCTAssertNil(ServiceHarness.errorCode(dataKeyCall(h, account, "CancelDataKeyDeletion", id)))
        clock.set(t0 + 8 * 86_400)
        h.worker(try h.appConnection()).runDueJobs()
        XCTAssertEqual(dataKeyCall(h, account, "DescribeDataKey", id)["DataKeyMetadata"]?["KeyState"], .string("Enabled"))
    }

    func testDestroyingTheCMKDestroysItsDataKeys() throws {
        let clock = TestClock(t0)
        let h = try ServiceHarness(clock: clock)
        let account = try h.newAccount()
        let keyId = createKey(h, account)
        let id = ServiceHarness.string(host(h, account, keyId, name: "withcmk"), "DataKeyId")
        XCTAssertNil(ServiceHarness.errorCode(h.call("DisableKey", ["KeyId": .string(keyId)], as: account)))
        XCTAssertNil(ServiceHarness.errorCode(h.call("ScheduleKeyDeletion", ["KeyId": .string(keyId), "PendingWindowInDays": .int(7)],
                                                     as: account)))
        XCTAssertEqual(ServiceHarness.errorCode(dataKeyCall(h, account, "GetDataKeyPlaintext", id)), "ResourceUnavailable.CmkStateNotSupport")
        clock.set(t0 + 7 * 86_400)
        h.worker(try h.appConnection()).runDueJobs()
        XCTAssertEqual(ServiceHarness.errorCode(h.call("DescribeKey", ["KeyId": .string(keyId)], as: account)), "ResourceUnavailable.CmkNotFound")
        XCTAssertEqual(ServiceHarness.errorCode(dataKeyCall(h, account, "DescribeDataKey", id)), "ResourceUnavailable.DataKeyNotFound")
        XCTAssertEqual(h.call("GetServiceStatus", [:], as: account)["DataKeyUsedCount"], .int(0))
    }

    /// Only values sealed under the master key are counted by the census readiness and master-key
    /// retirement rely on (columns named "sealed"): a data key's CMK envelope is not one, and
    /// counted it would name a master key that does not exist (readiness and `up` would refuse).
    func testTheMasterKeyCensusDoesNotCountDataKeys() throws {
        let h = try ServiceHarness(clock: TestClock(t0))
        let account = try h.newAccount()
        XCTAssertNil(ServiceHarness.errorCode(host(h, account, createKey(h, account), name: "census")))
        let tables = try h.owner.transaction(tenant: nil) { db -> [String] in
            try db.connection.execute(script: "SET LOCAL kms.maintenance = 'on'")
            return try db.connection.execute(name: "t_dk_census", sql: "SELECT DISTINCT table_name FROM sealed_value_census()",
                                             parameters: []).rows.map { try $0.decode(String.self, "table_name") }
        }
        XCTAssertTrue(tables.contains("key_material"), "\(tables)")
        XCTAssertFalse(tables.contains { $0.hasPrefix("data_key") }, "\(tables)")
    }

    func testRowLevelSecurityKeepsEachTenantsDataKeys() throws {
        let h = try ServiceHarness(clock: TestClock(t0))
        let a = try h.newAccount(), b = try h.newAccount()
        let id = ServiceHarness.string(host(h, a, createKey(h, a), name: "mine"), "DataKeyId")
        // Another account and another region of the same account see nothing, through the API and in SQL.
        XCTAssertEqual(ServiceHarness.errorCode(dataKeyCall(h, b, "GetDataKeyPlaintext", id)), "ResourceUnavailable.DataKeyNotFound")
        XCTAssertEqual(ServiceHarness.errorCode(h.call("DescribeDataKey", ["DataKeyId": .string(id)], as: a, region: "ap-beijing")),
                       "ResourceUnavailable.DataKeyNotFound")
        for tenant in [Tenant(appId: b.appId, region: "ap-guangzhou"), Tenant(appId: a.appId, region: "ap-beijing")] {
            let rows = try h.database.transaction(tenant: tenant) { db in
                try db.connection.execute(name: "t_dk_count", sql: "SELECT count(*) FROM data_keys", parameters: []).rows.first?
                    .decode(Int.self, "count")
            }
            XCTAssertEqual(rows, 0, "\(tenant)")
        }
        // The same name is free in another account and another region.
        XCTAssertNil(ServiceHarness.errorCode(host(h, b, createKey(h, b), name: "mine")))
        XCTAssertNil(ServiceHarness.errorCode(h.call("GenerateDataKey", [
            "KeyId": .string(createKey(h, a, region: "ap-beijing")), "NumberOfBytes": .int(16), "IsHostedByKms": .int(1),
            "DataKeyName": .string("mine")], as: a, region: "ap-beijing")))
        XCTAssertEqual(ServiceHarness.errorCode(host(h, a, createKey(h, a), name: "mine")), "InvalidParameterValue.DataKeyNameAlreadyExists")
    }

    func testTheStoredDataKeyIsTheCMKsEnvelopeNeverThePlaintext() throws {
        let h = try ServiceHarness(clock: TestClock(t0))
        let account = try h.newAccount()
        let keyId = createKey(h, account)
        let generated = h.call("GenerateDataKey", ["KeyId": .string(keyId), "NumberOfBytes": .int(32), "IsHostedByKms": .int(1),
                                                   "DataKeyName": .string("sealed"), "EncryptionContext": .string(#"{"app":"x"}"#)],
                               as: account)
        let plaintext = Base64.decode(ServiceHarness.string(generated, "Plaintext"))!
        let id = ServiceHarness.string(generated, "DataKeyId")
        let tenant = Tenant(appId: account.appId, region: "ap-guangzhou")
        let stored = try h.database.transaction(tenant: tenant) { db -> [UInt8] in
            try db.connection.execute(name: "t_dk_ciphertext", sql: "SELECT ciphertext FROM data_keys WHERE data_key_id = $1",
                                      parameters: [id]).rows[0].decode([UInt8].self, "ciphertext")
        }
        XCTAssertNil(stored.windowsContaining(plaintext))
        let envelope = try CiphertextEnvelope(bytes: stored)
        XCTAssertEqual(envelope.keyID.description, keyId)
        XCTAssertEqual(ServiceHarness.string(dataKeyCall(h, account, "GetDataKeyCiphertextBlob", id), "CiphertextBlob"), envelope.base64)
        XCTAssertEqual(ServiceHarness.string(dataKeyCall(h, account, "GetDataKeyPlaintext", id), "Plaintext"), Base64.encode(plaintext))
    }
}

private extension Array where Element == UInt8 {
    /// The first index at which `needle` occurs, or nil.
    func windowsContaining(_ needle: [UInt8]) -> Int? {
        guard needle.count <= count else { return nil }
        return (0...(count - needle.count)).first { Array(self[$0..<$0 + needle.count]) == needle }
    }
}
