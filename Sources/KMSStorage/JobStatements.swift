import KMSCore

/// Schedules a job, or moves it to `dueAt` if it exists. `earliest` keeps the sooner of the two times.
/// Scheduling again (a new window, a re-import) starts the job's attempts afresh, a dead one included.
public struct ScheduleJob: Statement {
    public static let sql = """
        INSERT INTO scheduled_jobs (kind, app_id, region, key_id, due_at) VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (kind, app_id, region, key_id) DO UPDATE
        SET due_at = CASE WHEN $6 THEN least(scheduled_jobs.due_at, EXCLUDED.due_at) ELSE EXCLUDED.due_at END,
            attempts = 0, not_before = 0, last_error = NULL, dead_at = NULL
        """
    public let job: ScheduledJob
    public let earliest: Bool
    public init(_ job: ScheduledJob, earliest: Bool = false) { self.job = job; self.earliest = earliest }
    public var bindings: [String?] {
        [job.kind.rawValue, String(job.tenant.appId), job.tenant.region, job.keyID.description, String(job.dueAt),
         earliest ? "true" : "false"]
    }
    public func decode(_ result: QueryResult) throws {}
}

public struct CancelJob: Statement {
    public static let sql = "DELETE FROM scheduled_jobs WHERE kind = $1 AND app_id = $2 AND region = $3 AND key_id = $4"
    public let kind: ScheduledJob.Kind
    public let tenant: Tenant
    public let keyID: KeyID
    public init(_ kind: ScheduledJob.Kind, tenant: Tenant, keyID: KeyID) { self.kind = kind; self.tenant = tenant; self.keyID = keyID }
    public var bindings: [String?] { [kind.rawValue, String(tenant.appId), tenant.region, keyID.description] }
    public func decode(_ result: QueryResult) throws {}
}

/// Claims one due job, locking its row until the transaction ends; rows other workers hold are skipped,
/// so several processes never do the same job at once. A job backing off after a failure waits for
/// `not_before`; a dead one is never claimed.
public struct ClaimDueJob: Statement {
    public static let sql = """
        SELECT kind, app_id, region, key_id, due_at, id, attempts FROM scheduled_jobs
        WHERE due_at <= $1 AND not_before <= $1 AND dead_at IS NULL
        ORDER BY due_at LIMIT 1 FOR UPDATE SKIP LOCKED
        """
    public let now: Int64
    public init(now: Int64) { self.now = now }
    public var bindings: [String?] { [String(now)] }
    public func decode(_ result: QueryResult) throws -> ScheduledJob? {
        guard result.rowCount == 1 else { return nil }
        return try ScheduledJob(row: 0, of: result)
    }
}

extension ScheduledJob {
    /// Columns: kind, app_id, region, key_id, due_at, id, attempts.
    init(row: Int, of result: QueryResult) throws {
        guard let kind = result.string(row, 0).flatMap(ScheduledJob.Kind.init), let id = result.string(row, 3).flatMap(KeyID.init),
              let region = result.string(row, 2), !region.isEmpty else {
            throw StorageError("undecodable scheduled job")
        }
        self.init(kind: kind, tenant: Tenant(appId: result.int64(row, 1), region: region), keyID: id,
                  dueAt: result.int64(row, 4), id: result.int64(row, 5), attempts: Int(result.int64(row, 6)))
    }
}

/// Records a failed attempt of a claimed job: its attempts, the time before which it is not tried
/// again, or that it is dead. Matches the attempt count read at claim time, so two workers that
/// both saw the job fail record one failure, not two.
public struct RecordJobFailure: Statement {
    public static let sql = """
        UPDATE scheduled_jobs SET attempts = $3, not_before = $4, dead_at = $5, last_error = $6
        WHERE id = $1 AND attempts = $2
        """
    public let job: ScheduledJob
    public let outcome: JobRetryPolicy.Outcome
    public let reason: String
    public let now: Int64
    public init(_ job: ScheduledJob, outcome: JobRetryPolicy.Outcome, reason: String, now: Int64) {
        self.job = job; self.outcome = outcome; self.reason = reason; self.now = now
    }
    public var bindings: [String?] {
        let notBefore: Int64, deadAt: String?
        switch outcome {
        case .retry(let at): (notBefore, deadAt) = (at, nil)
        case .dead: (notBefore, deadAt) = (0, String(now))
        }
        return [String(job.id), String(job.attempts), String(job.attempts + 1), String(notBefore), deadAt, reason]
    }
    public func decode(_ result: QueryResult) throws {}
}

/// A scheduled job as `kmsctl jobs list` shows it.
public struct ScheduledJobListing: Sendable {
    public let job: ScheduledJob
    public let notBefore: Int64
    public let lastError: String?
    /// When it went dead (nil: alive).
    public let deadAt: Int64?
}

/// Every scheduled job (only the dead ones with `deadOnly`), oldest due first.
public struct ListScheduledJobs: Statement {
    public static let sql = """
        SELECT kind, app_id, region, key_id, due_at, id, attempts, not_before, last_error, dead_at FROM scheduled_jobs
        WHERE NOT $1 OR dead_at IS NOT NULL ORDER BY due_at, id LIMIT $2
        """
    public let deadOnly: Bool
    public let limit: Int
    public init(deadOnly: Bool, limit: Int = 10_000) { self.deadOnly = deadOnly; self.limit = limit }
    public var bindings: [String?] { [deadOnly ? "true" : "false", String(limit)] }
    public func decode(_ r: QueryResult) throws -> [ScheduledJobListing] {
        try (0..<r.rowCount).map { row in
            ScheduledJobListing(job: try ScheduledJob(row: row, of: r), notBefore: r.int64(row, 7), lastError: r.string(row, 8),
                                deadAt: r.isNull(row, 9) ? nil : r.int64(row, 9))
        }
    }
}

/// Brings a job back to life (`kmsctl jobs retry ID`): attempts from zero, due at once. The last
/// error stays until the next attempt replaces or the job's success removes it. True if the job exists.
public struct RetryJob: Statement {
    public static let sql = "UPDATE scheduled_jobs SET attempts = 0, not_before = 0, dead_at = NULL WHERE id = $1"
    public let id: Int64
    public init(id: Int64) { self.id = id }
    public var bindings: [String?] { [String(id)] }
    public func decode(_ result: QueryResult) throws -> Bool { result.affectedRows == 1 }
}

/// Removes a claimed job that is done.
public struct FinishJob: Statement {
    public static let sql = "DELETE FROM scheduled_jobs WHERE kind = $1 AND app_id = $2 AND region = $3 AND key_id = $4 AND due_at = $5"
    public let job: ScheduledJob
    public init(_ job: ScheduledJob) { self.job = job }
    public var bindings: [String?] {
        [job.kind.rawValue, String(job.tenant.appId), job.tenant.region, job.keyID.description, String(job.dueAt)]
    }
    public func decode(_ result: QueryResult) throws {}
}

/// Drops every job of a key (it was deleted).
public struct CancelAllJobs: Statement {
    public static let sql = "DELETE FROM scheduled_jobs WHERE app_id = $1 AND region = $2 AND key_id = $3"
    public let tenant: Tenant
    public let keyID: KeyID
    public init(tenant: Tenant, keyID: KeyID) { self.tenant = tenant; self.keyID = keyID }
    public var bindings: [String?] { [String(tenant.appId), tenant.region, keyID.description] }
    public func decode(_ result: QueryResult) throws {}
}
