import KMSCore

/// Schedules a job, or moves it to `dueAt` if it exists. `earliest` keeps the sooner of the two times.
public struct ScheduleJob: Statement {
    public static let name = "schedule_job"
    public static let sql = """
        INSERT INTO scheduled_jobs (kind, app_id, region, key_id, due_at) VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (kind, app_id, region, key_id) DO UPDATE
        SET due_at = CASE WHEN $6 THEN least(scheduled_jobs.due_at, EXCLUDED.due_at) ELSE EXCLUDED.due_at END
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
    public static let name = "cancel_job"
    public static let sql = "DELETE FROM scheduled_jobs WHERE kind = $1 AND app_id = $2 AND region = $3 AND key_id = $4"
    public let kind: ScheduledJob.Kind
    public let tenant: Tenant
    public let keyID: KeyID
    public init(_ kind: ScheduledJob.Kind, tenant: Tenant, keyID: KeyID) { self.kind = kind; self.tenant = tenant; self.keyID = keyID }
    public var bindings: [String?] { [kind.rawValue, String(tenant.appId), tenant.region, keyID.description] }
    public func decode(_ result: QueryResult) throws {}
}

/// Claims one due job, locking its row until the transaction ends; rows other workers hold are skipped,
/// so several processes never do the same job at once.
public struct ClaimDueJob: Statement {
    public static let name = "claim_due_job"
    public static let sql = """
        SELECT kind, app_id, region, key_id, due_at FROM scheduled_jobs WHERE due_at <= $1
        ORDER BY due_at LIMIT 1 FOR UPDATE SKIP LOCKED
        """
    public let now: Int64
    public init(now: Int64) { self.now = now }
    public var bindings: [String?] { [String(now)] }
    public func decode(_ result: QueryResult) throws -> ScheduledJob? {
        guard result.rowCount == 1 else { return nil }
        guard let kind = result.string(0, 0).flatMap(ScheduledJob.Kind.init), let id = result.string(0, 3).flatMap(KeyID.init) else {
            throw StorageError("undecodable scheduled job")
        }
        return ScheduledJob(kind: kind, tenant: Tenant(appId: result.int64(0, 1), region: result.string(0, 2) ?? ""),
                            keyID: id, dueAt: result.int64(0, 4))
    }
}

/// Removes a claimed job that is done.
public struct FinishJob: Statement {
    public static let name = "finish_job"
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
    public static let name = "cancel_all_jobs"
    public static let sql = "DELETE FROM scheduled_jobs WHERE app_id = $1 AND region = $2 AND key_id = $3"
    public let tenant: Tenant
    public let keyID: KeyID
    public init(tenant: Tenant, keyID: KeyID) { self.tenant = tenant; self.keyID = keyID }
    public var bindings: [String?] { [String(tenant.appId), tenant.region, keyID.description] }
    public func decode(_ result: QueryResult) throws {}
}
