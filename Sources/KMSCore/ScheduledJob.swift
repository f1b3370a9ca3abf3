/// Work the service owes at a time, done by the scheduled worker (SPEC §3–5: "on time, by the service").
public struct ScheduledJob: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        /// Imported material reached its ValidTo: destroy it, key to PendingImport.
        case expireMaterial = "expire_material"
        /// Import parameters reached their ParametersValidTo: purge them.
        case purgeImportParameters = "purge_import_parameters"
        /// A PendingDelete key reached its DeletionDate: destroy it and all its material for good.
        case deleteKey = "delete_key"
        /// A key with rotation enabled reached its NextRotateTime: add a material version.
        case rotateKey = "rotate_key"
        /// A PendingDelete hosted data key reached its DeletionDate: destroy it. The job's `keyID`
        /// is the DataKeyId.
        case deleteDataKey = "delete_data_key"
    }

    public let kind: Kind
    public let tenant: Tenant
    public let keyID: KeyID
    /// Unix seconds.
    public let dueAt: Int64
    /// The row's id (0 for a job not yet stored); `kmsctl jobs retry ID` names it.
    public let id: Int64
    /// Failed attempts so far.
    public let attempts: Int

    public init(kind: Kind, tenant: Tenant, keyID: KeyID, dueAt: Int64, id: Int64 = 0, attempts: Int = 0) {
        self.kind = kind
        self.tenant = tenant
        self.keyID = keyID
        self.dueAt = dueAt
        self.id = id
        self.attempts = attempts
    }
}

/// What happens to a job that failed: it is tried again after an exponential back-off, and after
/// `maxAttempts` failures it is dead (kept, listed by `kmsctl jobs list --dead`, never tried again
/// until `kmsctl jobs retry`). One failing job never holds up the others.
public struct JobRetryPolicy: Sendable, Equatable {
    /// Failures after which a job is dead.
    public var maxAttempts: Int
    /// The wait after the first failure; it doubles with each further failure...
    public var firstDelay: Int64
    /// ...up to this.
    public var maxDelay: Int64

    /// 8 attempts, 30 s doubling to at most 1 h: about an hour of retries (30+60+…+1920 s)
    /// before a job is dead, long enough to ride out a restart or failover, short enough to be seen.
    public static let standard = JobRetryPolicy(maxAttempts: 8, firstDelay: 30, maxDelay: 3600)

    public init(maxAttempts: Int, firstDelay: Int64, maxDelay: Int64) {
        self.maxAttempts = maxAttempts
        self.firstDelay = firstDelay
        self.maxDelay = maxDelay
    }

    /// The outcome of the `attempts`-th failure (1-based) at `now`.
    public enum Outcome: Sendable, Equatable {
        case retry(notBefore: Int64)
        case dead
    }

    public func afterFailure(attempts: Int, now: Int64) -> Outcome {
        guard attempts < maxAttempts else { return .dead }
        let doublings = max(0, min(attempts - 1, 32))  // bounded: no overflow however large
        return .retry(notBefore: now + min(firstDelay << Int64(doublings), maxDelay))
    }
}
