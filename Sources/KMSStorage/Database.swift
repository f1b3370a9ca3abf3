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
public final class Database {
    public let connection: PostgresConnection

    public init(conninfo: String) throws {
        connection = try PostgresConnection(conninfo: conninfo)
    }

    /// Runs one statement outside any tenant scope (accounts, credentials).
    public func run<S: Statement>(_ statement: S) throws -> S.Output {
        try connection.reconnectIfNeeded()
        return try statement.decode(connection.execute(name: S.name, sql: S.sql, parameters: statement.bindings))
    }

    /// Runs `body` in one transaction with the tenant set by `SET LOCAL`, so row-level security
    /// sees only that account's rows in that region. Commits when `body` returns, rolls back when it throws.
    public func transaction<R>(tenant: Tenant?, _ body: (Database) throws -> R) throws -> R {
        try connection.reconnectIfNeeded()
        try connection.execute(script: tenant.map { "BEGIN; " + (try scopeSQL($0)) } ?? "BEGIN")
        do {
            let value = try body(self)
            try connection.execute(script: "COMMIT")
            return value
        } catch {
            try? connection.execute(script: "ROLLBACK")
            throw error
        }
    }

    /// Re-scopes the current transaction to `tenant` (the scheduled worker serves many tenants).
    public func scope(to tenant: Tenant) throws {
        try connection.execute(script: try scopeSQL(tenant))
    }

    private func scopeSQL(_ tenant: Tenant) throws -> String {
        "SELECT set_config('kms.app_id', \(try connection.literal(String(tenant.appId))), true)"
            + ", set_config('kms.region', \(try connection.literal(tenant.region)), true)"
    }
}
