import KMSCore

/// A stored account.
public struct AccountRow: Sendable, Equatable {
    public let appId: Int64
    public let uin: Int64
    public let name: String
    public let createdAt: Int64
}

/// What authentication needs of a credential: its owner and its sealed secret.
public struct CredentialRow: Sendable {
    public let secretId: String
    public let appId: Int64
    public let uin: Int64
    public let secretKeySealed: [UInt8]
    public let enabled: Bool
}

public struct InsertAccount: PreparedStatement {
    public static let name = "insert_account"
    public static let sql = "INSERT INTO accounts (app_id, uin, name, created_at) VALUES ($1, $2, $3, $4)"
    public let account: AccountRow
    public init(_ account: AccountRow) { self.account = account }
    public init(appId: Int64, uin: Int64, name: String, createdAt: Int64) {
        account = AccountRow(appId: appId, uin: uin, name: name, createdAt: createdAt)
    }
    public var bindings: [String?] { [String(account.appId), String(account.uin), account.name, String(account.createdAt)] }
    public func decode(_ result: QueryResult) throws {}
}

public struct ListAccounts: Statement {
    public static let sql = "SELECT app_id, uin, name, created_at FROM accounts ORDER BY created_at, app_id"
    public init() {}
    public var bindings: [String?] { [] }
    public func decode(_ result: QueryResult) throws -> [AccountRow] {
        (0..<result.rowCount).map {
            AccountRow(appId: result.int64($0, 0), uin: result.int64($0, 1), name: result.string($0, 2) ?? "", createdAt: result.int64($0, 3))
        }
    }
}

public struct InsertCredential: PreparedStatement {
    public static let name = "insert_credential"
    public static let sql = "INSERT INTO credentials (secret_id, app_id, secret_key_sealed, created_at) VALUES ($1, $2, $3, $4)"
    public let secretId: String
    public let appId: Int64
    public let sealed: [UInt8]
    public let createdAt: Int64
    public init(secretId: String, appId: Int64, sealed: [UInt8], createdAt: Int64) {
        self.secretId = secretId; self.appId = appId; self.sealed = sealed; self.createdAt = createdAt
    }
    public var bindings: [String?] { [secretId, String(appId), Bytea.encode(sealed), String(createdAt)] }
    public func decode(_ result: QueryResult) throws {}
}

/// Returns whether a credential was changed.
public struct SetCredentialEnabled: Statement {
    public static let sql = "UPDATE credentials SET enabled = $2 WHERE secret_id = $1"
    public let secretId: String
    public let enabled: Bool
    public init(secretId: String, enabled: Bool) { self.secretId = secretId; self.enabled = enabled }
    public var bindings: [String?] { [secretId, enabled ? "true" : "false"] }
    public func decode(_ result: QueryResult) throws -> Bool { result.affectedRows == 1 }
}

public struct FindCredential: Statement {
    public static let sql = """
        SELECT c.secret_id, c.app_id, a.uin, c.secret_key_sealed, c.enabled
        FROM credentials c JOIN accounts a ON a.app_id = c.app_id WHERE c.secret_id = $1
        """
    public let secretId: String
    public init(secretId: String) { self.secretId = secretId }
    public var bindings: [String?] { [secretId] }
    public func decode(_ result: QueryResult) throws -> CredentialRow? {
        guard result.rowCount == 1, let sealed = result.bytes(0, 3) else { return nil }
        return CredentialRow(secretId: result.string(0, 0) ?? "", appId: result.int64(0, 1), uin: result.int64(0, 2),
                             secretKeySealed: sealed, enabled: result.bool(0, 4))
    }
}
