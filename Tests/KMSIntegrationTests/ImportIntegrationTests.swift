import Foundation
import XCTest
import KMSCore
import KMSCrypto
import KMSStorage
@testable import KMSAPI
@testable import KMSService
import KMSHTTP

/// BYOK through the real service and database with a clock the test controls: token expiry,
/// material expiry to the second, purge of expired parameters, and races.
final class ImportIntegrationTests: XCTestCase {
    let t0: Int64 = 1_900_000_000

    func externalKey(_ h: ServiceHarness, _ account: IssuedCredential) -> String {
        let created = h.call("CreateKey", ["Alias": .string("ext\(UInt32.random(in: 0...UInt32.max))"), "Type": 2], as: account)
        XCTAssertNil(ServiceHarness.errorCode(created))
        return ServiceHarness.string(created, "KeyId")
    }

    /// Fresh parameters and `material` wrapped for them (RSA-OAEP-SHA256).
    func wrapped(_ h: ServiceHarness, _ account: IssuedCredential, _ keyId: String, _ material: SecureBytes) throws -> (token: String, blob: String) {
        let params = h.call("GetParametersForImport", ["KeyId": .string(keyId), "WrappingAlgorithm": "RSAES_OAEP_SHA_256",
                                                       "WrappingKeySpec": "RSA_2048"], as: account)
        XCTAssertNil(ServiceHarness.errorCode(params))
        let spki = Base64.decode(ServiceHarness.string(params, "PublicKey")) ?? []
        let wrapped = try PublicKey(spkiDER: spki).encrypt(material, algorithm: .rsaesOAEPSHA256)
        return (ServiceHarness.string(params, "ImportToken"), Base64.encode(wrapped))
    }

    func importMaterial(_ h: ServiceHarness, _ account: IssuedCredential, _ keyId: String, _ w: (token: String, blob: String),
                        validTo: Int64 = 0, database: Database? = nil) -> String? {
        ServiceHarness.errorCode(h.call("ImportKeyMaterial", [
            "KeyId": .string(keyId), "ImportToken": .string(w.token), "EncryptedKeyMaterial": .string(w.blob), "ValidTo": .int(validTo),
        ], as: account, database: database))
    }

    func testTokenWorksUntilItsValidToAndIsThenTokenExpired() throws {
        let clock = TestClock(t0)
        let h = try ServiceHarness(clock: clock)
        let account = try h.newAccount()
        let material = Random.secret(32)
        let late = externalKey(h, account), lastSecond = externalKey(h, account)
        let lateParams = try wrapped(h, account, late, material)
        let lastParams = try wrapped(h, account, lastSecond, material)
        clock.set(t0 + ImportRules.parametersLifetime - 1)
        XCTAssertNil(importMaterial(h, account, lastSecond, lastParams))
        clock.set(t0 + ImportRules.parametersLifetime)
        XCTAssertEqual(importMaterial(h, account, late, lateParams), "ResourceUnavailable.TokenExpired")
    }

