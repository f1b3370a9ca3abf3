import Foundation
import XCTest
import KMSCore
import KMSCrypto
import KMSStorage
@testable import KMSAPI
@testable import KMSService
import KMSHTTP

/// The caches' consistency promise: a change is seen at once by the process that made it and by
/// every other process within one second. Two `Service`s over one database stand for two
/// responder processes; each has its own caches and its own invalidator.
final class CacheIntegrationTests: XCTestCase {
    func encryptCode(_ h: ServiceHarness, _ account: IssuedCredential, _ keyId: String) -> String? {
        ServiceHarness.errorCode(h.call("Encrypt", ["KeyId": .string(keyId), "Plaintext": "eA=="], as: account))
    }

    func testChangesReachTheOtherProcessWithinOneSecondAndThisOneAtOnce() throws {
        let clock = TestClock(Int64(Date().timeIntervalSince1970))
        let a = try ServiceHarness(clock: clock)
        let (b, invalidator) = try a.secondProcess()
        defer { invalidator.stop() }

        let account = try a.newAccount()
        let keyId = ServiceHarness.string(a.call("CreateKey", ["Alias": "cached"], as: account), "KeyId")
        XCTAssertNil(encryptCode(a, account, keyId))
        XCTAssertNil(encryptCode(b, account, keyId))
        XCTAssertGreaterThan(b.service.keyCache.count, 0, "process B now serves the key from its cache")

        // DisableKey in A: A refuses at once, B within a second.
        XCTAssertNil(ServiceHarness.errorCode(a.call("DisableKey", ["KeyId": .string(keyId)], as: account)))
        XCTAssertEqual(encryptCode(a, account, keyId), "ResourceUnavailable.CmkDisabled")
        XCTAssertTrue(within(seconds: 1) { encryptCode(b, account, keyId) == "ResourceUnavailable.CmkDisabled" })

        // Archive: re-enable, warm B again, archive in A.
        a.call("EnableKey", ["KeyId": .string(keyId)], as: account)
        XCTAssertTrue(within(seconds: 1) { encryptCode(b, account, keyId) == nil })
        a.call("ArchiveKey", ["KeyId": .string(keyId)], as: account)
        XCTAssertEqual(encryptCode(a, account, keyId), "ResourceUnavailable.CmkArchived")
        XCTAssertTrue(within(seconds: 1) { encryptCode(b, account, keyId) == "ResourceUnavailable.CmkArchived" })

        // Deletion by the scheduled worker (running in A's process).
        a.call("CancelKeyArchive", ["KeyId": .string(keyId)], as: account)
        a.call("DisableKey", ["KeyId": .string(keyId)], as: account)
        let blob = ServiceHarness.string(b.call("Encrypt", ["KeyId": .string(keyId), "Plaintext": "eA=="], as: account), "CiphertextBlob")
        XCTAssertEqual(blob, "", "disabled keys do not encrypt")
        a.call("ScheduleKeyDeletion", ["KeyId": .string(keyId), "PendingWindowInDays": 7], as: account)
        clock.set(clock.now + 7 * 86_400)
        a.worker(a.database).runDueJobs()
        XCTAssertTrue(within(seconds: 1) {
            ServiceHarness.errorCode(b.call("DescribeKey", ["KeyId": .string(keyId)], as: account)) == "ResourceUnavailable.CmkNotFound"
                && encryptCode(b, account, keyId) == "ResourceUnavailable.CmkNotFound"
        })
        clock.set(Int64(Date().timeIntervalSince1970))

        // A credential disabled by the admin CLI (a third process) stops working in B within a second.
        XCTAssertNil(ServiceHarness.errorCode(b.call("GenerateRandom", ["NumberOfBytes": 4], as: account)))
        XCTAssertTrue(try AccountRegistry.setCredential(account.secretId, enabled: false, database: a.owner))
        XCTAssertTrue(within(seconds: 1) {
            ServiceHarness.errorCode(b.call("GenerateRandom", ["NumberOfBytes": 4], as: account)) == "AuthFailure.SecretIdNotFound"
        })
    }

    func testExpiryNeedsNoInvalidation() throws {
        let clock = TestClock(2_000_000_000)
        let h = try ServiceHarness(clock: clock)
        let account = try h.newAccount()
        let keyId = ServiceHarness.string(h.call("CreateKey", ["Alias": "ext", "Type": 2], as: account), "KeyId")
        let params = h.call("GetParametersForImport", ["KeyId": .string(keyId), "WrappingAlgorithm": "RSAES_OAEP_SHA_256",
                                                      "WrappingKeySpec": "RSA_2048"], as: account)
        let wrapped = try PublicKey(spkiDER: Base64.decode(ServiceHarness.string(params, "PublicKey"))!)
            .encrypt(Random.secret(32), algorithm: .rsaesOAEPSHA256)
        XCTAssertNil(ServiceHarness.errorCode(h.call("ImportKeyMaterial", [
            "KeyId": .string(keyId), "ImportToken": .string(ServiceHarness.string(params, "ImportToken")),
            "EncryptedKeyMaterial": .string(Base64.encode(wrapped)), "ValidTo": .int(clock.now + 10)], as: account)))
        XCTAssertNil(encryptCode(h, account, keyId))  // cached now
        clock.set(clock.now + 10)
        XCTAssertEqual(encryptCode(h, account, keyId), "ResourceUnavailable.CmkStateNotSupport")
    }
}
