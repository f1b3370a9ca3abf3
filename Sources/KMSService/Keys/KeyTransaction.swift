import KMSCore
import KMSStorage

/// Where key operations run for one caller: the tenant, the time, the connection, and what each
/// of the caller's transactions must also write (the API: a state-changing request's audit record).
public struct KeyScope {
    /// The account and region every row read or written belongs to.
    public let tenant: Tenant
    /// Unix seconds, read once per request (or per scheduled job).
    public let now: Int64
    /// The worker's own connection.
    public let database: Database
    /// Written inside each transaction just before COMMIT; nil for none.
    public let audit: TransactionAudit?

    /// A scope for `tenant` at `now` over `database`.
    public init(tenant: Tenant, now: Int64, database: Database, audit: TransactionAudit? = nil) {
        self.tenant = tenant
        self.now = now
        self.database = database
        self.audit = audit
    }
}

/// One transaction on one tenant's keys. An operation that changes a key says so here
/// (`changing`); the keys named are dropped from this process's cache once the transaction is
/// over, committed or not (other processes hear of it through the database's notifications).
public final class KeyTransaction {
    /// The database, inside the transaction.
    public let db: Database
    /// The tenant the transaction is scoped to.
    public let tenant: Tenant
    /// Unix seconds of the request or job.
    public let now: Int64
    /// Keys changed (or locked to be changed) so far.
    public private(set) var changed: [KeyID] = []

    /// A transaction already open on `db`, scoped to `tenant`.
    public init(db: Database, tenant: Tenant, now: Int64) {
        self.db = db
        self.tenant = tenant
        self.now = now
    }

    /// Marks `id` as changed by this transaction.
    public func changing(_ id: KeyID) { changed.append(id) }
}
