import KMSCore

/// A prepared statement: its SQL, its text bindings, and how a result becomes a value.
public protocol Statement {
    associatedtype Output
    /// Unique per statement type; used as the prepared statement's name.
    static var name: String { get }
    static var sql: String { get }
    var bindings: [String?] { get }
    func decode(_ result: QueryResult) throws -> Output
}

/// The storage of one worker: a connection plus transactions scoped to a tenant.
///
/// Round trips are what a transaction costs most, so a transaction sends nothing until it must:
/// `BEGIN`, the tenant's scope and every statement passed to `enqueue` wait, and go out in one
/// pipeline together with the next statement whose result is needed, or with the `COMMIT`.
/// A transaction that only writes (CreateKey: the key, its material, its audit record) is one
/// round trip. Statements still run in the order they were given.
public final class Database {
    private let conn: PostgresConnection
    /// Commands not yet sent: always a prefix of the current transaction's remaining work.
    private var pending: [PostgresConnection.PipelinedCommand] = []

    public init(conninfo: String) throws {
        conn = try PostgresConnection(conninfo: conninfo)
    }

    /// The raw connection, for migrations and tests. Whatever the transaction still holds is
    /// sent first, so the connection is always at the point the caller expects.
    public var connection: PostgresConnection {
        get throws {
            try flush()
            return conn
        }
    }

    /// Runs one statement and returns its decoded result, sending whatever is queued before it.
    public func run<S: Statement>(_ statement: S) throws -> S.Output {
        if pending.isEmpty {
            try conn.reconnectIfNeeded()
            return try statement.decode(conn.execute(name: S.name, sql: S.sql, parameters: statement.bindings))
        }
        let commands = pending + [.prepared(name: S.name, sql: S.sql, parameters: statement.bindings)]
        pending = []
        let results = try conn.execute(pipeline: commands)
        return try statement.decode(results[results.count - 1])
    }

    /// Queues a statement whose result is not needed (an INSERT). It is sent with the next
    /// statement or with the COMMIT, and a failure (a unique violation, say) is thrown there.
    /// Outside a transaction it runs at once.
    public func enqueue<S: Statement>(_ statement: S) throws where S.Output == Void {
        guard !pending.isEmpty || inTransaction else { return try run(statement) }
        pending.append(.prepared(name: S.name, sql: S.sql, parameters: statement.bindings))
    }

    private var inTransaction = false

    /// Runs `body` in one transaction with the tenant set by `SET LOCAL`, so row-level security
    /// sees only that account's rows in that region. Commits when `body` returns, rolls back when it throws.
    public func transaction<R>(tenant: Tenant?, _ body: (Database) throws -> R) throws -> R {
        precondition(!inTransaction, "transactions do not nest")
        try conn.reconnectIfNeeded()
        pending = [.sql("BEGIN")]
        if let tenant { pending.append(scopeCommand(tenant)) }
        inTransaction = true
        defer { inTransaction = false }
        do {
            let value = try body(self)
            pending.append(.sql("COMMIT"))
            try flush()
            return value
        } catch {
            // Nothing sent yet (BEGIN still queued) means there is nothing to roll back.
            let begun = pending.first.map { if case .sql("BEGIN") = $0 { return false } else { return true } } ?? true
            pending = []
            if begun { try? conn.execute(script: "ROLLBACK") }
            throw error
        }
    }

    /// Re-scopes the current transaction to `tenant` (the scheduled worker serves many tenants).
    public func scope(to tenant: Tenant) throws {
        guard inTransaction else {
            _ = try conn.execute(pipeline: [scopeCommand(tenant)])
            return
        }
        pending.append(scopeCommand(tenant))
    }

    /// Sends what is queued.
    private func flush() throws {
        guard !pending.isEmpty else { return }
        let commands = pending
        pending = []
        _ = try conn.execute(pipeline: commands)
    }

    private func scopeCommand(_ tenant: Tenant) -> PostgresConnection.PipelinedCommand {
        .prepared(name: "scope_tenant",
                  sql: "SELECT set_config('kms.app_id', $1, true), set_config('kms.region', $2, true)",
                  parameters: [String(tenant.appId), tenant.region])
    }
}
