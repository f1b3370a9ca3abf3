import Foundation
import XCTest
import KMSCore
import KMSCrypto
import KMSStorage
@testable import KMSAPI
@testable import KMSService
import KMSHTTP

/// A scheduled job that keeps failing backs off, ends dead and listed, and never holds up the
/// other due jobs (issue 10 #5). The failure is real: a stray material row (as a half-restored
/// backup could leave) under the version the next rotation must write, so PostgreSQL refuses it.
final class ScheduledJobRetryTests: XCTestCase {
    let t0: Int64 = 2_000_000_000
    let region = "ap-guangzhou"

    func createKey(_ h: ServiceHarness, _ account: IssuedCredential) -> String {
        let created = h.call("CreateKey", ["Alias": .string("j\(UInt32.random(in: 0...UInt32.max))")], as: account)
        XCTAssertNil(ServiceHarness.errorCode(created))
        return ServiceHarness.string(created, "KeyId")
    }

    func currentVersion(_ h: ServiceHarness, _ tenant: Tenant, _ keyId: String) throws -> UInt32? {
        try h.owner.transaction(tenant: tenant) { try $0.run(FindKey(tenant: tenant, keyID: KeyID(keyId)!)) }?.currentVersion
    }

    func rotationJob(_ h: ServiceHarness, _ keyId: String, deadOnly: Bool = false) throws -> ScheduledJobListing? {
        try h.owner.run(ListScheduledJobs(deadOnly: deadOnly)).first { $0.job.keyID.description == keyId && $0.job.kind == .rotateKey }
    }

    func testFailingJobBacksOffEndsDeadAndNeverHoldsUpTheOthers() throws {
        let clock = TestClock(t0)
        let h = try ServiceHarness(clock: clock)
        let policy = JobRetryPolicy(maxAttempts: 3, firstDelay: 60, maxDelay: 600)
        let worker = ScheduledWorker(database: try h.appConnection(), sealer: h.sealer, regions: h.service.regions,
                                     keyCache: h.service.keyCache, retryPolicy: policy, clock: clock.function)
        let account = try h.newAccount()
        let tenant = Tenant(appId: account.appId, region: region)

        // The failing job is the oldest due one (the old worker stopped at it), then a rotation and a deletion.
        let broken = createKey(h, account)
        XCTAssertNil(ServiceHarness.errorCode(h.call("EnableKeyRotation", ["KeyId": .string(broken), "RotateDays": 7], as: account)))
        clock.set(t0 + 10)
        let rotating = createKey(h, account)
        XCTAssertNil(ServiceHarness.errorCode(h.call("EnableKeyRotation", ["KeyId": .string(rotating), "RotateDays": 7], as: account)))
        clock.set(t0 + 20)
        let doomed = createKey(h, account)
        XCTAssertNil(ServiceHarness.errorCode(h.call("DisableKey", ["KeyId": .string(doomed)], as: account)))
        XCTAssertNil(ServiceHarness.errorCode(h.call("ScheduleKeyDeletion", ["KeyId": .string(doomed), "PendingWindowInDays": 7], as: account)))
        try h.owner.transaction(tenant: tenant) { db in
            try db.run(InsertKeyMaterial(tenant: tenant, keyID: KeyID(broken)!, version: 2, sealed: Array(repeating: 0, count: 64), createdAt: t0))
        }

        // One pass: the broken rotation fails, the other two are done all the same.
        var now = t0 + 20 + 7 * 86_400 + 1
        clock.set(now)
        worker.runDueJobs()
        XCTAssertEqual(try currentVersion(h, tenant, rotating), 2, "the later rotation ran in the same pass")
        XCTAssertEqual(ServiceHarness.errorCode(h.call("DescribeKey", ["KeyId": .string(doomed)], as: account)),
                       "ResourceUnavailable.CmkNotFound", "the later deletion ran in the same pass")
        XCTAssertEqual(try currentVersion(h, tenant, broken), 1)
        var job = try XCTUnwrap(try rotationJob(h, broken))
        XCTAssertEqual(job.job.attempts, 1)
        XCTAssertEqual(job.notBefore, now + 60)
        XCTAssertNil(job.deadAt)
        let reason = try XCTUnwrap(job.lastError)
        XCTAssertTrue(reason.contains("23505"), reason)  // unique violation, by its SQLSTATE only
        XCTAssertFalse(reason.contains("Key ("), "PostgreSQL's detail (row values) is not recorded: \(reason)")

        // Backing off: not tried again before its time.
        clock.set(now + 59)
        worker.runDueJobs()
        XCTAssertEqual(try rotationJob(h, broken)?.job.attempts, 1)

        // Second failure doubles the wait; the third makes it dead.
        now += 60
        clock.set(now)
        worker.runDueJobs()
        job = try XCTUnwrap(try rotationJob(h, broken))
        XCTAssertEqual(job.job.attempts, 2)
        XCTAssertEqual(job.notBefore, now + 120)
        now += 120
        clock.set(now)
        worker.runDueJobs()
        job = try XCTUnwrap(try rotationJob(h, broken, deadOnly: true), "dead after 3 attempts, and listed as dead")
        XCTAssertEqual(job.job.attempts, 3)
        XCTAssertEqual(job.deadAt, now)

        // Dead means never tried again, however late it gets.
        clock.set(now + 365 * 86_400)
        worker.runDueJobs()
        XCTAssertEqual(try rotationJob(h, broken, deadOnly: true)?.job.attempts, 3)

        // An operator fixes the cause and retries it: it runs.
        _ = try h.owner.transaction(tenant: tenant) {
            try $0.connection.execute(name: "t_drop_stray_version", sql: "DELETE FROM key_material WHERE key_id = $1 AND version = 2",
                                      parameters: [broken])
        }
        XCTAssertTrue(try h.owner.run(RetryJob(id: job.job.id)))
        XCTAssertFalse(try h.owner.run(RetryJob(id: -1)))
        XCTAssertNil(try rotationJob(h, broken, deadOnly: true))
        worker.runDueJobs()
        XCTAssertEqual(try currentVersion(h, tenant, broken), 2)
        let next = try XCTUnwrap(try rotationJob(h, broken), "the next automatic rotation is scheduled")
        XCTAssertEqual(next.job.attempts, 0)
        XCTAssertNil(next.deadAt)
    }
}
