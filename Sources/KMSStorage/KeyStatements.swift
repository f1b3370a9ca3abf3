import KMSCore

/// The columns every key query selects.
let keyColumnNames = [
    "key_id", "app_id", "region", "alias", "description", "key_usage", "origin", "state", "creator_uin", "create_time",
    "deletion_date", "valid_to", "current_version", "rotation_enabled", "rotate_days", "next_rotate_time", "last_rotate_time",
    "min_decryption_version",
]
let keyColumns = keyColumnNames.joined(separator: ", ")

extension CustomerMasterKey {
    /// A row holding the columns of `keyColumns`.
    init(row r: Row) throws {
        self.init(
            id: try r.decode(KeyID.self, "key_id"), appId: try r.decode(Int64.self, "app_id"), region: try r.decode(String.self, "region"),
            alias: try r.decode(String.self, "alias"), description: try r.decode(String.self, "description"),
            keyUsage: try r.decode(KeyUsage.self, "key_usage"), origin: try r.decode(KeyOrigin.self, "origin"),
            state: try r.decode(KeyState.self, "state"), creatorUin: try r.decode(Int64.self, "creator_uin"),
            createTime: try r.decode(Int64.self, "create_time"), deletionDate: try r.decode(Int64.self, "deletion_date"),
            validTo: try r.decode(Int64.self, "valid_to"), currentVersion: try r.decode(UInt32.self, "current_version"),
            rotationEnabled: try r.decode(Bool.self, "rotation_enabled"), rotateDays: try r.decode(Int.self, "rotate_days"),
            nextRotateTime: try r.decode(Int64.self, "next_rotate_time"), lastRotateTime: try r.decode(Int64.self, "last_rotate_time"),
            minDecryptionVersion: try r.decode(UInt32.self, "min_decryption_version"))
    }
}

public struct InsertKey: Statement {
    public static let reusesPlan = true
    public static let sql = """
        INSERT INTO keys (\(keyColumns)) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
        """
    public let key: CustomerMasterKey
    public init(_ key: CustomerMasterKey) { self.key = key }
    public var bindings: [PostgresValue] {
        [.text(key.id.description), .int64(key.appId), .text(key.region), .text(key.alias), .text(key.description),
         .text(key.keyUsage.rawValue), .text(key.origin.rawValue), .text(key.state.rawValue), .int64(key.creatorUin),
         .int64(key.createTime), .int64(key.deletionDate), .int64(key.validTo), .int64(Int64(key.currentVersion)),
         .bool(key.rotationEnabled), .int64(Int64(key.rotateDays)), .int64(key.nextRotateTime), .int64(key.lastRotateTime),
         .int64(Int64(key.minDecryptionVersion))]
    }
    public func decode(_ result: QueryResult) throws {}
}

public struct InsertKeyMaterial: Statement {
    public static let reusesPlan = true
    public static let sql = """
        INSERT INTO key_material (app_id, region, key_id, version, material_sealed, created_at) VALUES ($1, $2, $3, $4, $5, $6)
        """
    public let tenant: Tenant
    public let keyID: KeyID
    public let version: UInt32
    public let sealed: [UInt8]
    public let createdAt: Int64
    public init(tenant: Tenant, keyID: KeyID, version: UInt32, sealed: [UInt8], createdAt: Int64) {
        self.tenant = tenant; self.keyID = keyID; self.version = version; self.sealed = sealed; self.createdAt = createdAt
    }
    public var bindings: [PostgresValue] {
        [.int64(tenant.appId), .text(tenant.region), .text(keyID.description), .int64(Int64(version)), .bytes(sealed), .int64(createdAt)]
    }
    public func decode(_ result: QueryResult) throws {}
}

/// One key of the tenant, or nil. `forUpdate` locks the row for a state change.
public struct FindKey: Statement {
    public static let sql = "SELECT \(keyColumns) FROM keys WHERE app_id = $1 AND region = $2 AND key_id = $3"
    public let tenant: Tenant
    public let keyID: KeyID
    public init(tenant: Tenant, keyID: KeyID) { self.tenant = tenant; self.keyID = keyID }
    public var bindings: [PostgresValue] { [.int64(tenant.appId), .text(tenant.region), .text(keyID.description)] }
    public func decode(_ result: QueryResult) throws -> CustomerMasterKey? {
        try result.singleRow().map(CustomerMasterKey.init(row:))
    }
}

/// The tenant's key holding `alias` (unique in a region), or nil: how a seed file finds a key it
/// names without a KeyId.
public struct FindKeyByAlias: Statement {
    public static let sql = "SELECT \(keyColumns) FROM keys WHERE app_id = $1 AND region = $2 AND alias = $3"
    public let tenant: Tenant
    public let alias: String
    public init(tenant: Tenant, alias: String) { self.tenant = tenant; self.alias = alias }
    public var bindings: [PostgresValue] { [.int64(tenant.appId), .text(tenant.region), .text(alias)] }
    public func decode(_ result: QueryResult) throws -> CustomerMasterKey? {
        try result.singleRow().map(CustomerMasterKey.init(row:))
    }
}

