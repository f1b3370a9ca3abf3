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
    public var bindings: [PostgresValue] { [] }
    public func decode(_ r: QueryResult) throws -> [SealedRow] {
        try r.rows.map { SealedRow(id: [try $0.decode(String.self, "secret_id")], sealed: try $0.decode([UInt8].self, "secret_key_sealed")) }
    }
}

public struct UpdateSealedCredential: Statement {
    public static let sql = "UPDATE credentials SET secret_key_sealed = $2 WHERE secret_id = $1"
    public let secretId: String
    public let sealed: [UInt8]
    public init(secretId: String, sealed: [UInt8]) { self.secretId = secretId; self.sealed = sealed }
    public var bindings: [PostgresValue] { [.text(secretId), .bytes(sealed)] }
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
    public var bindings: [PostgresValue] { [.int64(tenant.appId), .text(tenant.region)] }
    public func decode(_ r: QueryResult) throws -> [SealedRow] {
        try r.rows.map {
            SealedRow(id: [try $0.decode(String.self, "key_id"), String(try $0.decode(Int64.self, "version"))],
                      sealed: try $0.decode([UInt8].self, "material_sealed"))
        }
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
    public var bindings: [PostgresValue] { [.int64(tenant.appId), .text(tenant.region), .text(keyID), .text(version), .bytes(sealed)] }
    public func decode(_ result: QueryResult) throws {}
}

/// Every unexpired import private key of the tenant (wiped tombstones hold nothing).
public struct ListSealedImportKeys: Statement {
    public static let sql = """
        SELECT key_id, encode(token_hash, 'hex') AS token_hash_hex, private_key_sealed FROM import_parameters
        WHERE app_id = $1 AND region = $2 AND length(private_key_sealed) > 0 ORDER BY token_hash FOR UPDATE
        """
    public let tenant: Tenant
    public init(tenant: Tenant) { self.tenant = tenant }
    public var bindings: [PostgresValue] { [.int64(tenant.appId), .text(tenant.region)] }
    public func decode(_ r: QueryResult) throws -> [SealedRow] {
        try r.rows.map {
            SealedRow(id: [try $0.decode(String.self, "key_id"), try $0.decode(String.self, "token_hash_hex")],
                      sealed: try $0.decode([UInt8].self, "private_key_sealed"))
        }
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
    public var bindings: [PostgresValue] { [.int64(tenant.appId), .text(tenant.region), .text(tokenHashHex), .bytes(sealed)] }
    public func decode(_ result: QueryResult) throws {}
}

/// Lets the owner's transaction see every tenant's rows (`kms.maintenance`, migration 009): for
/// re-sealing and counting across tenants, regions no longer served included. Only the owner's
/// policy reads the variable, so it does nothing for the application role.
public struct EnterMaintenanceMode: Statement {
    public static let sql = "SELECT set_config('kms.maintenance', 'on', true)"
    public init() {}
    public var bindings: [PostgresValue] { [] }
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
    public var bindings: [PostgresValue] { [] }
    public func decode(_ r: QueryResult) throws -> [Tenant] {
        try r.rows.map { row in
            let region = try row.decode(String.self, "region")
            guard !region.isEmpty else { throw StorageError("a sealed value without a region") }
            return Tenant(appId: try row.decode(Int64.self, "app_id"), region: region)
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
    public var bindings: [PostgresValue] { [] }
    public func decode(_ r: QueryResult) throws -> [SealedValueCount] {
        try r.rows.map {
            SealedValueCount(table: try $0.decode(String.self, "table_name"), column: try $0.decode(String.self, "column_name"),
                             masterKeyId: try $0.decode(Int.self, "master_key_id"), count: try $0.decode(Int64.self, "value_count"))
        }
    }
}
