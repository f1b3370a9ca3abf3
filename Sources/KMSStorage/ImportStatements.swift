import KMSCore

/// A stored GetParametersForImport answer (the private key still sealed).
public struct ImportParametersRow: Sendable {
    public let keyID: KeyID
    public let tokenHash: [UInt8]
    public let wrappingAlgorithm: String
    public let wrappingKeySpec: String
    public let privateKeySealed: [UInt8]
    public let validTo: Int64
    public init(keyID: KeyID, tokenHash: [UInt8], wrappingAlgorithm: String, wrappingKeySpec: String,
                privateKeySealed: [UInt8], validTo: Int64) {
        self.keyID = keyID; self.tokenHash = tokenHash; self.wrappingAlgorithm = wrappingAlgorithm
        self.wrappingKeySpec = wrappingKeySpec; self.privateKeySealed = privateKeySealed; self.validTo = validTo
    }
}

extension ImportParametersRow {
    /// A row with key_id, token_hash, wrapping_algorithm, wrapping_key_spec, private_key_sealed, valid_to.
    init(row: Row) throws {
        self.init(keyID: try row.decode(KeyID.self, "key_id"), tokenHash: try row.decode([UInt8].self, "token_hash"),
                  wrappingAlgorithm: try row.decode(String.self, "wrapping_algorithm"),
                  wrappingKeySpec: try row.decode(String.self, "wrapping_key_spec"),
                  privateKeySealed: try row.decode([UInt8].self, "private_key_sealed"), validTo: try row.decode(Int64.self, "valid_to"))
    }
}

public struct InsertImportParameters: Statement {
    public static let reusesPlan = true
    public static let sql = """
        INSERT INTO import_parameters (app_id, region, key_id, token_hash, wrapping_algorithm, wrapping_key_spec,
                                       private_key_sealed, valid_to, created_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
        """
    public let tenant: Tenant
    public let row: ImportParametersRow
    public let createdAt: Int64
    public init(tenant: Tenant, row: ImportParametersRow, createdAt: Int64) { self.tenant = tenant; self.row = row; self.createdAt = createdAt }
    public var bindings: [PostgresValue] {
        [.int64(tenant.appId), .text(tenant.region), .text(row.keyID.description), .bytes(row.tokenHash), .text(row.wrappingAlgorithm),
         .text(row.wrappingKeySpec), .bytes(row.privateKeySealed), .int64(row.validTo), .int64(createdAt)]
    }
    public func decode(_ result: QueryResult) throws {}
}

/// Unexpired parameter sets of one key and of the whole tenant, for the limits.
public struct CountLiveImportParameters: Statement {
    public static let sql = """
        SELECT count(*) FILTER (WHERE key_id = $3) AS for_key, count(*) AS for_tenant FROM import_parameters
        WHERE app_id = $1 AND region = $2 AND valid_to > $4
        """
    public let tenant: Tenant
    public let keyID: KeyID
    public let now: Int64
    public init(tenant: Tenant, keyID: KeyID, now: Int64) { self.tenant = tenant; self.keyID = keyID; self.now = now }
    public var bindings: [PostgresValue] { [.int64(tenant.appId), .text(tenant.region), .text(keyID.description), .int64(now)] }
    public func decode(_ result: QueryResult) throws -> (forKey: Int, forTenant: Int) {
        guard let row = try result.singleRow() else { throw StorageError("count(*) returned no row") }
        return (try row.decode(Int.self, "for_key"), try row.decode(Int.self, "for_tenant"))
    }
}

/// Removes a key's oldest parameter sets so that at most `keep` remain.
public struct EvictOldestImportParameters: Statement {
    public static let sql = """
        DELETE FROM import_parameters WHERE app_id = $1 AND region = $2 AND key_id = $3 AND token_hash IN (
            SELECT token_hash FROM import_parameters WHERE app_id = $1 AND region = $2 AND key_id = $3
            ORDER BY created_at DESC, token_hash OFFSET $4)
        """
    public let tenant: Tenant
    public let keyID: KeyID
    public let keep: Int
    public init(tenant: Tenant, keyID: KeyID, keep: Int) { self.tenant = tenant; self.keyID = keyID; self.keep = keep }
    public var bindings: [PostgresValue] { [.int64(tenant.appId), .text(tenant.region), .text(keyID.description), .int64(Int64(keep))] }
    public func decode(_ result: QueryResult) throws -> Int { result.affectedRows }
}