/// The same, locking the row until the transaction ends (state changes).
public struct FindKeyForUpdate: Statement {
    public static let sql = FindKey.sql + " FOR UPDATE"
    public let inner: FindKey
    public init(tenant: Tenant, keyID: KeyID) { inner = FindKey(tenant: tenant, keyID: keyID) }
    public var bindings: [PostgresValue] { inner.bindings }
    public func decode(_ result: QueryResult) throws -> CustomerMasterKey? { try inner.decode(result) }
}

/// A key together with one sealed material version (the newest when `version` is nil).
public struct FindKeyWithMaterial: Statement {
    public static let sql = """
        SELECT \(keyColumnNames.map { "k." + $0 }.joined(separator: ", ")),
               m.version, m.material_sealed
        FROM keys k LEFT JOIN key_material m
          ON m.app_id = k.app_id AND m.region = k.region AND m.key_id = k.key_id
         AND m.version = COALESCE($4::bigint, k.current_version)
        WHERE k.app_id = $1 AND k.region = $2 AND k.key_id = $3
        """
    public let tenant: Tenant
    public let keyID: KeyID
    public let version: UInt32?
    public init(tenant: Tenant, keyID: KeyID, version: UInt32?) { self.tenant = tenant; self.keyID = keyID; self.version = version }
    public var bindings: [PostgresValue] {
        [.int64(tenant.appId), .text(tenant.region), .text(keyID.description), version.map { .int64(Int64($0)) } ?? .null]
    }
    /// `version` is the material's, or the one asked for (the newest: the key's current version)
    /// when that version has no material.
    public func decode(_ result: QueryResult) throws -> (key: CustomerMasterKey, version: UInt32, sealed: [UInt8]?)? {
        guard let row = try result.singleRow() else { return nil }
        let key = try CustomerMasterKey(row: row)
        // The material is LEFT JOINed: both columns NULL when the version has none, never one alone.
        guard let materialVersion = try row.decode(UInt32?.self, "version") else {
            return (key, version ?? key.currentVersion, nil)
        }
        return (key, materialVersion, try row.decode([UInt8].self, "material_sealed"))
    }
}

/// The tenant's keys among `keyIDs`; the others are silently absent.
public struct FindKeys: Statement {
    public static let sql = "SELECT \(keyColumns) FROM keys WHERE app_id = $1 AND region = $2 AND key_id = ANY($3::uuid[]) ORDER BY create_time, key_id"
    public let tenant: Tenant
    public let keyIDs: [KeyID]
    public init(tenant: Tenant, keyIDs: [KeyID]) { self.tenant = tenant; self.keyIDs = keyIDs }
    public var bindings: [PostgresValue] { [.int64(tenant.appId), .text(tenant.region), .textArray(keyIDs.map(\.description))] }
    public func decode(_ result: QueryResult) throws -> [CustomerMasterKey] {
        try result.rows.map(CustomerMasterKey.init(row:))
    }
}

/// Filters of ListKeys and ListKeyDetail; nil means "any".
public struct KeyQuery: Sendable {
    public var states: [KeyState]
    public var origin: KeyOrigin?
    public var keyUsage: KeyUsage?
    /// Substring of the key id or alias.
    public var search: String?
    /// ListKeyDetail's TagFilters: every one must match (empty: no filtering).
    public var tagFilters: [KeyTagFilter]
    public var newestFirst: Bool
    public var offset: Int
    public var limit: Int
    /// Unix seconds of the request: keys past their DeletionDate at `now` are gone, and neither
    /// listed nor counted, even before the scheduled worker has destroyed them.
    public var now: Int64
    public init(states: [KeyState], origin: KeyOrigin? = nil, keyUsage: KeyUsage? = nil, search: String? = nil,
                tagFilters: [KeyTagFilter] = [], newestFirst: Bool = true, offset: Int, limit: Int, now: Int64) {
        self.states = states; self.origin = origin; self.keyUsage = keyUsage; self.search = search; self.tagFilters = tagFilters
        self.newestFirst = newestFirst; self.offset = offset; self.limit = limit; self.now = now
    }
}

