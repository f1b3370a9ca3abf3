import KMSCore

/// The columns every key query selects, in the order `decodeKey` reads them.
let keyColumnNames = [
    "key_id", "app_id", "region", "alias", "description", "key_usage", "origin", "state", "creator_uin", "create_time",
    "deletion_date", "valid_to", "current_version", "rotation_enabled", "rotate_days", "next_rotate_time", "last_rotate_time",
]
let keyColumns = keyColumnNames.joined(separator: ", ")

func decodeKey(_ r: QueryResult, _ row: Int) throws -> CustomerMasterKey {
    guard let id = r.string(row, 0).flatMap(KeyID.init), let origin = r.string(row, 6).flatMap(KeyOrigin.init),
          let state = r.string(row, 7).flatMap(KeyState.init) else {
        throw StorageError("undecodable key row")
    }
    return CustomerMasterKey(
        id: id, appId: r.int64(row, 1), region: r.string(row, 2) ?? "", alias: r.string(row, 3) ?? "",
        description: r.string(row, 4) ?? "", keyUsage: r.string(row, 5) ?? "", origin: origin, state: state,
        creatorUin: r.int64(row, 8), createTime: r.int64(row, 9), deletionDate: r.int64(row, 10),
        validTo: r.int64(row, 11), currentVersion: UInt32(clamping: r.int64(row, 12)), rotationEnabled: r.bool(row, 13),
        rotateDays: Int(r.int64(row, 14)), nextRotateTime: r.int64(row, 15), lastRotateTime: r.int64(row, 16))
}

public struct InsertKey: PreparedStatement {
    public static let name = "insert_key"
    public static let sql = """
        INSERT INTO keys (\(keyColumns)) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
        """
    public let key: CustomerMasterKey
    public init(_ key: CustomerMasterKey) { self.key = key }
    public var bindings: [String?] {
        [key.id.description, String(key.appId), key.region, key.alias, key.description, key.keyUsage, key.origin.rawValue,
         key.state.rawValue, String(key.creatorUin), String(key.createTime), String(key.deletionDate), String(key.validTo),
         String(key.currentVersion), key.rotationEnabled ? "true" : "false", String(key.rotateDays),
         String(key.nextRotateTime), String(key.lastRotateTime)]
    }
    public func decode(_ result: QueryResult) throws {}
}

public struct InsertKeyMaterial: PreparedStatement {
    public static let name = "insert_key_material"
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
    public var bindings: [String?] {
        [String(tenant.appId), tenant.region, keyID.description, String(version), Bytea.encode(sealed), String(createdAt)]
    }
    public func decode(_ result: QueryResult) throws {}
}

/// One key of the tenant, or nil. `forUpdate` locks the row for a state change.
public struct FindKey: Statement {
    public static let sql = "SELECT \(keyColumns) FROM keys WHERE app_id = $1 AND region = $2 AND key_id = $3"
    public let tenant: Tenant
    public let keyID: KeyID
    public init(tenant: Tenant, keyID: KeyID) { self.tenant = tenant; self.keyID = keyID }
    public var bindings: [String?] { [String(tenant.appId), tenant.region, keyID.description] }
    public func decode(_ result: QueryResult) throws -> CustomerMasterKey? {
        result.rowCount == 1 ? try decodeKey(result, 0) : nil
    }
}

/// The same, locking the row until the transaction ends (state changes).
public struct FindKeyForUpdate: Statement {
    public static let sql = FindKey.sql + " FOR UPDATE"
    public let inner: FindKey
    public init(tenant: Tenant, keyID: KeyID) { inner = FindKey(tenant: tenant, keyID: keyID) }
    public var bindings: [String?] { inner.bindings }
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
    public var bindings: [String?] { [String(tenant.appId), tenant.region, keyID.description, version.map { String($0) }] }
    public func decode(_ result: QueryResult) throws -> (key: CustomerMasterKey, version: UInt32, sealed: [UInt8]?)? {
        guard result.rowCount == 1 else { return nil }
        return (try decodeKey(result, 0), UInt32(clamping: result.int64(0, 17)), result.bytes(0, 18))
    }
}

