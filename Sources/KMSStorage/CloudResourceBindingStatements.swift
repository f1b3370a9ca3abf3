import KMSCore

/// Records that a product's resource uses the key; binding an existing pair again changes nothing.
public struct InsertCloudResourceBinding: Statement {
    public static let reusesPlan = true
    public static let sql = """
        INSERT INTO key_bindings (app_id, region, key_id, product_id, resource_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT DO NOTHING
        """
    public let tenant: Tenant
    public let keyID: KeyID
    public let binding: CloudResourceBinding
    public let createdAt: Int64
    public init(tenant: Tenant, keyID: KeyID, binding: CloudResourceBinding, createdAt: Int64) {
        self.tenant = tenant; self.keyID = keyID; self.binding = binding; self.createdAt = createdAt
    }
    public var bindings: [PostgresValue] {
        [.int64(tenant.appId), .text(tenant.region), .text(keyID.description), .text(binding.productId), .text(binding.resourceId),
         .int64(createdAt)]
    }
    public func decode(_ result: QueryResult) throws {}
}

/// Removes one binding; returns whether it existed.
public struct DeleteCloudResourceBinding: Statement {
    public static let sql = """
        DELETE FROM key_bindings WHERE app_id = $1 AND region = $2 AND key_id = $3 AND product_id = $4 AND resource_id = $5
        """
    public let tenant: Tenant
    public let keyID: KeyID
    public let binding: CloudResourceBinding
    public init(tenant: Tenant, keyID: KeyID, binding: CloudResourceBinding) {
        self.tenant = tenant; self.keyID = keyID; self.binding = binding
    }
    public var bindings: [PostgresValue] {
        [.int64(tenant.appId), .text(tenant.region), .text(keyID.description), .text(binding.productId), .text(binding.resourceId)]
    }
    public func decode(_ result: QueryResult) throws -> Bool { result.affectedRows == 1 }
}

/// How many bindings the key has, and whether `binding` (when given) is one of them.
public struct CountCloudResourceBindings: Statement {
    public static let sql = """
        SELECT count(*) AS bindings,
               count(*) FILTER (WHERE product_id = $4 AND resource_id = $5) > 0 AS present
        FROM key_bindings WHERE app_id = $1 AND region = $2 AND key_id = $3
        """
    public let tenant: Tenant
    public let keyID: KeyID
    public let binding: CloudResourceBinding?
    public init(tenant: Tenant, keyID: KeyID, binding: CloudResourceBinding? = nil) {
        self.tenant = tenant; self.keyID = keyID; self.binding = binding
    }
    public var bindings: [PostgresValue] {
        [.int64(tenant.appId), .text(tenant.region), .text(keyID.description),
         binding.map { .text($0.productId) } ?? .null, binding.map { .text($0.resourceId) } ?? .null]
    }
    public func decode(_ result: QueryResult) throws -> (count: Int, present: Bool) {
        guard let row = try result.singleRow() else { throw StorageError("count(*) returned no row") }
        return (try row.decode(Int.self, "bindings"), try row.decode(Bool.self, "present"))
    }
}

/// A key's bindings, oldest first.
public struct FindCloudResourceBindings: Statement {
    public static let sql = """
        SELECT product_id, resource_id FROM key_bindings WHERE app_id = $1 AND region = $2 AND key_id = $3
        ORDER BY created_at, product_id, resource_id
        """
    public let tenant: Tenant
    public let keyID: KeyID
    public init(tenant: Tenant, keyID: KeyID) { self.tenant = tenant; self.keyID = keyID }
    public var bindings: [PostgresValue] { [.int64(tenant.appId), .text(tenant.region), .text(keyID.description)] }
    public func decode(_ result: QueryResult) throws -> [CloudResourceBinding] {
        try result.rows.map {
            CloudResourceBinding(productId: try $0.decode(String.self, "product_id"), resourceId: try $0.decode(String.self, "resource_id"))
        }
    }
}
