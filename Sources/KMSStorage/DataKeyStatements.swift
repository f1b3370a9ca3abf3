import KMSCore

/// The columns every data-key query selects (`d` is data_keys), with its CMK's alias (`k`).
let dataKeyColumnNames = [
    "data_key_id", "app_id", "region", "key_id", "name", "description", "number_of_bytes", "state", "state_before_deletion",
    "origin", "creator_uin", "create_time", "deletion_date", "ciphertext", "encryption_context",
]
let dataKeyColumns = dataKeyColumnNames.map { "d." + $0 }.joined(separator: ", ") + ", k.alias AS key_name"
/// data_keys joined to the CMK, whose alias is DataKeyMetadata.KeyName.
let dataKeysWithAlias = """
    data_keys d JOIN keys k ON k.app_id = d.app_id AND k.region = d.region AND k.key_id = d.key_id
    """

extension HostedDataKey {
    /// A row holding the columns of `dataKeyColumns`.
    init(row r: Row) throws {
        let before = try r.decode(String?.self, "state_before_deletion")
        self.init(
            id: try r.decode(KeyID.self, "data_key_id"), appId: try r.decode(Int64.self, "app_id"),
            region: try r.decode(String.self, "region"), keyID: try r.decode(KeyID.self, "key_id"),
            name: try r.decode(String.self, "name"), description: try r.decode(String.self, "description"),
            numberOfBytes: try r.decode(Int.self, "number_of_bytes"), state: try r.decode(DataKeyState.self, "state"),
            stateBeforeDeletion: try before.map {
                guard let state = DataKeyState(rawValue: $0) else { throw StorageError("column state_before_deletion holds no state") }
                return state
            },
            origin: try r.decode(KeyOrigin.self, "origin"), creatorUin: try r.decode(Int64.self, "creator_uin"),
            createTime: try r.decode(Int64.self, "create_time"), deletionDate: try r.decode(Int64.self, "deletion_date"),
            ciphertext: try r.decode([UInt8].self, "ciphertext"), encryptionContext: try r.decode(String.self, "encryption_context"),
            keyName: try r.decode(String.self, "key_name"))
    }
}

/// Stores a new data key.
public struct InsertDataKey: Statement {
    public static let sql = """
        INSERT INTO data_keys (\(dataKeyColumnNames.joined(separator: ", ")))
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
        """
    public let dataKey: HostedDataKey
    public init(_ dataKey: HostedDataKey) { self.dataKey = dataKey }
    public var bindings: [PostgresValue] {
        let d = dataKey
        return [.text(d.id.description), .int64(d.appId), .text(d.region), .text(d.keyID.description), .text(d.name),
                .text(d.description), .int64(Int64(d.numberOfBytes)), .text(d.state.rawValue),
                d.stateBeforeDeletion.map { .text($0.rawValue) } ?? .null, .text(d.origin.rawValue), .int64(d.creatorUin),
                .int64(d.createTime), .int64(d.deletionDate), .bytes(d.ciphertext), .text(d.encryptionContext)]
    }
    public func decode(_ result: QueryResult) throws {}
}

/// Stores a new data key's tags, in one statement.
public struct InsertDataKeyTags: Statement {
    public static let sql = """
        INSERT INTO data_key_tags (app_id, region, data_key_id, tag_key, tag_value)
        SELECT $1, $2, $3, t.tag_key, t.tag_value FROM unnest($4::text[], $5::text[]) AS t (tag_key, tag_value)
        """
    public let tenant: Tenant
    public let dataKeyID: KeyID
    public let tags: [KeyTag]
    public init(tenant: Tenant, dataKeyID: KeyID, tags: [KeyTag]) { self.tenant = tenant; self.dataKeyID = dataKeyID; self.tags = tags }
    public var bindings: [PostgresValue] {
        [.int64(tenant.appId), .text(tenant.region), .text(dataKeyID.description),
         .textArray(tags.map(\.key)), .textArray(tags.map(\.value))]
    }
    public func decode(_ result: QueryResult) throws {}
}

/// One data key of the tenant, or nil; `forUpdate` locks its row (not its CMK's) until the
/// transaction ends.
public struct FindDataKey: Statement {
    public static let sql = "SELECT \(dataKeyColumns) FROM \(dataKeysWithAlias) WHERE d.app_id = $1 AND d.region = $2 AND d.data_key_id = $3"
    public let tenant: Tenant
    public let dataKeyID: KeyID
    public init(tenant: Tenant, dataKeyID: KeyID) { self.tenant = tenant; self.dataKeyID = dataKeyID }
    public var bindings: [PostgresValue] { [.int64(tenant.appId), .text(tenant.region), .text(dataKeyID.description)] }
    public func decode(_ result: QueryResult) throws -> HostedDataKey? { try result.singleRow().map(HostedDataKey.init(row:)) }
}

/// The same, locking the data key's row for a change.
public struct FindDataKeyForUpdate: Statement {
    public static let sql = FindDataKey.sql + " FOR UPDATE OF d"
    public let inner: FindDataKey
    public init(tenant: Tenant, dataKeyID: KeyID) { inner = FindDataKey(tenant: tenant, dataKeyID: dataKeyID) }
    public var bindings: [PostgresValue] { inner.bindings }
    public func decode(_ result: QueryResult) throws -> HostedDataKey? { try inner.decode(result) }
}

