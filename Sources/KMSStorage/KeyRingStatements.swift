/// Whether the census of sealed values (`sealed_value_census()`, migration 009) exists yet: a
/// database before its migrations holds nothing sealed.
public struct SealedValueCensusExists: Statement {
    public static let sql = "SELECT to_regprocedure('sealed_value_census()') IS NOT NULL AS present"
    public init() {}
    public var bindings: [PostgresValue] { [] }
    public func decode(_ r: QueryResult) throws -> Bool {
        guard let row = r.rows.first else { throw StorageError("no answer to the census lookup") }
        return try row.decode(Bool.self, "present")
    }
}
