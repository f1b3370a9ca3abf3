import Foundation
import XCTest
import KMSCore
import KMSCrypto
import KMSStorage
@testable import KMSAPI
@testable import KMSService
import KMSHTTP

/// Scheduled deletion and automatic rotation, on time, with a clock the test controls.
final class LifecycleIntegrationTests: XCTestCase {
    let t0: Int64 = 1_950_000_000

    func createKey(_ h: ServiceHarness, _ account: IssuedCredential) -> String {
        let created = h.call("CreateKey", ["Alias": .string("k\(UInt32.random(in: 0...UInt32.max))")], as: account)
        XCTAssertNil(ServiceHarness.errorCode(created))
        return ServiceHarness.string(created, "KeyId")
    }

    func encrypt(_ h: ServiceHarness, _ account: IssuedCredential, _ keyId: String, _ text: String) -> String {
        ServiceHarness.string(h.call("Encrypt", ["KeyId": .string(keyId), "Plaintext": .string(Base64.encode(Array(text.utf8)))],
                                     as: account), "CiphertextBlob")
    }

    func decrypt(_ h: ServiceHarness, _ account: IssuedCredential, _ blob: String) -> JSONValue {
        h.call("Decrypt", ["CiphertextBlob": .string(blob)], as: account)
    }

    func testDeletionHappensAtTheEndOfTheWindowAndNotASecondBefore() throws {
        let clock = TestClock(t0)
        let h = try ServiceHarness(clock: clock)
        let worker = h.worker(try h.appConnection())
        let account = try h.newAccount()
        let keyId = createKey(h, account)
        let blob = encrypt(h, account, keyId, "gone soon")
        XCTAssertNil(ServiceHarness.errorCode(h.call("DisableKey", ["KeyId": .string(keyId)], as: account)))
        let scheduled = h.call("ScheduleKeyDeletion", ["KeyId": .string(keyId), "PendingWindowInDays": 7], as: account)
        let deletionDate = t0 + 7 * 86_400
        XCTAssertEqual(scheduled["DeletionDate"], .int(deletionDate))
        XCTAssertEqual(h.call("DescribeKey", ["KeyId": .string(keyId)], as: account)["KeyMetadata"]?["DeletionDate"], .int(deletionDate))

        clock.set(deletionDate - 1)
        worker.runDueJobs()
        XCTAssertEqual(h.call("DescribeKey", ["KeyId": .string(keyId)], as: account)["KeyMetadata"]?["KeyState"], "PendingDelete")
        XCTAssertEqual(ServiceHarness.errorCode(decrypt(h, account, blob)), "ResourceUnavailable.KeyPendingDelete")

        clock.set(deletionDate)
        XCTAssertGreaterThanOrEqual(worker.runDueJobs(), 1)
        XCTAssertEqual(ServiceHarness.errorCode(h.call("DescribeKey", ["KeyId": .string(keyId)], as: account)), "ResourceUnavailable.CmkNotFound")
        XCTAssertEqual(ServiceHarness.errorCode(decrypt(h, account, blob)), "ResourceUnavailable.CmkNotFound")
        // The material went with it: nothing of the key is left under its tenant.
        let tenant = Tenant(appId: account.appId, region: "ap-guangzhou")
        let left = try h.database.transaction(tenant: tenant) {
            try $0.connection.execute(name: "t_left_material", sql: "SELECT count(*) FROM key_material WHERE key_id = $1", parameters: [keyId])
        }
        XCTAssertEqual(left.int64(0, 0), 0)
    }

    func testCancelledDeletionIsNotCarriedOut() throws {
        let clock = TestClock(t0)
        let h = try ServiceHarness(clock: clock)
        let worker = h.worker(try h.appConnection())
        let account = try h.newAccount()
        let keyId = createKey(h, account)
        h.call("DisableKey", ["KeyId": .string(keyId)], as: account)
        h.call("ScheduleKeyDeletion", ["KeyId": .string(keyId), "PendingWindowInDays": 30], as: account)
        clock.set(t0 + 86_400)
        XCTAssertNil(ServiceHarness.errorCode(h.call("CancelKeyDeletion", ["KeyId": .string(keyId)], as: account)))
        clock.set(t0 + 31 * 86_400)
        worker.runDueJobs()
        let metadata = h.call("DescribeKey", ["KeyId": .string(keyId)], as: account)["KeyMetadata"]
        XCTAssertEqual(metadata?["KeyState"], "Disabled")
        XCTAssertEqual(metadata?["DeletionDate"], .int(0))
    }

    func testRotationHappensOnItsDayAndOldVersionsKeepDecrypting() throws {
        let clock = TestClock(t0)
        let h = try ServiceHarness(clock: clock)
        let worker = h.worker(try h.appConnection())
        let account = try h.newAccount()
        let keyId = createKey(h, account)
        XCTAssertNil(ServiceHarness.errorCode(h.call("EnableKeyRotation", ["KeyId": .string(keyId), "RotateDays": 7], as: account)))
        let v1 = encrypt(h, account, keyId, "one")
        let day7 = t0 + 7 * 86_400
        XCTAssertEqual(h.call("DescribeKey", ["KeyId": .string(keyId)], as: account)["KeyMetadata"]?["NextRotateTime"], .int(day7))

        clock.set(day7 - 1)
        worker.runDueJobs()
        XCTAssertEqual(try CiphertextEnvelope(base64: encrypt(h, account, keyId, "still one")).materialVersion, 1)

        clock.set(day7)
        XCTAssertGreaterThanOrEqual(worker.runDueJobs(), 1)
        let v2 = encrypt(h, account, keyId, "two")
        XCTAssertEqual(try CiphertextEnvelope(base64: v2).materialVersion, 2)
        let metadata = h.call("DescribeKey", ["KeyId": .string(keyId)], as: account)["KeyMetadata"]
        XCTAssertEqual(metadata?["LastRotateTime"], .int(day7))
        XCTAssertEqual(metadata?["NextRotateTime"], .int(day7 + 7 * 86_400))

        clock.set(day7 + 7 * 86_400)
        worker.runDueJobs()
        XCTAssertEqual(try CiphertextEnvelope(base64: encrypt(h, account, keyId, "three")).materialVersion, 3)
        XCTAssertEqual(decrypt(h, account, v1)["Plaintext"], .string(Base64.encode(Array("one".utf8))))
        XCTAssertEqual(decrypt(h, account, v2)["Plaintext"], .string(Base64.encode(Array("two".utf8))))
    }

    func testSeveralWorkersRacingRotateOnce() throws {
        let clock = TestClock(t0)
        let h = try ServiceHarness(clock: clock)
        let account = try h.newAccount()
        let keyId = createKey(h, account)
        h.call("EnableKeyRotation", ["KeyId": .string(keyId), "RotateDays": 30], as: account)
        clock.set(t0 + 30 * 86_400)
        let workers = try (0..<4).map { _ in h.worker(try h.appConnection()) }
        DispatchQueue.concurrentPerform(iterations: workers.count) { workers[$0].runDueJobs() }
        XCTAssertEqual(try CiphertextEnvelope(base64: encrypt(h, account, keyId, "x")).materialVersion, 2, "rotated exactly once")
    }
}
