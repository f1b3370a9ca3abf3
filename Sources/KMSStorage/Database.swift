import KMSCore

/// A statement: its SQL, its text bindings, and how a result becomes a value. It is parsed and
/// planned for its actual values on every execution, unless it is a `PreparedStatement`.
public protocol Statement {
    associatedtype Output
    static var sql: String { get }
    var bindings: [String?] { get }
    func decode(_ result: QueryResult) throws -> Output
    /// How the statement goes to the server: planned each time, or prepared once (`PreparedStatement`).
    static func command(_ bindings: [String?]) -> PostgresConnection.PipelinedCommand
}

extension Statement {
    public static func command(_ bindings: [String?]) -> PostgresConnection.PipelinedCommand {
        .planned(sql: sql, parameters: bindings)
    }
}

/// A statement one plan may serve on every execution (a prepared statement's generic plan):
/// prepared once per connection under `name`, then only executed. Only for statements with no
/// access path to choose (INSERT … VALUES): PostgreSQL was seen switching a primary-key lookup
/// to a generic plan that scanned a whole tenant's keys, so every other statement is planned
/// for its actual values on each execution.
public protocol PreparedStatement: Statement {
    /// Unique per statement type: the name it is prepared under on each connection.
    static var name: String { get }
}

extension PreparedStatement {
    public static func command(_ bindings: [String?]) -> PostgresConnection.PipelinedCommand {
        .prepared(name: name, sql: sql, parameters: bindings)
    }
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
            return try statement.decode(conn.execute(S.command(statement.bindings)))
        }
        let commands = pending + [S.command(statement.bindings)]
        if beginIsPending { sentBegin = true }
        pending = []
        let results = try conn.execute(pipeline: commands)
        return try statement.decode(results[results.count - 1])
    }

    /// Runs two statements in one round trip, in order, and returns both results.
    public func run<A: Statement, B: Statement>(_ a: A, _ b: B) throws -> (A.Output, B.Output) {
        try conn.reconnectIfNeeded()
        let commands = pending + [A.command(a.bindings), B.command(b.bindings)]
        if beginIsPending { sentBegin = true }
        pending = []
        let results = try conn.execute(pipeline: commands)
        return (try a.decode(results[results.count - 2]), try b.decode(results[results.count - 1]))
    }

    /// Queues a statement whose result is not needed (an INSERT, an eviction whose count does
    /// not matter). It is sent with the next statement or with the COMMIT, and a failure (a
    /// unique violation, say) is thrown there; its result is never decoded. Outside a
    /// transaction it runs at once.
    public func enqueue<S: Statement>(_ statement: S) throws {
        guard !pending.isEmpty || inTransaction else { _ = try run(statement); return }
        pending.append(S.command(statement.bindings))
    }

    /// One statement in the tenant's scope, in one round trip: the scope and the statement go
    /// out together without BEGIN, so they form one implicit transaction (SET LOCAL lasts until
    /// it ends). For single reads, which need no transaction block of their own.
    public func query<S: Statement>(tenant: Tenant, _ statement: S) throws -> S.Output {
        precondition(!inTransaction, "query runs on its own")
        try conn.reconnectIfNeeded()
        let results = try conn.execute(pipeline: [scopeCommand(tenant), S.command(statement.bindings)])
        return try statement.decode(results[1])
    }

    private var inTransaction = false
    /// Whether this transaction's BEGIN has gone to the server.
    private var sentBegin = false

    /// Runs `body` in one transaction with the tenant set by `SET LOCAL`, so row-level security
    /// sees only that account's rows in that region. Commits when `body` returns, rolls back when it throws.
    public func transaction<R>(tenant: Tenant?, _ body: (Database) throws -> R) throws -> R {
        precondition(!inTransaction, "transactions do not nest")
        try conn.reconnectIfNeeded()
        pending = [.sql("BEGIN")]
        sentBegin = false
        if let tenant { pending.append(scopeCommand(tenant)) }
        inTransaction = true
        defer { inTransaction = false }
        do {
            let value = try body(self)
            if beginIsPending {
                // Nothing was sent: the whole transaction is still queued. A pipeline without
                // BEGIN runs as one implicit transaction that commits at its sync point, so
                // BEGIN and COMMIT are left out (two statements fewer for the server to run).
                pending.removeFirst()
                try flush()
            } else {
                pending.append(.sql("COMMIT"))
                try flush()
            }
            return value
        } catch {
            // BEGIN was sent and the transaction may still be open (or failed): roll it back.
            // When BEGIN never went out, the server ran at most an implicit transaction, which
            // it has already rolled back.
            pending = []
            if sentBegin && conn.isInTransaction { try? conn.execute(script: "ROLLBACK") }
            throw error
        }
    }

    /// True while BEGIN is still queued (nothing of the transaction has reached the server).
    private var beginIsPending: Bool {
        if case .sql("BEGIN")? = pending.first { return true }
        return false
    }

    /// Re-scopes the current transaction to `tenant` (the scheduled worker serves many tenants).
    public func scope(to tenant: Tenant) throws {
        guard inTransaction else {
            _ = try conn.execute(pipeline: [scopeCommand(tenant)])
            return
        }
        pending.append(scopeCommand(tenant))
    }

    /// Appends rows with `COPY … FROM STDIN`, outside any transaction (the COPY is atomic).
    public func copy(_ sql: String, rows: [UInt8]) throws {
        precondition(!inTransaction, "COPY runs on its own")
        try conn.reconnectIfNeeded()
        try conn.copyIn(sql, data: rows)
    }

    /// Sends what is queued.
    private func flush() throws {
        guard !pending.isEmpty else { return }
        let commands = pending
        if beginIsPending { sentBegin = true }
        pending = []
        _ = try conn.execute(pipeline: commands)
    }

    private func scopeCommand(_ tenant: Tenant) -> PostgresConnection.PipelinedCommand {
        .prepared(name: "scope_tenant",
                  sql: "SELECT set_config('kms.app_id', $1, true), set_config('kms.region', $2, true)",
                  parameters: [String(tenant.appId), tenant.region])
    }
}
