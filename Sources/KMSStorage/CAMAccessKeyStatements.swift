import KMSCore

/// An access key as CAM lists it: never its (sealed) secret.
public struct AccessKeyRow: Sendable, Equatable {
    public let secretId: String
    public let appId: Int64
    /// The sub-user it belongs to; nil for a root credential.
    public let userUin: Int64?
    public let enabled: Bool
    public let createdAt: Int64
    public let description: String

    static func decode(_ row: Row) throws -> AccessKeyRow {
        AccessKeyRow(secretId: try row.decode(String.self, "secret_id"), appId: try row.decode(Int64.self, "app_id"),
                     userUin: try row.decode(Int64?.self, "user_uin"), enabled: try row.decode(Bool.self, "enabled"),
                     createdAt: try row.decode(Int64.self, "created_at"), description: try row.decode(String.self, "description"))
    }
}

/// Whose access keys a CAM request means: an account's root (user_uin NULL) or one sub-user.
public struct AccessKeyOwner: Sendable, Equatable {
    public let appId: Int64
    /// nil: the account's root.
    public let userUin: Int64?
    public init(appId: Int64, userUin: Int64?) { self.appId = appId; self.userUin = userUin }

    /// `$1` the account, `$2` the sub-user or NULL.
    var bindings: [PostgresValue] { [.int64(appId), userUin.map(PostgresValue.int64) ?? .null] }
}

/// One owner's access keys, oldest first. Selects no secret column.
public struct ListAccessKeys: Statement {
    public static let sql = """
        SELECT secret_id, app_id, user_uin, enabled, created_at, description FROM credentials
        WHERE app_id = $1 AND user_uin IS NOT DISTINCT FROM $2 ORDER BY created_at, secret_id
        """
    public let owner: AccessKeyOwner
    public init(owner: AccessKeyOwner) { self.owner = owner }
    public var bindings: [PostgresValue] { owner.bindings }
    public func decode(_ result: QueryResult) throws -> [AccessKeyRow] { try result.rows.map(AccessKeyRow.decode) }
}

/// How many access keys one owner has.
public struct CountAccessKeys: Statement {
    public static let sql = "SELECT count(*) AS n FROM credentials WHERE app_id = $1 AND user_uin IS NOT DISTINCT FROM $2"
    public let owner: AccessKeyOwner
    public init(owner: AccessKeyOwner) { self.owner = owner }
    public var bindings: [PostgresValue] { owner.bindings }
    public func decode(_ result: QueryResult) throws -> Int64 { try result.singleRow()?.decode(Int64.self, "n") ?? 0 }
}

/// Activates or deactivates one of the owner's access keys; false if it has no such key.
public struct SetAccessKeyEnabled: Statement {
    public static let sql = """
        UPDATE credentials SET enabled = $4 WHERE secret_id = $3 AND app_id = $1 AND user_uin IS NOT DISTINCT FROM $2
        """
    public let owner: AccessKeyOwner
    public let secretId: String
    public let enabled: Bool
    public init(owner: AccessKeyOwner, secretId: String, enabled: Bool) { self.owner = owner; self.secretId = secretId; self.enabled = enabled }
    public var bindings: [PostgresValue] { owner.bindings + [.text(secretId), .bool(enabled)] }
    public func decode(_ result: QueryResult) throws -> Bool { result.affectedRows == 1 }
}

/// Deletes one of the owner's access keys; false if it has no such key.
public struct DeleteAccessKey: Statement {
    public static let sql = "DELETE FROM credentials WHERE secret_id = $3 AND app_id = $1 AND user_uin IS NOT DISTINCT FROM $2"
    public let owner: AccessKeyOwner
    public let secretId: String
    public init(owner: AccessKeyOwner, secretId: String) { self.owner = owner; self.secretId = secretId }
    public var bindings: [PostgresValue] { owner.bindings + [.text(secretId)] }
    public func decode(_ result: QueryResult) throws -> Bool { result.affectedRows == 1 }
}

/// A tenant account by its root Uin (the operator's CreateAccessKey for a new tenant).
public struct FindTenantAccountByUin: Statement {
    public static let sql = "SELECT app_id, uin, name, created_at FROM accounts WHERE uin = $1 AND kind = 'tenant'"
    public let uin: Int64
    public init(uin: Int64) { self.uin = uin }
    public var bindings: [PostgresValue] { [.int64(uin)] }
    public func decode(_ result: QueryResult) throws -> AccountRow? {
        try result.singleRow().map {
            AccountRow(appId: try $0.decode(Int64.self, "app_id"), uin: try $0.decode(Int64.self, "uin"),
                       name: try $0.decode(String.self, "name"), createdAt: try $0.decode(Int64.self, "created_at"))
        }
    }
}