/// The parameter set an ImportToken names, within the tenant; nil if none.
public struct FindImportParameters: Statement {
    public static let sql = """
        SELECT key_id, token_hash, wrapping_algorithm, wrapping_key_spec, private_key_sealed, valid_to
        FROM import_parameters WHERE app_id = $1 AND region = $2 AND token_hash = $3 FOR UPDATE
        """
    public let tenant: Tenant
    public let tokenHash: [UInt8]
    public init(tenant: Tenant, tokenHash: [UInt8]) { self.tenant = tenant; self.tokenHash = tokenHash }
    public var bindings: [PostgresValue] { [.int64(tenant.appId), .text(tenant.region), .bytes(tokenHash)] }
    public func decode(_ result: QueryResult) throws -> ImportParametersRow? {
        try result.singleRow().map(ImportParametersRow.init(row:))
    }
}

/// Spends a token.
public struct DeleteImportParameters: Statement {
    public static let sql = "DELETE FROM import_parameters WHERE app_id = $1 AND region = $2 AND token_hash = $3"
    public let tenant: Tenant
    public let tokenHash: [UInt8]
    public init(tenant: Tenant, tokenHash: [UInt8]) { self.tenant = tenant; self.tokenHash = tokenHash }
    public var bindings: [PostgresValue] { [.int64(tenant.appId), .text(tenant.region), .bytes(tokenHash)] }
    public func decode(_ result: QueryResult) throws -> Bool { result.affectedRows == 1 }
}

/// At expiry a parameter set's private key is wiped at once; the row stays as a tombstone for
/// `tombstone` seconds so a late import is told TokenExpired, then goes. Returns when the key's
/// parameter sets next need this job (nil when none remain).
public struct PurgeExpiredImportParameters: Statement {
    public static let sql = """
        WITH wiped AS (
            UPDATE import_parameters SET private_key_sealed = '\\x'::bytea
            WHERE app_id = $1 AND region = $2 AND key_id = $3 AND valid_to <= $4 AND private_key_sealed <> '\\x'::bytea),
        gone AS (
            DELETE FROM import_parameters WHERE app_id = $1 AND region = $2 AND key_id = $3 AND valid_to <= $4 - $5)
        SELECT min(CASE WHEN valid_to > $4 THEN valid_to ELSE valid_to + $5 END) AS next_due FROM import_parameters
        WHERE app_id = $1 AND region = $2 AND key_id = $3 AND valid_to > $4 - $5
        """
    public let tenant: Tenant
    public let keyID: KeyID
    public let now: Int64
    public let tombstone: Int64
    public init(tenant: Tenant, keyID: KeyID, now: Int64, tombstone: Int64) {
        self.tenant = tenant; self.keyID = keyID; self.now = now; self.tombstone = tombstone
    }
    public var bindings: [PostgresValue] { [.int64(tenant.appId), .text(tenant.region), .text(keyID.description), .int64(now), .int64(tombstone)] }
    public func decode(_ result: QueryResult) throws -> Int64? {
        // An aggregate: always one row, NULL when no parameter set is left.
        guard let row = try result.singleRow() else { throw StorageError("min() returned no row") }
        return try row.decode(Int64?.self, "next_due")
    }
}

public struct SetMaterialFingerprint: Statement {
    public static let sql = "UPDATE keys SET material_fingerprint = $4 WHERE app_id = $1 AND region = $2 AND key_id = $3"
    public let tenant: Tenant
    public let keyID: KeyID
    public let fingerprint: [UInt8]
    public init(tenant: Tenant, keyID: KeyID, fingerprint: [UInt8]) { self.tenant = tenant; self.keyID = keyID; self.fingerprint = fingerprint }
    public var bindings: [PostgresValue] { [.int64(tenant.appId), .text(tenant.region), .text(keyID.description), .bytes(fingerprint)] }
    public func decode(_ result: QueryResult) throws {}
}

/// Stores (or re-stores, on re-import of the same material) one sealed material version.
public struct UpsertKeyMaterial: Statement {
    public static let sql = InsertKeyMaterial.sql + """
         ON CONFLICT (app_id, region, key_id, version) DO UPDATE SET material_sealed = EXCLUDED.material_sealed,
            created_at = EXCLUDED.created_at
        """
    public let inner: InsertKeyMaterial
    public init(tenant: Tenant, keyID: KeyID, version: UInt32, sealed: [UInt8], createdAt: Int64) {
        inner = InsertKeyMaterial(tenant: tenant, keyID: keyID, version: version, sealed: sealed, createdAt: createdAt)
    }
    public var bindings: [PostgresValue] { inner.bindings }
    public func decode(_ result: QueryResult) throws {}
}

/// Destroys every material version of a key.
public struct DeleteKeyMaterial: Statement {
    public static let sql = "DELETE FROM key_material WHERE app_id = $1 AND region = $2 AND key_id = $3"
    public let tenant: Tenant
    public let keyID: KeyID
    public init(tenant: Tenant, keyID: KeyID) { self.tenant = tenant; self.keyID = keyID }
    public var bindings: [PostgresValue] { [.int64(tenant.appId), .text(tenant.region), .text(keyID.description)] }
    public func decode(_ result: QueryResult) throws -> Int { result.affectedRows }
}
