import KMSCore

/// A stored account.
public struct AccountRow: Sendable, Equatable {
    public let appId: Int64
    public let uin: Int64
    public let name: String
    public let createdAt: Int64
    /// False once the account is disabled (its credentials are all refused; its keys stay).
    public let enabled: Bool
    /// 'tenant' (holds keys) or 'operator' (manages tenant accounts, holds no keys).
    public let kind: AccountKind

    /// An account as stored; new accounts are enabled tenants unless said otherwise.
    public init(appId: Int64, uin: Int64, name: String, createdAt: Int64, enabled: Bool = true, kind: AccountKind = .tenant) {
        self.appId = appId; self.uin = uin; self.name = name; self.createdAt = createdAt; self.enabled = enabled; self.kind = kind
    }
}

/// What an account is for.
public enum AccountKind: String, Sendable {
    /// An account that holds keys: every account but the operator's.
    case tenant
    /// The one account that creates and disables tenant accounts over the signed API.
    case `operator`
}

/// What authentication needs of a credential: its owner and its sealed secret.
public struct CredentialRow: Sendable {
    public let secretId: String
    public let appId: Int64
    /// The account's root Uin.
    public let uin: Int64
    public let secretKeySealed: [UInt8]
    /// The credential itself is Active (CAM's `UpdateAccessKey` and `kmsctl credential disable` change it).
    public let enabled: Bool
    /// The sub-user it belongs to; nil for the account's root credentials.
    public let userUin: Int64?
    /// The account is enabled (the operator or `kmsctl` may disable a whole account).
    public let accountEnabled: Bool
    /// The account is the operator's.
    public let isOperator: Bool

    /// Whether a request signed with it may proceed at all.
    public var usable: Bool { enabled && accountEnabled }
}

public struct InsertAccount: Statement {
    public static let reusesPlan = true
    public static let sql = "INSERT INTO accounts (app_id, uin, name, created_at) VALUES ($1, $2, $3, $4)"
    public let account: AccountRow
    public init(_ account: AccountRow) { self.account = account }
    public init(appId: Int64, uin: Int64, name: String, createdAt: Int64) {
        account = AccountRow(appId: appId, uin: uin, name: name, createdAt: createdAt)
    }
    public var bindings: [PostgresValue] { [.int64(account.appId), .int64(account.uin), .text(account.name), .int64(account.createdAt)] }
    public func decode(_ result: QueryResult) throws {}
}

public struct ListAccounts: Statement {
    public static let sql = "SELECT app_id, uin, name, created_at, enabled, kind FROM accounts ORDER BY created_at, app_id"
    public init() {}
    public var bindings: [PostgresValue] { [] }
    public func decode(_ result: QueryResult) throws -> [AccountRow] { try result.rows.map(AccountRow.init(row:)) }
}

extension AccountRow {
    /// A row of `accounts` with app_id, uin, name, created_at, enabled and kind.
    init(row: Row) throws {
        self.init(appId: try row.decode(Int64.self, "app_id"), uin: try row.decode(Int64.self, "uin"),
                  name: try row.decode(String.self, "name"), createdAt: try row.decode(Int64.self, "created_at"),
                  enabled: try row.decode(Bool.self, "enabled"), kind: try row.decode(AccountKind.self, "kind"))
    }
}

public struct InsertCredential: Statement {
    public static let reusesPlan = true
    public static let sql = """
        INSERT INTO credentials (secret_id, app_id, secret_key_sealed, created_at, user_uin, description)
        VALUES ($1, $2, $3, $4, $5, $6)
        """
    public let secretId: String
    public let appId: Int64
    public let sealed: [UInt8]
    public let createdAt: Int64
    /// The sub-user it belongs to; nil for a root credential.
    public let userUin: Int64?
    public let description: String
    public init(secretId: String, appId: Int64, sealed: [UInt8], createdAt: Int64, userUin: Int64? = nil, description: String = "") {
        self.secretId = secretId; self.appId = appId; self.sealed = sealed; self.createdAt = createdAt
        self.userUin = userUin; self.description = description
    }
    public var bindings: [PostgresValue] {
        [.text(secretId), .int64(appId), .bytes(sealed), .int64(createdAt), userUin.map(PostgresValue.int64) ?? .null, .text(description)]
    }
    public func decode(_ result: QueryResult) throws {}
}

/// Returns whether a credential was changed.
public struct SetCredentialEnabled: Statement {
    public static let sql = "UPDATE credentials SET enabled = $2 WHERE secret_id = $1"
    public let secretId: String
    public let enabled: Bool
    public init(secretId: String, enabled: Bool) { self.secretId = secretId; self.enabled = enabled }
    public var bindings: [PostgresValue] { [.text(secretId), .bool(enabled)] }
    public func decode(_ result: QueryResult) throws -> Bool { result.affectedRows == 1 }
}

public struct FindCredential: Statement {
    public static let sql = """
        SELECT c.secret_id, c.app_id, a.uin, c.secret_key_sealed, c.enabled, c.user_uin,
               a.enabled AS account_enabled, a.kind = 'operator' AS is_operator
        FROM credentials c JOIN accounts a ON a.app_id = c.app_id WHERE c.secret_id = $1
        """
    public let secretId: String
    public init(secretId: String) { self.secretId = secretId }
    public var bindings: [PostgresValue] { [.text(secretId)] }
    public func decode(_ result: QueryResult) throws -> CredentialRow? {
        guard let row = try result.singleRow() else { return nil }
        return CredentialRow(secretId: try row.decode(String.self, "secret_id"), appId: try row.decode(Int64.self, "app_id"),
                             uin: try row.decode(Int64.self, "uin"), secretKeySealed: try row.decode([UInt8].self, "secret_key_sealed"),
                             enabled: try row.decode(Bool.self, "enabled"), userUin: try row.decode(Int64?.self, "user_uin"),
                             accountEnabled: try row.decode(Bool.self, "account_enabled"),
                             isOperator: try row.decode(Bool.self, "is_operator"))
    }
}
