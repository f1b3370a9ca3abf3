import KMSCore

// Tenant accounts as the Organization API and kmsctl change them. The responder runs these in a
// transaction scoped to the operator's account: migration 016's policies let only that
// transaction insert tenant accounts and change their `enabled`.

/// Inserts an account unless its AppId or Uin is taken (then nothing, and false): the caller
/// draws new numbers and tries again inside the same transaction.
public struct InsertAccountIfFree: Statement {
    public static let sql = """
        INSERT INTO accounts (app_id, uin, name, created_at, kind) VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT DO NOTHING RETURNING app_id
        """
    public let account: AccountRow
    public init(_ account: AccountRow) { self.account = account }
    public var bindings: [PostgresValue] {
        [.int64(account.appId), .int64(account.uin), .text(account.name), .int64(account.createdAt), .text(account.kind.rawValue)]
    }
    public func decode(_ result: QueryResult) throws -> Bool { try result.singleRow() != nil }
}

/// The operator's account, if there is one (at most one: `accounts_one_operator`).
public struct FindOperatorAccount: Statement {
    public static let sql = "SELECT app_id, uin, name, created_at, enabled, kind FROM accounts WHERE kind = 'operator'"
    public init() {}
    public var bindings: [PostgresValue] { [] }
    public func decode(_ result: QueryResult) throws -> AccountRow? { try result.singleRow().map(AccountRow.init(row:)) }
}

/// Serialises the creation of tenant accounts (for the one-name-one-member rule) until COMMIT.
public struct LockTenantAccountNames: Statement {
    public static let sql = "SELECT pg_advisory_xact_lock(hashtext('kms.tenant_account_names')::bigint)"
    public init() {}
    public var bindings: [PostgresValue] { [] }
    public func decode(_ result: QueryResult) throws {}
}

/// Whether any account already has this name.
public struct AccountNameTaken: Statement {
    public static let sql = "SELECT EXISTS (SELECT 1 FROM accounts WHERE name = $1) AS taken"
    public let name: String
    public init(name: String) { self.name = name }
    public var bindings: [PostgresValue] { [.text(name)] }
    public func decode(_ result: QueryResult) throws -> Bool { try result.singleRow()?.decode(Bool.self, "taken") ?? false }
}

/// What a member listing is narrowed to: a part of the name, or the exact Uin (an empty
/// search matches every tenant account).
public struct MemberQuery: Sendable {
    /// A part of the name, or a Uin in decimal; "" for all.
    public let search: String
    /// Rows skipped, oldest first.
    public let offset: Int
    /// Most rows returned.
    public let limit: Int
    /// A query for one page.
    public init(search: String, offset: Int, limit: Int) { self.search = search; self.offset = offset; self.limit = limit }
}

/// One page of tenant accounts, oldest first, and how many match in all.
public struct ListTenantAccounts: Statement {
    public static let sql = """
        SELECT app_id, uin, name, created_at, enabled, kind, count(*) OVER () AS total FROM accounts
        WHERE kind = 'tenant' AND ($1 = '' OR strpos(name, $1) > 0 OR uin::text = $1)
        ORDER BY created_at, app_id OFFSET $2 LIMIT $3
        """
    public let query: MemberQuery
    public init(_ query: MemberQuery) { self.query = query }
    public var bindings: [PostgresValue] { [.text(query.search), .int64(Int64(query.offset)), .int64(Int64(query.limit))] }
    /// The page, and the total (nil when the page is empty: ask `CountTenantAccounts`).
    public func decode(_ result: QueryResult) throws -> (total: Int?, accounts: [AccountRow]) {
        let rows = result.rows
        let total = try rows.first.map { Int(try $0.decode(Int64.self, "total")) }
        return (total, try rows.map(AccountRow.init(row:)))
    }
}

/// How many tenant accounts `ListTenantAccounts` would match, for a page past the end.
public struct CountTenantAccounts: Statement {
    public static let sql = """
        SELECT count(*) AS total FROM accounts WHERE kind = 'tenant' AND ($1 = '' OR strpos(name, $1) > 0 OR uin::text = $1)
        """
    public let search: String
    public init(search: String) { self.search = search }
    public var bindings: [PostgresValue] { [.text(search)] }
    public func decode(_ result: QueryResult) throws -> Int { Int(try result.singleRow()?.decode(Int64.self, "total") ?? 0) }
}

/// Locks the tenant accounts with these Uins; returns the Uins found (so the caller can refuse
/// the whole request when one is missing, before anything changes).
public struct LockTenantAccounts: Statement {
    public static let sql = "SELECT uin FROM accounts WHERE kind = 'tenant' AND uin = ANY($1::bigint[]) FOR UPDATE"
    public let uins: [Int64]
    public init(uins: [Int64]) { self.uins = uins }
    public var bindings: [PostgresValue] { [.int64Array(uins)] }
    public func decode(_ result: QueryResult) throws -> Set<Int64> { Set(try result.rows.map { try $0.decode(Int64.self, "uin") }) }
}

/// Enables or disables the tenant accounts with these Uins. Every change notifies the
/// responders, which drop their cached credentials (migration 016's `accounts_changed`).
public struct SetTenantAccountsEnabled: Statement {
    public static let sql = "UPDATE accounts SET enabled = $2 WHERE kind = 'tenant' AND uin = ANY($1::bigint[])"
    public let uins: [Int64]
    public let enabled: Bool
    public init(uins: [Int64], enabled: Bool) { self.uins = uins; self.enabled = enabled }
    public var bindings: [PostgresValue] { [.int64Array(uins), .bool(enabled)] }
    public func decode(_ result: QueryResult) throws -> Int { result.affectedRows }
}

/// Enables or disables one account, of any kind (kmsctl, as the owner); false if no such AppId.
public struct SetAccountEnabled: Statement {
    public static let sql = "UPDATE accounts SET enabled = $2 WHERE app_id = $1"
    public let appId: Int64
    public let enabled: Bool
    public init(appId: Int64, enabled: Bool) { self.appId = appId; self.enabled = enabled }
    public var bindings: [PostgresValue] { [.int64(appId), .bool(enabled)] }
    public func decode(_ result: QueryResult) throws -> Bool { result.affectedRows == 1 }
}
