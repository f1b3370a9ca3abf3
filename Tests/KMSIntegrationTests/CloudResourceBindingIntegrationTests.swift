import Foundation
import XCTest
import KMSCore
import KMSCrypto
import KMSStorage
@testable import KMSAPI
@testable import KMSService
import KMSHTTP

/// BindCloudResource / UnbindCloudResource through the real service and PostgreSQL: a bound key
/// cannot be disabled, archived, scheduled for deletion or lose its material; binding cancels an
/// imported key's expiry; bindings are per tenant, bounded, and go with their key.
final class CloudResourceBindingIntegrationTests: XCTestCase {
    let t0: Int64 = 1_970_000_000

    func createKey(_ h: ServiceHarness, _ account: IssuedCredential, type: Int64 = 1) -> String {
        let created = h.call("CreateKey", ["Alias": .string("b\(UInt32.random(in: 0...UInt32.max))"), "Type": .int(type)], as: account)
        XCTAssertNil(ServiceHarness.errorCode(created))
        return ServiceHarness.string(created, "KeyId")
    }

    func call(_ h: ServiceHarness, _ account: IssuedCredential, _ action: String, _ keyId: String, product: String = "mysql",
              resource: String = "cdb-fitq5t9h") -> String? {
        ServiceHarness.errorCode(h.call(action, ["KeyId": .string(keyId), "ProductId": .string(product), "ResourceId": .string(resource)],
                                        as: account))
    }

    func keyCall(_ h: ServiceHarness, _ account: IssuedCredential, _ action: String, _ keyId: String,
                 _ extra: [(String, JSONValue)] = []) -> String? {
        ServiceHarness.errorCode(h.call(action, .object([("KeyId", .string(keyId))] + extra), as: account))
    }

    /// An EXTERNAL key with fresh material imported, expiring at `validTo`.
    func importedKey(_ h: ServiceHarness, _ account: IssuedCredential, validTo: Int64) throws -> String {
        let keyId = createKey(h, account, type: 2)
        let params = h.call("GetParametersForImport", ["KeyId": .string(keyId), "WrappingAlgorithm": "RSAES_OAEP_SHA_256",
                                                       "WrappingKeySpec": "RSA_2048"], as: account)
        let wrapped = try PublicKey(spkiDER: Base64.decode(ServiceHarness.string(params, "PublicKey")) ?? [])
            .encrypt(Random.secret(32), algorithm: .rsaesOAEPSHA256)
        XCTAssertNil(ServiceHarness.errorCode(h.call("ImportKeyMaterial", [
            "KeyId": .string(keyId), "ImportToken": .string(ServiceHarness.string(params, "ImportToken")),
            "EncryptedKeyMaterial": .string(Base64.encode(wrapped)), "ValidTo": .int(validTo)], as: account)))
        return keyId
    }

    func bindings(_ h: ServiceHarness, _ account: IssuedCredential, _ keyId: String) throws -> [CloudResourceBinding] {
        let tenant = Tenant(appId: account.appId, region: "ap-guangzhou")
        return try h.database.transaction(tenant: tenant) { try $0.run(FindCloudResourceBindings(tenant: tenant, keyID: KeyID(keyId)!)) }
    }

    func testABoundKeyRefusesEveryWayOutOfUseUntilItsLastBindingGoes() throws {
        let h = try ServiceHarness(clock: TestClock(t0))
        let account = try h.newAccount()
        let keyId = createKey(h, account)
        XCTAssertNil(call(h, account, "BindCloudResource", keyId))
        XCTAssertNil(call(h, account, "BindCloudResource", keyId), "binding twice succeeds")
        XCTAssertNil(call(h, account, "BindCloudResource", keyId, product: "cos", resource: "bucket-1"))
        XCTAssertEqual(Set(try bindings(h, account, keyId)), [CloudResourceBinding(productId: "mysql", resourceId: "cdb-fitq5t9h"),
                                                              CloudResourceBinding(productId: "cos", resourceId: "bucket-1")])

        XCTAssertEqual(keyCall(h, account, "DisableKey", keyId), "FailedOperation.CmkUsedByCloudProduct")
        XCTAssertEqual(ServiceHarness.errorCode(h.call("DisableKeys", ["KeyIds": [.string(keyId)]], as: account)),
                       "FailedOperation.CmkUsedByCloudProduct")
        XCTAssertEqual(keyCall(h, account, "ArchiveKey", keyId), "FailedOperation.CmkUsedByCloudProduct")
        // Before the state: "disable it first" would be the wrong answer for a bound key.
        XCTAssertEqual(keyCall(h, account, "ScheduleKeyDeletion", keyId, [("PendingWindowInDays", 7)]), "FailedOperation.CmkUsedByCloudProduct")
        XCTAssertEqual(h.call("DescribeKey", ["KeyId": .string(keyId)], as: account)["KeyMetadata"]?["KeyState"], "Enabled")
        // Use is unaffected.
        let encrypted = h.call("Encrypt", ["KeyId": .string(keyId), "Plaintext": "aGk="], as: account)
        XCTAssertNil(ServiceHarness.errorCode(encrypted))

        XCTAssertNil(call(h, account, "UnbindCloudResource", keyId))
        XCTAssertEqual(call(h, account, "UnbindCloudResource", keyId), "ResourceUnavailable.CloudResourceBindingNotFound")
        XCTAssertEqual(keyCall(h, account, "DisableKey", keyId), "FailedOperation.CmkUsedByCloudProduct", "one binding is left")
        XCTAssertNil(call(h, account, "UnbindCloudResource", keyId, product: "cos", resource: "bucket-1"))
        XCTAssertNil(keyCall(h, account, "DisableKey", keyId))
        XCTAssertNil(keyCall(h, account, "ScheduleKeyDeletion", keyId, [("PendingWindowInDays", 7)]))
    }

