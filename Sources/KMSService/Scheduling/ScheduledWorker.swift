import Foundation
import KMSCore
import KMSCrypto
import KMSStorage

/// The one place for work the service does on time, by itself: destroying expired imported
/// material and purging expired import parameters, deleting keys and rotating them.
///
/// Safe with several responder processes: each job is claimed with `FOR UPDATE SKIP LOCKED` in the
/// transaction that does it, so it is done exactly once. Each job runs inside its tenant's scope,
/// under the same row-level security as requests. The clock is injected so tests can stand at any time.
public final class ScheduledWorker: @unchecked Sendable {
    let database: Database
    let keyring: Keyring
    let regions: RegionTable
    let keyCache: KeyCache?
    let clock: @Sendable () -> Int64
    let retryPolicy: JobRetryPolicy

    public init(database: Database, sealer: Sealer, regions: RegionTable, keyCache: KeyCache? = nil,
                retryPolicy: JobRetryPolicy = .standard, clock: @escaping @Sendable () -> Int64) {
        self.database = database
        self.retryPolicy = retryPolicy
        self.keyCache = keyCache
        self.keyring = Keyring(sealer: sealer)
        self.regions = regions
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
                    Log.error("scheduled work failed before a job was claimed: \(Self.failureReason(error))")
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
        var touched: ScheduledJob? = nil
        // The process that made a change drops its own cache entry at once (others hear by NOTIFY).
        defer { if let job = touched { keyCache?.invalidate(job.tenant, job.keyID) } }
        return try database.transaction(tenant: nil) { db in
            guard let job = try db.run(ClaimDueJob(now: now)) else { return false }
            touched = job
            onClaim(job)
            try db.scope(to: job.tenant)
            switch job.kind {
            case .expireMaterial: try expireMaterial(job, now: now, in: db)
            case .purgeImportParameters: try purgeImportParameters(job, now: now, in: db)
            case .deleteKey: try deleteKey(job, now: now, in: db)
            case .rotateKey: try rotateKey(job, now: now, in: db)
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
            Log.error("scheduled job \(job.id) failed (\(reason)) and its failure could not be recorded: \(Self.failureReason(error))")
            return false
        }
        let what = "scheduled job \(job.id) (\(job.kind.rawValue), key \(job.keyID), account \(job.tenant.appId), \(job.tenant.region))"
        switch outcome {
        case .retry(let notBefore):
            Log.warning("\(what) failed (attempt \(job.attempts + 1) of \(retryPolicy.maxAttempts)): \(reason); next try at \(notBefore)")
        case .dead:
            Log.error("\(what) is dead after \(job.attempts + 1) failed attempts: \(reason) (kmsctl jobs list --dead; kmsctl jobs retry \(job.id))")
        }
        return true
    }

    /// A short reason for the job's record and the log: the kind of error, its code and where it
    /// was raised. A database error's message is left out (PostgreSQL may quote row values in it);
    /// its SQLSTATE says enough. No secret reaches any of these.
    static func failureReason(_ error: Error) -> String {
        let text: String
        switch error {
        case let e as KMSError: text = "\(e.code.rawValue) at \(e.file):\(e.line)"
        case let e as StorageError: text = "database error \(e.sqlState ?? "-") at \(e.file):\(e.line)"
        case let e as CryptoError: text = "crypto error at \(e.file):\(e.line): \(e.reason)"
        default: text = "\(type(of: error))"
        }
        return String(text.prefix(300))
    }

    /// Imported material past its ValidTo is destroyed and the key goes to PendingImport.
    /// Re-checked here: a re-import may have moved ValidTo since the job was scheduled.
    func expireMaterial(_ job: ScheduledJob, now: Int64, in db: Database) throws {
        guard var key = try db.run(FindKeyForUpdate(tenant: job.tenant, keyID: job.keyID)),
              key.origin == .external, key.currentVersion > 0, key.validTo != 0, key.validTo <= now else { return }
        if key.state != .pendingDelete { key.state = .pendingImport }
        try KeyVersions.destroyMaterial(&key, tenant: job.tenant, in: db)
        Log.info("scheduled: destroyed expired material of key \(key.id) (account \(job.tenant.appId), \(job.tenant.region))")
    }

    /// A PendingDelete key whose window has ended is destroyed with all its material. Re-checked:
    /// a CancelKeyDeletion may have come first.
    func deleteKey(_ job: ScheduledJob, now: Int64, in db: Database) throws {
        guard let key = try db.run(FindKeyForUpdate(tenant: job.tenant, keyID: job.keyID)),
              key.state == .pendingDelete, key.deletionDate != 0, key.deletionDate <= now else { return }
        try db.run(CancelAllJobs(tenant: job.tenant, keyID: job.keyID))
        _ = try db.run(DeleteKey(tenant: job.tenant, keyID: job.keyID))
        Log.info("scheduled: deleted key \(key.id) for good (account \(job.tenant.appId), \(job.tenant.region))")
    }

    /// Automatic rotation on its day. A key that cannot encrypt now (Disabled, Archived) is not
    /// rotated, and is looked at again one period later.
    func rotateKey(_ job: ScheduledJob, now: Int64, in db: Database) throws {
        guard var key = try db.run(FindKeyForUpdate(tenant: job.tenant, keyID: job.keyID)),
              key.rotationEnabled, key.origin == .tencentKMS, key.nextRotateTime <= now,
              let profile = regions.profile(of: job.tenant.region) else { return }
        if key.lifecycle(now: now).state == .enabled {
            try KeyVersions.rotate(&key, profile: profile, keyring: keyring, now: now, in: db)
            Log.info("scheduled: rotated key \(key.id) to version \(key.currentVersion)")
        }
        if key.state != .pendingDelete { try KeyVersions.scheduleNextRotation(&key, now: now, in: db) }
        _ = try db.run(UpdateKey(key))
    }

    func purgeImportParameters(_ job: ScheduledJob, now: Int64, in db: Database) throws {
        let next = try db.run(PurgeExpiredImportParameters(tenant: job.tenant, keyID: job.keyID, now: now,
                                                           tombstone: ImportRules.tombstoneSeconds))
        if let next {
            try db.run(ScheduleJob(ScheduledJob(kind: .purgeImportParameters, tenant: job.tenant, keyID: job.keyID, dueAt: next)))
            // The job row now has a new due time, so FinishJob (which matches the old one) leaves it.
        }
    }

    private lazy var thread = PeriodicThread(name: "scheduled-worker", interval: 1) { [unowned self] in runDueJobs() }

    /// Runs `runDueJobs` every second on its own thread until `stop()`.
    public func start() { thread.start() }

    /// Stops the thread after the job in hand; returns when it has stopped.
    public func stop() { thread.stop() }
}
