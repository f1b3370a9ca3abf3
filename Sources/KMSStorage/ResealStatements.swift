import KMSCore

/// One sealed value and the identity of its row, for re-sealing under a new master key.
public struct SealedRow: Sendable {
    /// Identifies the row to the matching update statement (e.g. secret id, or key id + version).
    public let id: [String]
    public let sealed: [UInt8]
}

/// Every credential's sealed secret (credentials carry no tenant).
public struct ListSealedCredentials: Statement {
    public static let sql = "SELECT secret_id, secret_key_sealed FROM credentials ORDER BY secret_id FOR UPDATE"
    public init() {}
    public var bindings: [String?] { [] }
    public func decode(_ r: QueryResult) throws -> [SealedRow] {
        (0..<r.rowCount).map { SealedRow(id: [r.string($0, 0) ?? ""], sealed: r.bytes($0, 1) ?? []) }
    }
}

public struct UpdateSealedCredential: Statement {
    public static let sql = "UPDATE credentials SET secret_key_sealed = $2 WHERE secret_id = $1"
    public let secretId: String
    public let sealed: [UInt8]
    public init(secretId: String, sealed: [UInt8]) { self.secretId = secretId; self.sealed = sealed }
    public var bindings: [String?] { [secretId, Bytea.encode(sealed)] }
    public func decode(_ result: QueryResult) throws {}
}

/// Every material version of the tenant, locked until the transaction ends.
public struct ListSealedMaterial: Statement {
    public static let sql = """
        SELECT key_id, version, material_sealed FROM key_material WHERE app_id = $1 AND region = $2
        ORDER BY key_id, version FOR UPDATE
        """
    public let tenant: Tenant
    public init(tenant: Tenant) { self.tenant = tenant }
    public var bindings: [String?] { [String(tenant.appId), tenant.region] }
    public func decode(_ r: QueryResult) throws -> [SealedRow] {
        (0..<r.rowCount).map { SealedRow(id: [r.string($0, 0) ?? "", r.string($0, 1) ?? ""], sealed: r.bytes($0, 2) ?? []) }
    }
}

public struct UpdateSealedMaterial: Statement {
    public static let sql = "UPDATE key_material SET material_sealed = $5 WHERE app_id = $1 AND region = $2 AND key_id = $3 AND version = $4"
    public let tenant: Tenant
    public let keyID: String
    public let version: String
    public let sealed: [UInt8]
    public init(tenant: Tenant, keyID: String, version: String, sealed: [UInt8]) {
        self.tenant = tenant; self.keyID = keyID; self.version = version; self.sealed = sealed
    }
    public var bindings: [String?] { [String(tenant.appId), tenant.region, keyID, version, Bytea.encode(sealed)] }
    public func decode(_ result: QueryResult) throws {}
}

/// Every unexpired import private key of the tenant (wiped tombstones hold nothing).
public struct ListSealedImportKeys: Statement {
    public static let sql = """
        SELECT key_id, encode(token_hash, 'hex'), private_key_sealed FROM import_parameters
        WHERE app_id = $1 AND region = $2 AND length(private_key_sealed) > 0 ORDER BY token_hash FOR UPDATE
        """
    public let tenant: Tenant
    public init(tenant: Tenant) { self.tenant = tenant }
    public var bindings: [String?] { [String(tenant.appId), tenant.region] }
    public func decode(_ r: QueryResult) throws -> [SealedRow] {
        (0..<r.rowCount).map { SealedRow(id: [r.string($0, 0) ?? "", r.string($0, 1) ?? ""], sealed: r.bytes($0, 2) ?? []) }
    }
}

public struct UpdateSealedImportKey: Statement {
    public static let sql = """
        UPDATE import_parameters SET private_key_sealed = $4 WHERE app_id = $1 AND region = $2 AND token_hash = decode($3, 'hex')
        """
    public let tenant: Tenant
    public let tokenHashHex: String
    public let sealed: [UInt8]
    public init(tenant: Tenant, tokenHashHex: String, sealed: [UInt8]) { self.tenant = tenant; self.tokenHashHex = tokenHashHex; self.sealed = sealed }
    public var bindings: [String?] { [String(tenant.appId), tenant.region, tokenHashHex, Bytea.encode(sealed)] }
    public func decode(_ result: QueryResult) throws {}
}

/// Lets the owner's transaction see every tenant's rows (`kms.maintenance`, migration 009): for
/// re-sealing and counting across tenants, regions no longer served included. Only the owner's
/// policy reads the variable, so it does nothing for the application role.
public struct EnterMaintenanceMode: Statement {
    public static let sql = "SELECT set_config('kms.maintenance', 'on', true)"
    public init() {}
    public var bindings: [String?] { [] }
    public func decode(_ result: QueryResult) throws {}
}

/// Every (account, region) that holds a sealed tenant value, whatever regions are configured now.
/// Needs maintenance mode.
public struct ListSealedTenants: Statement {
    public static let sql = """
        SELECT app_id, region FROM key_material UNION SELECT app_id, region FROM import_parameters
        WHERE length(private_key_sealed) > 0 ORDER BY 1, 2
        """
    public init() {}
    public var bindings: [String?] { [] }
    public func decode(_ r: QueryResult) throws -> [Tenant] {
        try (0..<r.rowCount).map { row in
            guard let region = r.string(row, 1), !region.isEmpty else { throw StorageError("undecodable tenant") }
            return Tenant(appId: r.int64(row, 0), region: region)
        }
    }
}

/// How many sealed values name each master key id, by table and column (`sealed_value_census()`,
/// migration 009: every bytea column named `…sealed…`). `masterKeyId` -1: not a sealed value;
/// `uncountable` (-2): a table with row-level security the census cannot see across tenants.
public struct SealedValueCount: Sendable, Equatable {
    public static let uncountable = -2
    public let table: String
    public let column: String
    public let masterKeyId: Int
    public let count: Int64
}

/// The census of every sealed value in the database. Needs maintenance mode to see every tenant.
public struct CountSealedValues: Statement {
    public static let sql = "SELECT table_name, column_name, master_key_id, value_count FROM sealed_value_census()"
    public init() {}
    public var bindings: [String?] { [] }
    public func decode(_ r: QueryResult) throws -> [SealedValueCount] {
        (0..<r.rowCount).map {
            SealedValueCount(table: r.string($0, 0) ?? "", column: r.string($0, 1) ?? "", masterKeyId: Int(r.int64($0, 2)), count: r.int64($0, 3))
        }
    }
}
