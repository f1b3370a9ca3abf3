import Foundation
import XCTest
import KMSCore
import KMSStorage
@testable import KMSAPI
@testable import KMSService
import KMSHTTP

/// Deadlines hold on arrival, with no scheduled worker running at all, and RotateKey's 24 h limit
/// counts automatic rotations too (a clock the test controls).
final class DeadlineIntegrationTests: XCTestCase {
    let t0: Int64 = 1_950_000_000

    func call(_ h: ServiceHarness, _ account: IssuedCredential, _ action: String, _ params: [(String, JSONValue)]) -> String? {
        ServiceHarness.errorCode(h.call(action, .object(params), as: account))
    }

    func testAKeyIsGoneAtItsDeletionDateBeforeAnyWorkerRuns() throws {
        let clock = TestClock(t0)
        let h = try ServiceHarness(clock: clock)
        let account = try h.newAccount()
        let created = h.call("CreateKey", ["Alias": .string("d\(UInt32.random(in: 0...UInt32.max))")], as: account)
        let key: (String, JSONValue) = ("KeyId", .string(ServiceHarness.string(created, "KeyId")))
        let blob = ServiceHarness.string(h.call("Encrypt", .object([key, ("Plaintext", "aGk=")]), as: account), "CiphertextBlob")
        XCTAssertNil(call(h, account, "Encrypt", [key, ("Plaintext", "aGk=")]))  // the key is in this process's cache
        XCTAssertNil(call(h, account, "DisableKey", [key]))
        XCTAssertNil(call(h, account, "ScheduleKeyDeletion", [key, ("PendingWindowInDays", 7)]))

        clock.set(t0 + 7 * 86_400 - 1)
        XCTAssertEqual(call(h, account, "Decrypt", [("CiphertextBlob", .string(blob))]), "ResourceUnavailable.KeyPendingDelete")
        clock.set(t0 + 7 * 86_400)
        for (action, extra) in [("DescribeKey", []), ("CancelKeyDeletion", []), ("EnableKey", []), ("DisableKey", []),
                                ("GetKeyRotationStatus", []), ("Encrypt", [("Plaintext", "aGk=")])] as [(String, [(String, JSONValue)])] {
            XCTAssertEqual(call(h, account, action, [key] + extra), "ResourceUnavailable.CmkNotFound", action)
        }
        XCTAssertEqual(call(h, account, "Decrypt", [("CiphertextBlob", .string(blob))]), "ResourceUnavailable.CmkNotFound")
        XCTAssertEqual(h.call("ListKeyDetail", ["KeyState": 3], as: account)["TotalCount"], .int(0))
        XCTAssertEqual(h.call("DescribeKeys", .object([("KeyIds", .array([key.1]))]), as: account)["KeyMetadatas"], .array([]))
    }

    func testRotateKeyIsRefusedWithin24HoursOfAnAutomaticRotation() throws {
        let clock = TestClock(t0)
        let h = try ServiceHarness(clock: clock)
        let worker = h.worker(try h.appConnection())
        let account = try h.newAccount()
        let created = h.call("CreateKey", ["Alias": .string("r\(UInt32.random(in: 0...UInt32.max))")], as: account)
        let key: (String, JSONValue) = ("KeyId", .string(ServiceHarness.string(created, "KeyId")))
        XCTAssertEqual(call(h, account, "RotateKey", [key]), "UnsupportedOperation.RotateNotSupported")
        XCTAssertNil(call(h, account, "EnableKeyRotation", [key, ("RotateDays", 7)]))
        let day7 = t0 + 7 * 86_400
        clock.set(day7)
        XCTAssertGreaterThanOrEqual(worker.runDueJobs(), 1)
        clock.set(day7 + 86_399)
        XCTAssertEqual(call(h, account, "RotateKey", [key]), "RequestLimitExceeded.RotateRateLimited")
        clock.set(day7 + 86_400)
        XCTAssertNil(call(h, account, "RotateKey", [key]))
        XCTAssertEqual(call(h, account, "RotateKey", [key]), "RequestLimitExceeded.RotateRateLimited")
        // The manual rotation does not hold the automatic schedule back.
        clock.set(day7 + 7 * 86_400)
        XCTAssertGreaterThanOrEqual(worker.runDueJobs(), 1)
        XCTAssertEqual(h.call("DescribeKey", .object([key]), as: account)["KeyMetadata"]?["LastRotateTime"], .int(day7 + 7 * 86_400))
    }
}