/// A page of keys and the count before paging.
public struct ListKeysPage: Statement {
    public static let sql = """
        SELECT \(keyColumns), count(*) OVER () FROM keys
        WHERE app_id = $1 AND region = $2 AND state = ANY($3::text[])
          AND ($4::text IS NULL OR origin = $4) AND ($5::text IS NULL OR key_usage = $5)
          AND ($6::text IS NULL OR strpos(key_id::text, lower($6)) > 0 OR strpos(alias, $6) > 0)
          AND NOT (state = 'PendingDelete' AND deletion_date <> 0 AND deletion_date <= $10)
          AND \(TagFilterCondition.sql(first: 11))
        ORDER BY CASE WHEN $7 THEN -create_time ELSE create_time END, key_id
        OFFSET $8 LIMIT $9
        """
    public let tenant: Tenant
    public let query: KeyQuery
    public init(tenant: Tenant, query: KeyQuery) { self.tenant = tenant; self.query = query }
    public var bindings: [PostgresValue] {
        [.int64(tenant.appId), .text(tenant.region), .textArray(query.states.map(\.rawValue)),
         query.origin.map { .text($0.rawValue) } ?? .null, query.keyUsage.map { .text($0.rawValue) } ?? .null,
         query.search.map(PostgresValue.text) ?? .null, .bool(query.newestFirst),
         .int64(Int64(query.offset)), .int64(Int64(query.limit)), .int64(query.now)]
            + TagFilterCondition.bindings(query.tagFilters)
    }
    public func decode(_ result: QueryResult) throws -> (total: Int, keys: [CustomerMasterKey]) {
        let rows = result.rows
        return (try rows.first?.decode(Int.self, "count") ?? 0, try rows.map(CustomerMasterKey.init(row:)))
    }
}

/// The count alone, for a page past the end (OFFSET beyond the rows yields no window count).
public struct CountKeys: Statement {
    public static let sql = """
        SELECT count(*) FROM keys
        WHERE app_id = $1 AND region = $2 AND state = ANY($3::text[])
          AND ($4::text IS NULL OR origin = $4) AND ($5::text IS NULL OR key_usage = $5)
          AND ($6::text IS NULL OR strpos(key_id::text, lower($6)) > 0 OR strpos(alias, $6) > 0)
          AND NOT (state = 'PendingDelete' AND deletion_date <> 0 AND deletion_date <= $7)
          AND \(TagFilterCondition.sql(first: 8))
        """
    public let page: ListKeysPage
    public init(tenant: Tenant, query: KeyQuery) { page = ListKeysPage(tenant: tenant, query: query) }
    public var bindings: [PostgresValue] {
        Array(page.bindings.prefix(6)) + [.int64(page.query.now)] + TagFilterCondition.bindings(page.query.tagFilters)
    }
    public func decode(_ result: QueryResult) throws -> Int {
        guard let row = try result.singleRow() else { throw StorageError("count(*) returned no row") }
        return try row.decode(Int.self, "count")
    }
}

/// Writes the mutable attributes of a key back (state, alias, description, schedule fields).
public struct UpdateKey: Statement {
    public static let sql = """
        UPDATE keys SET alias = $4, description = $5, state = $6, deletion_date = $7, valid_to = $8,
               current_version = $9, rotation_enabled = $10, rotate_days = $11, next_rotate_time = $12, last_rotate_time = $13,
               min_decryption_version = $14
        WHERE app_id = $1 AND region = $2 AND key_id = $3
        """
    public let key: CustomerMasterKey
    public init(_ key: CustomerMasterKey) { self.key = key }
    public var bindings: [PostgresValue] {
        [.int64(key.appId), .text(key.region), .text(key.id.description), .text(key.alias), .text(key.description),
         .text(key.state.rawValue), .int64(key.deletionDate), .int64(key.validTo), .int64(Int64(key.currentVersion)),
         .bool(key.rotationEnabled), .int64(Int64(key.rotateDays)), .int64(key.nextRotateTime), .int64(key.lastRotateTime),
         .int64(Int64(key.minDecryptionVersion))]
    }
    public func decode(_ result: QueryResult) throws -> Bool { result.affectedRows == 1 }
}


/// Frees an alias still held by a key past its DeletionDate at `now` (gone on arrival, its row not
/// yet destroyed by the scheduled worker): destroys that key and its jobs, as the worker would.
public struct DestroyDeletedKeyHoldingAlias: Statement {
    public static let sql = """
        WITH gone AS (
            DELETE FROM keys WHERE app_id = $1 AND region = $2 AND alias = $3
               AND state = 'PendingDelete' AND deletion_date <> 0 AND deletion_date <= $4
            RETURNING app_id, region, key_id)
        DELETE FROM scheduled_jobs j USING gone
        WHERE j.app_id = gone.app_id AND j.region = gone.region AND j.key_id = gone.key_id
        """
    public let tenant: Tenant
    public let alias: String
    public let now: Int64
    public init(tenant: Tenant, alias: String, now: Int64) { self.tenant = tenant; self.alias = alias; self.now = now }
    public var bindings: [PostgresValue] { [.int64(tenant.appId), .text(tenant.region), .text(alias), .int64(now)] }
    public func decode(_ result: QueryResult) throws {}
}

/// Destroys a key for good: its row, and by cascade every material version and import parameter set.
public struct DeleteKey: Statement {
    public static let sql = "DELETE FROM keys WHERE app_id = $1 AND region = $2 AND key_id = $3"
    public let tenant: Tenant
    public let keyID: KeyID
    public init(tenant: Tenant, keyID: KeyID) { self.tenant = tenant; self.keyID = keyID }
    public var bindings: [PostgresValue] { [.int64(tenant.appId), .text(tenant.region), .text(keyID.description)] }
    public func decode(_ result: QueryResult) throws -> Bool { result.affectedRows == 1 }
}
