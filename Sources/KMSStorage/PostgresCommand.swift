import KMSCore

/// One command for the server, sent alone or in a pipeline.
enum PostgresCommand {
    /// SQL without parameters (BEGIN, COMMIT).
    case sql(String)
    /// Prepared once per connection; executions reuse its plan once PostgreSQL settles on one.
    case prepared(PreparedName, sql: String, parameters: EncodedParameters, binaryResults: Bool)
    /// Parsed and planned for its values on every execution (the unnamed statement).
    case planned(sql: String, parameters: EncodedParameters, binaryResults: Bool)

    /// The tenant's scope for the rest of the transaction (`set_config(…, true)` is `SET LOCAL`
    /// with parameters), which row-level security reads.
    static func scope(_ tenant: Tenant) throws -> PostgresCommand {
        try ScopeToTenant(tenant).command()
    }
}

/// Which prepared statement: a statement type's, or one named by ad-hoc SQL's caller.
enum PreparedName: Hashable {
    case statement(ObjectIdentifier)
    case named(String)
}

extension PostgresCommand: TransactionCommand {
    static let begin = PostgresCommand.sql("BEGIN")
    static let commit = PostgresCommand.sql("COMMIT")
}
