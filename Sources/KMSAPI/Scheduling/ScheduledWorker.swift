import Foundation
import KMSCore
import KMSStorage

/// The one place for work the service does on time, by itself: destroying expired imported
/// material and purging expired import parameters (and, later, deletion and rotation).
///
/// Safe with several responder processes: each job is claimed with `FOR UPDATE SKIP LOCKED` in the
/// transaction that does it, so it is done exactly once. Each job runs inside its tenant's scope,
/// under the same row-level security as requests. The clock is injected so tests can stand at any time.
public final class ScheduledWorker: @unchecked Sendable {
    let database: Database
    let clock: @Sendable () -> Int64
    private let condition = NSCondition()
    private var running = false
    private var finished = true

    public init(database: Database, clock: @escaping @Sendable () -> Int64) {
        self.database = database
        self.clock = clock
    }

    /// Does every job due now; returns how many were done. Stops at the first failure (logged),
    /// so a job that keeps failing cannot spin; the next pass retries it.
    @discardableResult
    public func runDueJobs(limit: Int = 1000) -> Int {
        var done = 0
        while done < limit {
            do {
                guard try runOne() else { break }
                done += 1
            } catch {
                Log.error("scheduled work failed: \(error)")
                break
            }
        }
        return done
    }

    /// Claims and does one due job in one transaction; false when none is due.
    func runOne() throws -> Bool {
        let now = clock()
        return try database.transaction(tenant: nil) { db in
            guard let job = try db.run(ClaimDueJob(now: now)) else { return false }
            try db.scope(to: job.tenant)
            switch job.kind {
            case .expireMaterial: try expireMaterial(job, now: now, in: db)
            case .purgeImportParameters: try purgeImportParameters(job, now: now, in: db)
            }
            try db.run(FinishJob(job))
            return true
        }
    }

    /// Imported material past its ValidTo is destroyed and the key goes to PendingImport.
    /// Re-checked here: a re-import may have moved ValidTo since the job was scheduled.
    func expireMaterial(_ job: ScheduledJob, now: Int64, in db: Database) throws {
        guard var key = try db.run(FindKeyForUpdate(tenant: job.tenant, keyID: job.keyID)),
              key.origin == .external, key.currentVersion > 0, key.validTo != 0, key.validTo <= now else { return }
        if key.state != .pendingDelete { key.state = .pendingImport }
        try ImportActions.destroyMaterial(&key, tenant: job.tenant, in: db)
        Log.info("scheduled: destroyed expired material of key \(key.id) (account \(job.tenant.appId), \(job.tenant.region))")
    }

    func purgeImportParameters(_ job: ScheduledJob, now: Int64, in db: Database) throws {
        let next = try db.run(PurgeExpiredImportParameters(tenant: job.tenant, keyID: job.keyID, now: now,
                                                           tombstone: ImportActions.tombstoneSeconds))
        if let next {
            try db.run(ScheduleJob(ScheduledJob(kind: .purgeImportParameters, tenant: job.tenant, keyID: job.keyID, dueAt: next)))
            // The job row now has a new due time, so FinishJob (which matches the old one) leaves it.
        }
    }

    /// Runs `runDueJobs` every `interval` seconds on its own thread until `stop()`.
    public func start(interval: TimeInterval = 1) {
        condition.lock()
        defer { condition.unlock() }
        guard !running else { return }
        running = true
        finished = false
        let thread = Thread { [self] in
            while isRunning {
                runDueJobs()
                condition.lock()
                if running { _ = condition.wait(until: Date(timeIntervalSinceNow: interval)) }
                condition.unlock()
            }
            condition.lock()
            finished = true
            condition.broadcast()
            condition.unlock()
        }
        thread.name = "scheduled-worker"
        thread.start()
    }

    /// Stops the thread after the job in hand; returns when it has stopped.
    public func stop() {
        condition.lock()
        running = false
        condition.broadcast()
        while !finished { condition.wait() }
        condition.unlock()
    }

    private var isRunning: Bool {
        condition.lock()
        defer { condition.unlock() }
        return running
    }
}
