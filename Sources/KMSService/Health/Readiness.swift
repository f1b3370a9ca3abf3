/// What `/readyz` decides from: the last check of PostgreSQL and the master keys, as the
/// readiness monitor saw them. A value, so the decision is tested without a server.
public struct ReadinessFacts: Sendable, Equatable {
    /// What the last completed check of the database found.
    public enum Database: Sendable, Equatable {
        /// No check has completed yet (the responder has just started).
        case unchecked
        /// No connection could be made or the check failed.
        case unreachable
        /// A standby: every write would fail.
        case inRecovery
        /// Writes are refused (`default_transaction_read_only`, a read-only role or database).
        case readOnly
        case writable
    }

    public var database: Database
    /// Monotonic milliseconds when that check completed; nil before the first.
    public var checkedAt: Int64?
    /// The master key ids the database's sealed values name; nil until counted.
    public var referencedKeyIds: Set<Int>?
    /// The master key ids this responder holds.
    public var loadedKeyIds: Set<Int>

    public init(database: Database = .unchecked, checkedAt: Int64? = nil, referencedKeyIds: Set<Int>? = nil,
                loadedKeyIds: Set<Int> = []) {
        self.database = database
        self.checkedAt = checkedAt
        self.referencedKeyIds = referencedKeyIds
        self.loadedKeyIds = loadedKeyIds
    }
}

/// The readiness rule: ready when PostgreSQL takes writes and every master key a sealed value
/// names is loaded. Otherwise one short line saying why, for a load balancer's log and an
/// operator's eyes; it names ids and states, never a value.
public enum Readiness {
    /// A check older than this means the monitor is stuck on a database that does not answer
    /// (a hung server holds the monitor's query; the probe itself never waits for it).
    public static let staleAfterMilliseconds: Int64 = 5_000

    /// Nil when ready, else the reason it is not.
    public static func reason(_ facts: ReadinessFacts, now: Int64) -> String? {
        guard let checkedAt = facts.checkedAt, facts.database != .unchecked else {
            return "starting: postgresql not checked yet"
        }
        let age = now - checkedAt
        if age > staleAfterMilliseconds {
            return "postgresql not answering (last check \(age / 1000)s ago)"
        }
        switch facts.database {
        case .unchecked, .unreachable: return "postgresql unreachable"
        case .inRecovery: return "postgresql is in recovery (a standby): read-only"
        case .readOnly: return "postgresql is read-only"
        case .writable: break
        }
        guard let referenced = facts.referencedKeyIds else { return "master keys not counted yet" }
        let missing = referenced.subtracting(facts.loadedKeyIds).sorted()
        switch missing.count {
        case 0: return nil
        case 1: return "master key \(missing[0]) missing"
        default: return "master keys \(missing.map(String.init).joined(separator: ", ")) missing"
        }
    }
}