/// The tenant's data keys among `dataKeyIDs`; the others are absent. `forUpdate` locks them, in
/// id order, so two overlapping batches never deadlock.
public struct FindDataKeys: Statement {
    public static let sql = """
        SELECT \(dataKeyColumns) FROM \(dataKeysWithAlias)
        WHERE d.app_id = $1 AND d.region = $2 AND d.data_key_id = ANY($3::uuid[]) ORDER BY d.data_key_id
        """
    public let tenant: Tenant
    public let dataKeyIDs: [KeyID]
    public init(tenant: Tenant, dataKeyIDs: [KeyID]) { self.tenant = tenant; self.dataKeyIDs = dataKeyIDs }
    public var bindings: [PostgresValue] { [.int64(tenant.appId), .text(tenant.region), .textArray(dataKeyIDs.map(\.description))] }
    public func decode(_ result: QueryResult) throws -> [HostedDataKey] { try result.rows.map(HostedDataKey.init(row:)) }
}

/// The same, locking the rows.
public struct FindDataKeysForUpdate: Statement {
    public static let sql = FindDataKeys.sql + " FOR UPDATE OF d"
    public let inner: FindDataKeys
    public init(tenant: Tenant, dataKeyIDs: [KeyID]) { inner = FindDataKeys(tenant: tenant, dataKeyIDs: dataKeyIDs) }
    public var bindings: [PostgresValue] { inner.bindings }
    public func decode(_ result: QueryResult) throws -> [HostedDataKey] { try inner.decode(result) }
}

/// Writes a data key's mutable attributes back (name, description, state and schedule).
public struct UpdateDataKey: Statement {
    public static let sql = """
        UPDATE data_keys SET name = $4, description = $5, state = $6, state_before_deletion = $7, deletion_date = $8
        WHERE app_id = $1 AND region = $2 AND data_key_id = $3
        """
    public let dataKey: HostedDataKey
    public init(_ dataKey: HostedDataKey) { self.dataKey = dataKey }
    public var bindings: [PostgresValue] {
        let d = dataKey
        return [.int64(d.appId), .text(d.region), .text(d.id.description), .text(d.name), .text(d.description),
                .text(d.state.rawValue), d.stateBeforeDeletion.map { .text($0.rawValue) } ?? .null, .int64(d.deletionDate)]
    }
    public func decode(_ result: QueryResult) throws -> Bool { result.affectedRows == 1 }
}

/// Destroys a data key for good (its tags go by cascade).
public struct DeleteDataKey: Statement {
    public static let sql = "DELETE FROM data_keys WHERE app_id = $1 AND region = $2 AND data_key_id = $3"
    public let tenant: Tenant
    public let dataKeyID: KeyID
    public init(tenant: Tenant, dataKeyID: KeyID) { self.tenant = tenant; self.dataKeyID = dataKeyID }
    public var bindings: [PostgresValue] { [.int64(tenant.appId), .text(tenant.region), .text(dataKeyID.description)] }
    public func decode(_ result: QueryResult) throws -> Bool { result.affectedRows == 1 }
}

/// Frees a name still held by a data key past its DeletionDate at `now` (gone on arrival, its row
/// not yet destroyed by the scheduled worker): destroys it and its job, as the worker would.
public struct DestroyDeletedDataKeyHoldingName: Statement {
    public static let sql = """
        WITH gone AS (
            DELETE FROM data_keys WHERE app_id = $1 AND region = $2 AND name = $3
               AND state = 'PendingDelete' AND deletion_date <> 0 AND deletion_date <= $4
            RETURNING app_id, region, data_key_id)
        DELETE FROM scheduled_jobs j USING gone
        WHERE j.kind = 'delete_data_key' AND j.app_id = gone.app_id AND j.region = gone.region AND j.key_id = gone.data_key_id
        """
    public let tenant: Tenant
    public let name: String
    public let now: Int64
    public init(tenant: Tenant, name: String, now: Int64) { self.tenant = tenant; self.name = name; self.now = now }
    public var bindings: [PostgresValue] { [.int64(tenant.appId), .text(tenant.region), .text(name), .int64(now)] }
    public func decode(_ result: QueryResult) throws {}
}

/// Serialises the changes that add to a tenant's count of data keys (creation, cancelled
/// deletion) until the transaction ends, so the count read next cannot be overtaken by another
/// request's insert: the quota holds under concurrency. Other tenants are not held up.
public struct LockDataKeyQuota: Statement {
    public static let sql = "SELECT pg_advisory_xact_lock(hashtextextended('kms.data_keys:' || $1::text || ':' || $2, 0))"
    public let tenant: Tenant
    public init(tenant: Tenant) { self.tenant = tenant }
    public var bindings: [PostgresValue] { [.int64(tenant.appId), .text(tenant.region)] }
    public func decode(_ result: QueryResult) throws {}
}

/// How many of the tenant's data keys count against its quota (DataKeyUsedCount): every one
/// not PendingDelete.
public struct CountDataKeysInQuota: Statement {
    public static let sql = "SELECT count(*) FROM data_keys WHERE app_id = $1 AND region = $2 AND state <> 'PendingDelete'"
    public let tenant: Tenant
    public init(tenant: Tenant) { self.tenant = tenant }
    public var bindings: [PostgresValue] { [.int64(tenant.appId), .text(tenant.region)] }
    public func decode(_ result: QueryResult) throws -> Int {
        guard let row = try result.singleRow() else { throw StorageError("count(*) returned no row") }
        return try row.decode(Int.self, "count")
    }
}
