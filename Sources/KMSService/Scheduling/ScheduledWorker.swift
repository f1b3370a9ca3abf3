import Foundation
import KMSCore
import KMSCrypto
import KMSStorage
import Synchronization

/// The one place for work the service does on time, by itself: destroying expired imported
/// material and purging expired import parameters, deleting keys and rotating them, deleting
/// hosted data keys.
///
/// Safe with several responder processes: each job is claimed with `FOR UPDATE SKIP LOCKED` in the
/// transaction that does it, so it is done exactly once. Each job runs inside its tenant's scope,
/// under the same row-level security as requests. The clock is injected so tests can stand at any time.
public final class ScheduledWorker: @unchecked Sendable {
    let database: Database
    /// The same key operations the API's handlers call.
    let operations: KeyOperations
    let clock: @Sendable () -> Int64
    let retryPolicy: JobRetryPolicy
    /// After each pass: the due time of the oldest job still due (`Int64.max`: none), or
    /// `Int64.min` before the first pass that could ask the database.
    private let oldestDue = Atomic<Int64>(Int64.min)

    /// A worker on its own `database` connection; it drops what it changes from `keyCache`.
    public init(database: Database, sealer: Sealer, regions: RegionTable, keyCache: KeyCache? = nil,
                retryPolicy: JobRetryPolicy = .standard, clock: @escaping @Sendable () -> Int64) {
        self.database = database
        self.retryPolicy = retryPolicy
        self.operations = KeyOperations(sealer: sealer, regions: regions, keyCache: keyCache)
        self.clock = clock
    }

    /// Does every job due now; returns how many were done. A job that fails is recorded (attempts,
    /// back-off, reason; dead after `retryPolicy.maxAttempts`) and the pass goes on with the next, so
    /// one failing job never holds up the others. Stops when no job is due, when `limit` jobs were
    /// tried, or when not even the failure can be recorded (the database is away; the next pass retries).
    @discardableResult
    public func runDueJobs(limit: Int = 1000) -> Int {
        var done = 0, tried = 0
        while tried < limit {
            tried += 1
            var claimed: ScheduledJob? = nil
            do {
                guard try runOne(onClaim: { claimed = $0 }) else { break }
                done += 1
            } catch {
                guard let job = claimed else {
                    Log.event("scheduled_work_failed", .error, ["error": .string(Self.failureReason(error))])
                    break
                }
                guard recordFailure(of: job, error) else { break }  // logged there
            }
        }
        return done
    }

    /// Claims and does one due job in one transaction; false when none is due.
    func runOne(onClaim: (ScheduledJob) -> Void = { _ in }) throws -> Bool {
        let now = clock()
        var keys: KeyTransaction? = nil
        // Once the transaction is over, the key the job changed leaves this process's cache
        // (other processes hear of it by NOTIFY).
        defer { if let keys { operations.invalidate(keys) } }
        return try database.transaction(tenant: nil) { db in
            guard let job = try db.run(ClaimDueJob(now: now)) else { return false }
            onClaim(job)
            try db.scope(to: job.tenant)
            let tx = KeyTransaction(db: db, tenant: job.tenant, now: now)
            keys = tx
            switch job.kind {
            case .expireMaterial:
                if try operations.expireMaterial(job.keyID, in: tx) {
                    Log.event("scheduled_material_expired", .info, job.logFields)
                }
            case .purgeImportParameters:
                try operations.purgeImportParameters(job.keyID, in: tx)
            case .deleteKey:
                if try operations.destroyDeleted(job.keyID, in: tx) {
                    Log.event("scheduled_key_deleted", .info, job.logFields)
                }
            case .rotateKey:
                if let version = try operations.rotateOnSchedule(job.keyID, in: tx) {
                    Log.event("scheduled_key_rotated", .info, job.logFields + [("version", .int(Int64(version)))])
                }
            case .deleteDataKey:
                if try operations.destroyDeletedDataKey(job.keyID, in: tx) {
                    Log.event("scheduled_data_key_deleted", .info, job.logFields)
                }
            }
            try db.run(FinishJob(job))
            return true
        }
    }

    /// Records a failed attempt in its own transaction (the job's own was rolled back); false if
    /// that failed too.
    func recordFailure(of job: ScheduledJob, _ error: Error) -> Bool {
        let now = clock()
        let outcome = retryPolicy.afterFailure(attempts: job.attempts + 1, now: now)
        let reason = Self.failureReason(error)
        do {
            try database.transaction(tenant: nil) { db in
                try db.run(RecordJobFailure(job, outcome: outcome, reason: reason, now: now))
            }
        } catch {
            Log.event("scheduled_job_failure_unrecorded", .error,
                      job.logFields + [("reason", .string(reason)), ("error", .string(Self.failureReason(error)))])
            return false
        }
        let fields = job.logFields + [("attempts", .int(Int64(job.attempts + 1))), ("reason", .string(reason))]
        switch outcome {
        case .retry(let notBefore):
            Log.event("scheduled_job_retry", .warning, fields + [("max_attempts", .int(Int64(retryPolicy.maxAttempts))),
                                                                ("next_try_at", .int(notBefore))])
        case .dead:
            Log.event("scheduled_job_dead", .error, fields + [("hint", .string("kmsctl jobs list --dead; kmsctl jobs retry \(job.id)"))])
        }
        return true
    }

    /// A short reason for the job's record and the log: the kind of error, its code and where it
    /// was raised. A database error's message is left out (PostgreSQL may quote row values in it);
    /// its SQLSTATE says enough. No secret reaches any of these.
    static func failureReason(_ error: Error) -> String { Log.describe(error) }

    private lazy var thread = PeriodicThread(name: "scheduled-worker", interval: 1) { [unowned self] in
        runDueJobs()
        checkBacklog()
    }

    /// Reads how late the oldest due job is (`jobLag`). A failure keeps the last answer, so the lag
    /// keeps growing while the database is away.
    func checkBacklog() {
        do {
            let oldest = try database.run(OldestDueJob(now: clock()))
            oldestDue.store(oldest ?? Int64.max, ordering: .relaxed)
        } catch {
            Log.write(.debug, "scheduled worker: cannot read the job backlog: \(Self.failureReason(error))")
        }
    }

    /// Seconds the oldest due job is late at `now` (0 when nothing is due), nil until the worker
    /// has been able to look (`kms_scheduled_job_lag_seconds`).
    public func jobLag(now: Int64) -> Int64? {
        let oldest = oldestDue.load(ordering: .relaxed)
        if oldest == Int64.min { return nil }
        if oldest == Int64.max { return 0 }
        return max(0, now - oldest)
    }

    /// Runs `runDueJobs` every second on its own thread until `stop()`.
    public func start() { thread.start() }

    /// Stops the thread after the job in hand; returns when it has stopped.
    public func stop() { thread.stop() }
}
