/// A credential as `kmsctl credential list` shows it: never its (sealed) secret.
public struct CredentialListing: Sendable, Equatable {
    public let secretId: String
    public let appId: Int64
    public let enabled: Bool
    public let createdAt: Int64
    /// The CAM sub-user it belongs to; nil for the account's root credentials.
    public var userUin: Int64? = nil
}

/// Every credential, or one account's, oldest first. Selects no secret column, so nothing sealed
/// leaves the database for a listing.
public struct ListCredentials: Statement {
    public static let sql = """
        SELECT secret_id, app_id, enabled, created_at, user_uin FROM credentials
        WHERE ($1::bigint IS NULL OR app_id = $1) ORDER BY created_at, secret_id
        """
    public let appId: Int64?
    public init(appId: Int64? = nil) { self.appId = appId }
    public var bindings: [PostgresValue] { [appId.map(PostgresValue.int64) ?? .null] }
    public func decode(_ result: QueryResult) throws -> [CredentialListing] {
        try result.rows.map {
            CredentialListing(secretId: try $0.decode(String.self, "secret_id"), appId: try $0.decode(Int64.self, "app_id"),
                              enabled: try $0.decode(Bool.self, "enabled"), createdAt: try $0.decode(Int64.self, "created_at"),
                              userUin: try $0.decode(Int64?.self, "user_uin"))
        }
    }
}

/// Whether an account exists (so `credential list --app-id` can tell "no account" from "no credentials").
public struct AccountExists: Statement {
    public static let sql = "SELECT EXISTS (SELECT 1 FROM accounts WHERE app_id = $1) AS found"
    public let appId: Int64
    public init(appId: Int64) { self.appId = appId }
    public var bindings: [PostgresValue] { [.int64(appId)] }
    public func decode(_ result: QueryResult) throws -> Bool {
        guard let row = try result.singleRow() else { return false }
        return try row.decode(Bool.self, "found")
    }
}