    func testOnlyAnEnabledKeyIsBoundAndUnknownBindingsAreNotFound() throws {
        let h = try ServiceHarness(clock: TestClock(t0))
        let account = try h.newAccount()
        let keyId = createKey(h, account)
        XCTAssertEqual(call(h, account, "UnbindCloudResource", keyId), "ResourceUnavailable.CloudResourceBindingNotFound")
        XCTAssertNil(keyCall(h, account, "DisableKey", keyId))
        XCTAssertEqual(call(h, account, "BindCloudResource", keyId), "ResourceUnavailable.CmkStateNotSupport")
        XCTAssertNil(keyCall(h, account, "ScheduleKeyDeletion", keyId, [("PendingWindowInDays", 7)]))
        XCTAssertEqual(call(h, account, "BindCloudResource", keyId), "ResourceUnavailable.CmkStateNotSupport")
        let external = createKey(h, account, type: 2)
        XCTAssertEqual(call(h, account, "BindCloudResource", external), "ResourceUnavailable.CmkStateNotSupport")
        XCTAssertEqual(call(h, account, "BindCloudResource", "11111111-2222-3333-4444-555555555555"), "ResourceUnavailable.CmkNotFound")
        XCTAssertEqual(call(h, account, "BindCloudResource", "not-a-key"), "InvalidParameterValue.InvalidKeyId")
        XCTAssertEqual(call(h, account, "BindCloudResource", keyId, product: "my product"), "InvalidParameter")
    }

    func testBindingsAreTheirTenantsAlone() throws {
        let h = try ServiceHarness(clock: TestClock(t0))
        let a = try h.newAccount(), b = try h.newAccount()
        let keyId = createKey(h, a)
        XCTAssertNil(call(h, a, "BindCloudResource", keyId))
        XCTAssertEqual(call(h, b, "BindCloudResource", keyId), "ResourceUnavailable.CmkNotFound")
        XCTAssertEqual(call(h, b, "UnbindCloudResource", keyId), "ResourceUnavailable.CmkNotFound")
        XCTAssertEqual(ServiceHarness.errorCode(h.call("UnbindCloudResource", ["KeyId": .string(keyId), "ProductId": "mysql",
                                                                             "ResourceId": "cdb-fitq5t9h"], as: a, region: "ap-shanghai-fsi")),
                       "ResourceUnavailable.CmkNotFound")
        let bTenant = Tenant(appId: b.appId, region: "ap-guangzhou")
        let seen = try h.database.transaction(tenant: bTenant) {
            try $0.connection.execute(name: "t_bindings_seen", sql: "SELECT count(*) FROM key_bindings WHERE key_id = $1", parameters: [keyId])
        }
        XCTAssertEqual(seen.int64(0, 0), 0)
        let maintained = try h.owner.transaction(tenant: nil) { db -> QueryResult in
            try db.run(EnterMaintenanceMode())
            return try db.connection.execute(name: "t_bindings_maint", sql: "SELECT count(*) FROM key_bindings WHERE key_id = $1",
                                             parameters: [keyId])
        }
        XCTAssertEqual(maintained.int64(0, 0), 1)
        XCTAssertEqual(try bindings(h, a, keyId).count, 1)
    }