    func testMaterialExpiresAtValidToAndTheWorkerDestroysItThenNotBefore() throws {
        let clock = TestClock(t0)
        let h = try ServiceHarness(clock: clock)
        let worker = h.worker(try h.appConnection())
        let account = try h.newAccount()
        let keyId = externalKey(h, account)
        let material = Random.secret(32)
        XCTAssertNil(importMaterial(h, account, keyId, try wrapped(h, account, keyId, material), validTo: t0 + 100))
        let plaintext = Base64.encode(Array("secret".utf8))
        let blob = ServiceHarness.string(h.call("Encrypt", ["KeyId": .string(keyId), "Plaintext": .string(plaintext)], as: account), "CiphertextBlob")

        clock.set(t0 + 99)
        worker.runDueJobs()
        XCTAssertNil(ServiceHarness.errorCode(h.call("Encrypt", ["KeyId": .string(keyId), "Plaintext": .string(plaintext)], as: account)))
        XCTAssertEqual(h.call("DescribeKey", ["KeyId": .string(keyId)], as: account)["KeyMetadata"]?["ValidTo"], .int(t0 + 100))

        // At ValidTo the material is refused at once, before the worker has run.
        clock.set(t0 + 100)
        XCTAssertEqual(ServiceHarness.errorCode(h.call("Encrypt", ["KeyId": .string(keyId), "Plaintext": .string(plaintext)], as: account)),
                       "ResourceUnavailable.CmkStateNotSupport")
        XCTAssertEqual(ServiceHarness.errorCode(h.call("Decrypt", ["CiphertextBlob": .string(blob)], as: account)),
                       "ResourceUnavailable.CmkStateNotSupport")
        XCTAssertEqual(h.call("DescribeKey", ["KeyId": .string(keyId)], as: account)["KeyMetadata"]?["KeyState"], "PendingImport")

        // The worker destroys it: the sealed material row is gone.
        XCTAssertEqual(worker.runDueJobs(), 1)
        let tenant = Tenant(appId: account.appId, region: "ap-guangzhou")
        let stored = try h.database.transaction(tenant: tenant) {
            try $0.run(FindKeyWithMaterial(tenant: tenant, keyID: KeyID(keyId)!, version: 1))
        }
        XCTAssertNil(stored?.sealed)
        XCTAssertEqual(stored?.key.state, .pendingImport)
        XCTAssertEqual(stored?.key.validTo, 0)

        // The same material, imported again, brings the old ciphertext back.
        XCTAssertNil(importMaterial(h, account, keyId, try wrapped(h, account, keyId, material)))
        XCTAssertEqual(h.call("Decrypt", ["CiphertextBlob": .string(blob)], as: account)["Plaintext"], .string(plaintext))
    }

    func testExpiredParametersAreWipedThenForgotten() throws {
        let clock = TestClock(t0)
        let h = try ServiceHarness(clock: clock)
        let worker = h.worker(h.database)
        let account = try h.newAccount()
        let keyId = externalKey(h, account)
        let params = try wrapped(h, account, keyId, Random.secret(32))
        let tenant = Tenant(appId: account.appId, region: "ap-guangzhou")
        let hash = Digest.sha256(Array(params.token.utf8))
        func stored() throws -> ImportParametersRow? {
            try h.database.transaction(tenant: tenant) { try $0.run(FindImportParameters(tenant: tenant, tokenHash: hash)) }
        }
        clock.set(t0 + ImportRules.parametersLifetime)
        worker.runDueJobs()
        XCTAssertEqual(try stored()?.privateKeySealed, [], "the private key is wiped at expiry")
        XCTAssertEqual(importMaterial(h, account, keyId, params), "ResourceUnavailable.TokenExpired")
        clock.set(t0 + ImportRules.parametersLifetime + ImportRules.tombstoneSeconds)
        worker.runDueJobs()
        XCTAssertNil(try stored())
        XCTAssertEqual(importMaterial(h, account, keyId, params), "InvalidParameterValue")
    }

    func testARefusedRequestGivesItsWrappingPairBackForTheNextOne() throws {
        let h = try ServiceHarness(clock: TestClock(t0))
        let account = try h.newAccount()
        // The harness never starts the pool: a pair is made on the request and nothing refills it.
        let pool = h.service.operations.wrappingKeys
        func ready() -> Int? { pool.sizes.first { $0.spec == .rsa2048 }?.ready }
        let params: [(String, JSONValue)] = [("WrappingAlgorithm", "RSAES_OAEP_SHA_256"), ("WrappingKeySpec", "RSA_2048")]
        let notExternal = ServiceHarness.string(h.call("CreateKey", ["Alias": "not-external"], as: account), "KeyId")
        let refused = h.call("GetParametersForImport", .object([("KeyId", .string(notExternal))] + params), as: account)
        XCTAssertEqual(ServiceHarness.errorCode(refused), "UnsupportedOperation.NotExternalCmk")
        XCTAssertEqual(ready(), 1, "the pair taken for the refused request is back in the pool")
        let issued = h.call("GetParametersForImport", .object([("KeyId", .string(externalKey(h, account)))] + params), as: account)
        XCTAssertNil(ServiceHarness.errorCode(issued))
        XCTAssertEqual(ready(), 0, "the next request got it")
    }

