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

public struct InsertImportParameters: PreparedStatement {
    public static let name = "insert_import_parameters"
    public static let sql = """
        INSERT INTO import_parameters (app_id, region, key_id, token_hash, wrapping_algorithm, wrapping_key_spec,
                                       private_key_sealed, valid_to, created_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
        """
    public let tenant: Tenant
    public let row: ImportParametersRow
    public let createdAt: Int64
    public init(tenant: Tenant, row: ImportParametersRow, createdAt: Int64) { self.tenant = tenant; self.row = row; self.createdAt = createdAt }
    public var bindings: [String?] {
        [String(tenant.appId), tenant.region, row.keyID.description, Bytea.encode(row.tokenHash), row.wrappingAlgorithm,
         row.wrappingKeySpec, Bytea.encode(row.privateKeySealed), String(row.validTo), String(createdAt)]
    }
    public func decode(_ result: QueryResult) throws {}
}

/// Unexpired parameter sets of one key and of the whole tenant, for the limits.
public struct CountLiveImportParameters: Statement {
    public static let sql = """
        SELECT count(*) FILTER (WHERE key_id = $3), count(*) FROM import_parameters
        WHERE app_id = $1 AND region = $2 AND valid_to > $4
        """
    public let tenant: Tenant
    public let keyID: KeyID
    public let now: Int64
    public init(tenant: Tenant, keyID: KeyID, now: Int64) { self.tenant = tenant; self.keyID = keyID; self.now = now }
    public var bindings: [String?] { [String(tenant.appId), tenant.region, keyID.description, String(now)] }
    public func decode(_ result: QueryResult) throws -> (forKey: Int, forTenant: Int) {
        (Int(result.int64(0, 0)), Int(result.int64(0, 1)))
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
    public var bindings: [String?] { [String(tenant.appId), tenant.region, keyID.description, String(keep)] }
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
    public var bindings: [String?] { [String(tenant.appId), tenant.region, Bytea.encode(tokenHash)] }
    public func decode(_ result: QueryResult) throws -> ImportParametersRow? {
        guard result.rowCount == 1, let id = result.string(0, 0).flatMap(KeyID.init), let hash = result.bytes(0, 1),
              let sealed = result.bytes(0, 4) else { return nil }
        return ImportParametersRow(keyID: id, tokenHash: hash, wrappingAlgorithm: result.string(0, 2) ?? "",
                                   wrappingKeySpec: result.string(0, 3) ?? "", privateKeySealed: sealed, validTo: result.int64(0, 5))
    }
}

/// Spends a token.
public struct DeleteImportParameters: Statement {
    public static let sql = "DELETE FROM import_parameters WHERE app_id = $1 AND region = $2 AND token_hash = $3"
    public let tenant: Tenant
    public let tokenHash: [UInt8]
    public init(tenant: Tenant, tokenHash: [UInt8]) { self.tenant = tenant; self.tokenHash = tokenHash }
    public var bindings: [String?] { [String(tenant.appId), tenant.region, Bytea.encode(tokenHash)] }
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
        SELECT min(CASE WHEN valid_to > $4 THEN valid_to ELSE valid_to + $5 END) FROM import_parameters
        WHERE app_id = $1 AND region = $2 AND key_id = $3 AND valid_to > $4 - $5
        """
    public let tenant: Tenant
    public let keyID: KeyID
    public let now: Int64
    public let tombstone: Int64
    public init(tenant: Tenant, keyID: KeyID, now: Int64, tombstone: Int64) {
        self.tenant = tenant; self.keyID = keyID; self.now = now; self.tombstone = tombstone
    }
    public var bindings: [String?] { [String(tenant.appId), tenant.region, keyID.description, String(now), String(tombstone)] }
    public func decode(_ result: QueryResult) throws -> Int64? { result.isNull(0, 0) ? nil : result.int64(0, 0) }
}

/// The keyed fingerprint of the material a key was given (nil before the first import).
public struct FindMaterialFingerprint: Statement {
    public static let sql = "SELECT material_fingerprint FROM keys WHERE app_id = $1 AND region = $2 AND key_id = $3"
    public let tenant: Tenant
    public let keyID: KeyID
    public init(tenant: Tenant, keyID: KeyID) { self.tenant = tenant; self.keyID = keyID }
    public var bindings: [String?] { [String(tenant.appId), tenant.region, keyID.description] }
    public func decode(_ result: QueryResult) throws -> [UInt8]? { result.rowCount == 1 ? result.bytes(0, 0) : nil }
}

public struct SetMaterialFingerprint: Statement {
    public static let sql = "UPDATE keys SET material_fingerprint = $4 WHERE app_id = $1 AND region = $2 AND key_id = $3"
    public let tenant: Tenant
    public let keyID: KeyID
    public let fingerprint: [UInt8]
    public init(tenant: Tenant, keyID: KeyID, fingerprint: [UInt8]) { self.tenant = tenant; self.keyID = keyID; self.fingerprint = fingerprint }
    public var bindings: [String?] { [String(tenant.appId), tenant.region, keyID.description, Bytea.encode(fingerprint)] }
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
    public var bindings: [String?] { inner.bindings }
    public func decode(_ result: QueryResult) throws {}
}

/// Destroys every material version of a key.
public struct DeleteKeyMaterial: Statement {
    public static let sql = "DELETE FROM key_material WHERE app_id = $1 AND region = $2 AND key_id = $3"
    public let tenant: Tenant
    public let keyID: KeyID
    public init(tenant: Tenant, keyID: KeyID) { self.tenant = tenant; self.keyID = keyID }
    public var bindings: [String?] { [String(tenant.appId), tenant.region, keyID.description] }
    public func decode(_ result: QueryResult) throws -> Int { result.affectedRows }
}
