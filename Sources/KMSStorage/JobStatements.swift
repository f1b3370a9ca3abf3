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
    public var bindings: [PostgresValue] {
        [.text(job.kind.rawValue), .int64(job.tenant.appId), .text(job.tenant.region), .text(job.keyID.description),
         .int64(job.dueAt), .bool(earliest)]
    }
    public func decode(_ result: QueryResult) throws {}
}

public struct CancelJob: Statement {
    public static let sql = "DELETE FROM scheduled_jobs WHERE kind = $1 AND app_id = $2 AND region = $3 AND key_id = $4"
    public let kind: ScheduledJob.Kind
    public let tenant: Tenant
    public let keyID: KeyID
    public init(_ kind: ScheduledJob.Kind, tenant: Tenant, keyID: KeyID) { self.kind = kind; self.tenant = tenant; self.keyID = keyID }
    public var bindings: [PostgresValue] { [.text(kind.rawValue), .int64(tenant.appId), .text(tenant.region), .text(keyID.description)] }
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
    public var bindings: [PostgresValue] { [.int64(now)] }
    public func decode(_ result: QueryResult) throws -> ScheduledJob? {
        try result.singleRow().map(ScheduledJob.init(row:))
    }
}

extension ScheduledJob {
    /// A row with kind, app_id, region, key_id, due_at, id, attempts.
    init(row: Row) throws {
        let region = try row.decode(String.self, "region")
        guard !region.isEmpty else { throw StorageError("a scheduled job without a region") }
        self.init(kind: try row.decode(ScheduledJob.Kind.self, "kind"), tenant: Tenant(appId: try row.decode(Int64.self, "app_id"), region: region),
                  keyID: try row.decode(KeyID.self, "key_id"), dueAt: try row.decode(Int64.self, "due_at"),
                  id: try row.decode(Int64.self, "id"), attempts: try row.decode(Int.self, "attempts"))
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
    public var bindings: [PostgresValue] {
        let notBefore: Int64, deadAt: PostgresValue
        switch outcome {
        case .retry(let at): (notBefore, deadAt) = (at, .null)
        case .dead: (notBefore, deadAt) = (0, .int64(now))
        }
        return [.int64(job.id), .int64(Int64(job.attempts)), .int64(Int64(job.attempts + 1)), .int64(notBefore), deadAt, .text(reason)]
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
    public var bindings: [PostgresValue] { [.bool(deadOnly), .int64(Int64(limit))] }
    public func decode(_ r: QueryResult) throws -> [ScheduledJobListing] {
        try r.rows.map { row in
            ScheduledJobListing(job: try ScheduledJob(row: row), notBefore: try row.decode(Int64.self, "not_before"),
                                lastError: try row.decode(String?.self, "last_error"), deadAt: try row.decode(Int64?.self, "dead_at"))
        }
    }
}

/// Brings a job back to life (`kmsctl jobs retry ID`): attempts from zero, due at once. The last
/// error stays until the next attempt replaces or the job's success removes it. True if the job exists.
public struct RetryJob: Statement {
    public static let sql = "UPDATE scheduled_jobs SET attempts = 0, not_before = 0, dead_at = NULL WHERE id = $1"
    public let id: Int64
    public init(id: Int64) { self.id = id }
    public var bindings: [PostgresValue] { [.int64(id)] }
    public func decode(_ result: QueryResult) throws -> Bool { result.affectedRows == 1 }
}

/// Removes a claimed job that is done.
public struct FinishJob: Statement {
    public static let sql = "DELETE FROM scheduled_jobs WHERE kind = $1 AND app_id = $2 AND region = $3 AND key_id = $4 AND due_at = $5"
    public let job: ScheduledJob
    public init(_ job: ScheduledJob) { self.job = job }
    public var bindings: [PostgresValue] {
        [.text(job.kind.rawValue), .int64(job.tenant.appId), .text(job.tenant.region), .text(job.keyID.description), .int64(job.dueAt)]
    }
    public func decode(_ result: QueryResult) throws {}
}

/// Drops every job of a key (it was deleted).
public struct CancelAllJobs: Statement {
    public static let sql = "DELETE FROM scheduled_jobs WHERE app_id = $1 AND region = $2 AND key_id = $3"
    public let tenant: Tenant
    public let keyID: KeyID
    public init(tenant: Tenant, keyID: KeyID) { self.tenant = tenant; self.keyID = keyID }
    public var bindings: [PostgresValue] { [.int64(tenant.appId), .text(tenant.region), .text(keyID.description)] }
    public func decode(_ result: QueryResult) throws {}
}
