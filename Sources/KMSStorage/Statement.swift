import KMSCore

/// A statement as a small type (postgres-nio's `PostgresPreparedStatement`): its SQL, its typed
/// bindings, and how its result becomes a value, read by column name.
public protocol Statement {
    associatedtype Output
    static var sql: String { get }
    /// `$1`, `$2`, … in order.
    var bindings: [PostgresValue] { get }
    /// The result (binary format) as a value; `result.rows` / `result.singleRow()` give rows
    /// that decode by column name and throw on a NULL or a column that is not there.
    func decode(_ result: QueryResult) throws -> Output
    /// Whether one plan may serve every execution (a prepared statement's generic plan). True
    /// only for statements with no access path to choose (INSERT … VALUES): PostgreSQL was seen
    /// switching a primary-key lookup to a generic plan that scanned a whole tenant's keys, so
    /// every other statement is planned for its actual values on each execution.
    static var reusesPlan: Bool { get }
}

extension Statement {
    public static var reusesPlan: Bool { false }

    /// How the statement goes to the server: prepared once, or parsed and planned each time.
    func command() throws -> PostgresCommand {
        let parameters = try EncodedParameters(bindings)
        return Self.reusesPlan
            ? .prepared(.statement(ObjectIdentifier(Self.self)), sql: Self.sql, parameters: parameters, binaryResults: true)
            : .planned(sql: Self.sql, parameters: parameters, binaryResults: true)
    }
}

extension PostgresValue {
    /// Every value as text, NULL for nil: the bindings of a statement written before typed
    /// bindings (bytea as `\x…` hex text), until it is ported value by value.
    public static func texts(_ values: [String?]) -> [PostgresValue] {
        values.map { $0.map(PostgresValue.text) ?? .null }
    }
}

/// Sets the tenant for the rest of the transaction: `set_config(…, true)` is `SET LOCAL` that
/// takes parameters. Row-level security reads both settings.
struct ScopeToTenant: Statement {
    static let reusesPlan = true
    static let sql = "SELECT set_config('kms.app_id', $1, true), set_config('kms.region', $2, true)"
    let tenant: Tenant
    init(_ tenant: Tenant) { self.tenant = tenant }
    var bindings: [PostgresValue] { [.int64(tenant.appId), .text(tenant.region)] }
    func decode(_ result: QueryResult) throws {}
}