/// The tenant's keys among `keyIDs`; the others are silently absent.
public struct FindKeys: Statement {
    public static let sql = "SELECT \(keyColumns) FROM keys WHERE app_id = $1 AND region = $2 AND key_id = ANY($3::uuid[]) ORDER BY create_time, key_id"
    public let tenant: Tenant
    public let keyIDs: [KeyID]
    public init(tenant: Tenant, keyIDs: [KeyID]) { self.tenant = tenant; self.keyIDs = keyIDs }
    public var bindings: [String?] {
        [String(tenant.appId), tenant.region, "{" + keyIDs.map(\.description).joined(separator: ",") + "}"]
    }
    public func decode(_ result: QueryResult) throws -> [CustomerMasterKey] {
        try (0..<result.rowCount).map { try decodeKey(result, $0) }
    }
}

/// Filters of ListKeys and ListKeyDetail; nil means "any".
public struct KeyQuery: Sendable {
    public var states: [KeyState]
    public var origin: KeyOrigin?
    public var keyUsage: String?
    /// Substring of the key id or alias.
    public var search: String?
    public var newestFirst: Bool
    public var offset: Int
    public var limit: Int
    /// Unix seconds of the request: keys past their DeletionDate at `now` are gone, and neither
    /// listed nor counted, even before the scheduled worker has destroyed them.
    public var now: Int64
    public init(states: [KeyState], origin: KeyOrigin? = nil, keyUsage: String? = nil, search: String? = nil,
                newestFirst: Bool = true, offset: Int, limit: Int, now: Int64) {
        self.states = states; self.origin = origin; self.keyUsage = keyUsage; self.search = search
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
        ORDER BY CASE WHEN $7 THEN -create_time ELSE create_time END, key_id
        OFFSET $8 LIMIT $9
        """
    public let tenant: Tenant
    public let query: KeyQuery
    public init(tenant: Tenant, query: KeyQuery) { self.tenant = tenant; self.query = query }
    public var bindings: [String?] {
        [String(tenant.appId), tenant.region, "{" + query.states.map(\.rawValue).joined(separator: ",") + "}",
         query.origin?.rawValue, query.keyUsage, query.search, query.newestFirst ? "true" : "false",
         String(query.offset), String(query.limit), String(query.now)]
    }
    public func decode(_ result: QueryResult) throws -> (total: Int, keys: [CustomerMasterKey]) {
        let keys = try (0..<result.rowCount).map { try decodeKey(result, $0) }
        return (result.rowCount > 0 ? Int(result.int64(0, 17)) : 0, keys)
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
        """
    public let page: ListKeysPage
    public init(tenant: Tenant, query: KeyQuery) { page = ListKeysPage(tenant: tenant, query: query) }
    public var bindings: [String?] { Array(page.bindings.prefix(6)) + [String(page.query.now)] }
    public func decode(_ result: QueryResult) throws -> Int { Int(result.int64(0, 0)) }
}

/// Writes the mutable attributes of a key back (state, alias, description, schedule fields).
public struct UpdateKey: Statement {
    public static let sql = """
        UPDATE keys SET alias = $4, description = $5, state = $6, deletion_date = $7, valid_to = $8,
               current_version = $9, rotation_enabled = $10, rotate_days = $11, next_rotate_time = $12, last_rotate_time = $13
        WHERE app_id = $1 AND region = $2 AND key_id = $3
        """
    public let key: CustomerMasterKey
    public init(_ key: CustomerMasterKey) { self.key = key }
    public var bindings: [String?] {
        [String(key.appId), key.region, key.id.description, key.alias, key.description, key.state.rawValue,
         String(key.deletionDate), String(key.validTo), String(key.currentVersion), key.rotationEnabled ? "true" : "false",
         String(key.rotateDays), String(key.nextRotateTime), String(key.lastRotateTime)]
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
    public var bindings: [String?] { [String(tenant.appId), tenant.region, alias, String(now)] }
    public func decode(_ result: QueryResult) throws {}
}

/// Destroys a key for good: its row, and by cascade every material version and import parameter set.
public struct DeleteKey: Statement {
    public static let sql = "DELETE FROM keys WHERE app_id = $1 AND region = $2 AND key_id = $3"
    public let tenant: Tenant
    public let keyID: KeyID
    public init(tenant: Tenant, keyID: KeyID) { self.tenant = tenant; self.keyID = keyID }
    public var bindings: [String?] { [String(tenant.appId), tenant.region, keyID.description] }
    public func decode(_ result: QueryResult) throws -> Bool { result.affectedRows == 1 }
}
