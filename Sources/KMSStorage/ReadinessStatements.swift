import KMSCore

/// Whether this session could write right now: a standby (in recovery) or a server or role set
/// read-only (`default_transaction_read_only`) refuses every write. Read in a transaction of its
/// own, so it reflects the current defaults (a reloaded configuration included).
public struct CheckWritable: Statement {
    public static let sql = """
        SELECT pg_is_in_recovery() AS in_recovery, current_setting('transaction_read_only') = 'on' AS read_only
        """
    public init() {}
    public var bindings: [PostgresValue] { [] }
    public func decode(_ r: QueryResult) throws -> (inRecovery: Bool, readOnly: Bool) {
        guard let row = r.rows.first else { throw StorageError("no row from the writability check") }
        return (try row.decode(Bool.self, "in_recovery"), try row.decode(Bool.self, "read_only"))
    }
}

/// The master key ids that sealed values in the database name (`sealed_master_key_ids()`,
/// migration 011): the keys a responder must hold to open everything.
public struct ListReferencedMasterKeys: Statement {
    public static let sql = "SELECT master_key_id FROM sealed_master_key_ids()"
    public init() {}
    public var bindings: [PostgresValue] { [] }
    public func decode(_ r: QueryResult) throws -> Set<Int> {
        Set(try r.rows.map { try $0.decode(Int.self, "master_key_id") })
    }
}