    func testParametersPerKeyAreBoundedByEvictingTheOldest() throws {
        let clock = TestClock(t0)
        let h = try ServiceHarness(clock: clock)
        let account = try h.newAccount()
        let keyId = externalKey(h, account)
        let material = Random.secret(32)
        var all: [(token: String, blob: String)] = []
        for i in 0..<(ImportRules.maximumParametersPerKey + 2) {
            clock.set(t0 + Int64(i))
            all.append(try wrapped(h, account, keyId, material))
        }
        let tenant = Tenant(appId: account.appId, region: "ap-guangzhou")
        let live = try h.database.transaction(tenant: tenant) {
            try $0.run(CountLiveImportParameters(tenant: tenant, keyID: KeyID(keyId)!, now: clock.now))
        }
        XCTAssertEqual(live.forKey, ImportRules.maximumParametersPerKey)
        XCTAssertEqual(importMaterial(h, account, keyId, all[0]), "InvalidParameterValue", "the oldest was evicted")
        XCTAssertNil(importMaterial(h, account, keyId, all.last!))
    }

    func testRacingImportsOfDifferentMaterialLetExactlyOneWin() throws {
        let clock = TestClock(t0)
        let h = try ServiceHarness(clock: clock)
        let url = ServiceHarness.env["KMS_TEST_DATABASE_URL"]!.replacingOccurrences(of: "user=kms_owner", with: "user=kms_app")
        for sameMaterial in [false, true] {
            let account = try h.newAccount()
            let keyId = externalKey(h, account)
            let first = Random.secret(32)
            let second = sameMaterial ? first : Random.secret(32)
            let attempts = [try wrapped(h, account, keyId, first), try wrapped(h, account, keyId, second)]
            let connections = [try Database(conninfo: url), try Database(conninfo: url)]
            var results = [String?](repeating: "not run", count: 2)
            let lock = NSLock()
            DispatchQueue.concurrentPerform(iterations: 2) { i in
                let code = importMaterial(h, account, keyId, attempts[i], database: connections[i])
                lock.lock(); results[i] = code; lock.unlock()
            }
            if sameMaterial {
                XCTAssertEqual(results, [nil, nil])
            } else {
                XCTAssertEqual(results.filter { $0 == nil }.count, 1, "\(results)")
                XCTAssertEqual(results.filter { $0 == "InvalidParameterValue.MaterialNotMatch" }.count, 1, "\(results)")
            }
        }
    }

    func testSeveralWorkersRacingDoEachJobOnce() throws {
        let clock = TestClock(t0)
        let h = try ServiceHarness(clock: clock)
        let account = try h.newAccount()
        let keys = (0..<12).map { _ in externalKey(h, account) }
        for keyId in keys {
            XCTAssertNil(importMaterial(h, account, keyId, try wrapped(h, account, keyId, Random.secret(32)), validTo: t0 + 50))
        }
        clock.set(t0 + 50)
        let url = ServiceHarness.env["KMS_TEST_DATABASE_URL"]!.replacingOccurrences(of: "user=kms_owner", with: "user=kms_app")
        let workers = try (0..<3).map { _ in h.worker(try Database(conninfo: url)) }
        var done = [Int](repeating: 0, count: workers.count)
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: workers.count) { i in
            let n = workers[i].runDueJobs()
            lock.lock(); done[i] = n; lock.unlock()
        }
        // Other tests' jobs may be due at this time too; ours are 12 and none is done twice.
        XCTAssertGreaterThanOrEqual(done.reduce(0, +), keys.count)
        XCTAssertEqual(workers.map { $0.runDueJobs() }.reduce(0, +), 0, "nothing is left or done again")
        for keyId in keys {
            XCTAssertEqual(h.call("DescribeKey", ["KeyId": .string(keyId)], as: account)["KeyMetadata"]?["ValidTo"], .int(0))
        }
    }
}
