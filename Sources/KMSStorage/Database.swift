import KMSCore

/// The storage of one worker: a connection plus transactions scoped to a tenant.
///
/// A transaction sends nothing until it must (`TransactionStateMachine` decides what goes out
/// when): a transaction that only writes (CreateKey: the key, its material, its audit record)
/// is one round trip. Statements still run in the order they were given.
public final class Database {
    private let conn: PostgresConnection
    private var machine = TransactionStateMachine<PostgresCommand>()

    public init(conninfo: String) throws {
        conn = try PostgresConnection(conninfo: conninfo)
    }

    /// Connects on the first statement instead of now.
    public init(connectingLater conninfo: String) {
        conn = PostgresConnection(connectingLater: conninfo)
    }

    /// The raw connection, for migrations and tests. Whatever the transaction still holds is
    /// sent first, so the connection is always at the point the caller expects.
    public var connection: PostgresConnection {
        get throws {
            _ = try perform(machine.flush())
            return conn
        }
    }

    /// Exchanges with the server so far (`PostgresConnection.roundTrips`).
    public var roundTrips: Int { conn.roundTrips }

    /// Runs one statement and returns its decoded result, sending whatever is queued before it.
    public func run<S: Statement>(_ statement: S) throws -> S.Output {
        let command = try statement.command()
        let results = try perform(machine.run([command]))
        return try statement.decode(results[results.count - 1])
    }

    /// Runs two statements in one round trip, in order, and returns both results.
    public func run<A: Statement, B: Statement>(_ a: A, _ b: B) throws -> (A.Output, B.Output) {
        let commands = [try a.command(), try b.command()]
        let results = try perform(machine.run(commands))
        return (try a.decode(results[results.count - 2]), try b.decode(results[results.count - 1]))
    }

    /// Queues a statement whose result is not needed (an INSERT, an eviction whose count does
    /// not matter). It is sent with the next statement or with the COMMIT, and a failure (a
    /// unique violation, say) is thrown there; its result is never decoded. Outside a
    /// transaction it runs at once.
    public func enqueue<S: Statement>(_ statement: S) throws {
        _ = try perform(machine.enqueue(try statement.command()))
    }

    /// One statement in the tenant's scope, in one round trip: the scope and the statement go
    /// out together without BEGIN, so they form one implicit transaction (SET LOCAL lasts until
    /// it ends). For single reads, which need no transaction block of their own.
    public func query<S: Statement>(tenant: Tenant, _ statement: S) throws -> S.Output {
        let command = try statement.command()
        let results = try perform(machine.query(scope: try .scope(tenant), command))
        return try statement.decode(results[1])
    }

    /// Runs `body` in one transaction with the tenant set by `SET LOCAL`, so row-level security
    /// sees only that account's rows in that region. Commits when `body` returns, rolls back when it throws.
    public func transaction<R>(tenant: Tenant?, _ body: (Database) throws -> R) throws -> R {
        let scope = try tenant.map { try PostgresCommand.scope($0) }
        let start = machine.begin(scope: scope)
        do {
            _ = try perform(start)
            let value = try body(self)
            _ = try perform(machine.commit())
            machine.committed()
            return value
        } catch {
            _ = try? perform(machine.abort())
            throw error
        }
    }

    /// Re-scopes the current transaction to `tenant` (the scheduled worker serves many tenants).
    public func scope(to tenant: Tenant) throws {
        _ = try perform(machine.rescope(try .scope(tenant)))
    }

    /// Appends rows with `COPY … FROM STDIN`, outside any transaction (the COPY is atomic).
    public func copy(_ sql: String, rows: [UInt8]) throws {
        precondition(!machine.isInTransaction, "COPY runs on its own")
        try conn.reconnectIfNeeded()
        try conn.copyIn(sql, data: rows)
    }

    /// Does what the state machine asked; a failed send is reported back to it.
    private func perform(_ action: TransactionStateMachine<PostgresCommand>.Action) throws -> [QueryResult] {
        switch action {
        case .nothing:
            return []
        case .reconnect:
            try conn.reconnectIfNeeded()
            return []
        case .execute(let command, let reconnect):
            if reconnect { try conn.reconnectIfNeeded() }
            do { return [try conn.execute(command)] } catch { machine.sendFailed(); throw error }
        case .pipeline(let commands, let reconnect):
            if reconnect { try conn.reconnectIfNeeded() }
            do { return try conn.execute(pipeline: commands) } catch { machine.sendFailed(); throw error }
        case .fail(let error):
            throw error
        case .rollback:
            if conn.isInTransaction { _ = try? conn.execute(PostgresCommand.sql("ROLLBACK")) }
            return []
        }
    }
}