    func testAKeyHoldsAtMostAThousandBindings() throws {
        let h = try ServiceHarness(clock: TestClock(t0))
        let account = try h.newAccount()
        let keyId = createKey(h, account)
        let tenant = Tenant(appId: account.appId, region: "ap-guangzhou")
        // 999 straight into the table (a thousand requests would only slow the test), one through the API.
        try h.database.transaction(tenant: tenant) { db in
            for i in 0..<999 {
                try db.enqueue(InsertCloudResourceBinding(tenant: tenant, keyID: KeyID(keyId)!,
                                                          binding: CloudResourceBinding(productId: "cbs", resourceId: "disk-\(i)"), createdAt: t0))
            }
        }
        XCTAssertNil(call(h, account, "BindCloudResource", keyId, product: "cbs", resource: "disk-999"))
        XCTAssertEqual(call(h, account, "BindCloudResource", keyId, product: "cbs", resource: "disk-1000"), "LimitExceeded")
        XCTAssertNil(call(h, account, "BindCloudResource", keyId, product: "cbs", resource: "disk-5"), "an existing binding is still fine")
        XCTAssertNil(call(h, account, "UnbindCloudResource", keyId, product: "cbs", resource: "disk-5"))
        XCTAssertNil(call(h, account, "BindCloudResource", keyId, product: "cbs", resource: "disk-1000"))
    }

    func testBindingCancelsAnImportedKeysExpiryAndTheWorkerLeavesItAlone() throws {
        let clock = TestClock(t0)
        let h = try ServiceHarness(clock: clock)
        let worker = h.worker(try h.appConnection())
        let account = try h.newAccount()
        let keyId = try importedKey(h, account, validTo: t0 + 100)
        // In the cache with its ValidTo: binding must drop that entry.
        XCTAssertNil(ServiceHarness.errorCode(h.call("Encrypt", ["KeyId": .string(keyId), "Plaintext": "aGk="], as: account)))
        XCTAssertNil(call(h, account, "BindCloudResource", keyId))
        XCTAssertEqual(h.call("DescribeKey", ["KeyId": .string(keyId)], as: account)["KeyMetadata"]?["ValidTo"], .int(0))

        clock.set(t0 + 1000)
        worker.runDueJobs()
        XCTAssertNil(ServiceHarness.errorCode(h.call("Encrypt", ["KeyId": .string(keyId), "Plaintext": "aGk="], as: account)))
        XCTAssertEqual(h.call("DescribeKey", ["KeyId": .string(keyId)], as: account)["KeyMetadata"]?["KeyState"], "Enabled")
        XCTAssertEqual(keyCall(h, account, "DeleteImportedKeyMaterial", keyId), "FailedOperation.CmkUsedByCloudProduct")
        XCTAssertNil(call(h, account, "UnbindCloudResource", keyId))
        XCTAssertNil(keyCall(h, account, "DeleteImportedKeyMaterial", keyId))
    }

    /// Material past its ValidTo is gone on arrival, before the worker destroys it: the key reads
    /// PendingImport and cannot be bound, so a binding never clears the ValidTo of expired material.
    func testMaterialPastItsValidToIsNotBroughtBackByABinding() throws {
        let clock = TestClock(t0)
        let h = try ServiceHarness(clock: clock)
        let account = try h.newAccount()
        let keyId = try importedKey(h, account, validTo: t0 + 100)
        clock.set(t0 + 100)  // expired; the scheduled worker has not run
        XCTAssertEqual(call(h, account, "BindCloudResource", keyId), "ResourceUnavailable.CmkStateNotSupport")
        XCTAssertEqual(h.call("DescribeKey", ["KeyId": .string(keyId)], as: account)["KeyMetadata"]?["ValidTo"], .int(t0 + 100))
        XCTAssertEqual(ServiceHarness.errorCode(h.call("Encrypt", ["KeyId": .string(keyId), "Plaintext": "aGk="], as: account)),
                       "ResourceUnavailable.CmkStateNotSupport")
    }

    func testBindingsGoWithTheirKey() throws {
        let h = try ServiceHarness(clock: TestClock(t0))
        let account = try h.newAccount()
        let keyId = createKey(h, account)
        XCTAssertNil(call(h, account, "BindCloudResource", keyId))
        let tenant = Tenant(appId: account.appId, region: "ap-guangzhou")
        // The key's row destroyed (as the scheduled deletion does): its bindings cascade with it.
        _ = try h.database.transaction(tenant: tenant) { try $0.run(DeleteKey(tenant: tenant, keyID: KeyID(keyId)!)) }
        XCTAssertEqual(try bindings(h, account, keyId), [])
    }
}
