import KMSCore

/// A CAM sub-user as stored (never a password: there is no console here).
public struct CAMUserRow: Sendable, Equatable {
    public let appId: Int64
    public let uin: Int64
    public let uid: Int64
    public let name: String
    public let remark: String
    public let consoleLogin: Bool
    public let createdAt: Int64

    public init(appId: Int64, uin: Int64, uid: Int64, name: String, remark: String, consoleLogin: Bool, createdAt: Int64) {
        self.appId = appId; self.uin = uin; self.uid = uid; self.name = name; self.remark = remark
        self.consoleLogin = consoleLogin; self.createdAt = createdAt
    }

    static func decode(_ row: Row) throws -> CAMUserRow {
        CAMUserRow(appId: try row.decode(Int64.self, "app_id"), uin: try row.decode(Int64.self, "uin"),
                   uid: try row.decode(Int64.self, "uid"), name: try row.decode(String.self, "name"),
                   remark: try row.decode(String.self, "remark"), consoleLogin: try row.decode(Bool.self, "console_login"),
                   createdAt: try row.decode(Int64.self, "created_at"))
    }
}

/// Inserts a sub-user unless its Uin, Uid or name is taken; returns whether it was inserted
/// (a conflict does not abort the transaction, so the caller can tell a taken name from a
/// taken number and draw again).
public struct InsertCAMUser: Statement {
    public static let sql = """
        INSERT INTO cam_users (app_id, uin, uid, name, remark, console_login, created_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING
        """
    public let user: CAMUserRow
    public init(_ user: CAMUserRow) { self.user = user }
    public var bindings: [PostgresValue] {
        [.int64(user.appId), .int64(user.uin), .int64(user.uid), .text(user.name), .text(user.remark), .bool(user.consoleLogin),
         .int64(user.createdAt)]
    }
    public func decode(_ result: QueryResult) throws -> Bool { result.affectedRows == 1 }
}

/// The transaction's account's sub-user of this name (row-level security hides other accounts').
public struct FindCAMUserByName: Statement {
    public static let sql = """
        SELECT app_id, uin, uid, name, remark, console_login, created_at FROM cam_users WHERE name = $1
        """
    public let name: String
    public init(name: String) { self.name = name }
    public var bindings: [PostgresValue] { [.text(name)] }
    public func decode(_ result: QueryResult) throws -> CAMUserRow? { try result.singleRow().map(CAMUserRow.decode) }
}

/// The transaction's account's sub-user with this Uin.
public struct FindCAMUserByUin: Statement {
    public static let sql = """
        SELECT app_id, uin, uid, name, remark, console_login, created_at FROM cam_users WHERE uin = $1
        """
    public let uin: Int64
    public init(uin: Int64) { self.uin = uin }
    public var bindings: [PostgresValue] { [.int64(uin)] }
    public func decode(_ result: QueryResult) throws -> CAMUserRow? { try result.singleRow().map(CAMUserRow.decode) }
}

/// The transaction's account's sub-users, oldest first.
public struct ListCAMUsers: Statement {
    public static let sql = """
        SELECT app_id, uin, uid, name, remark, console_login, created_at FROM cam_users ORDER BY created_at, uin
        """
    public init() {}
    public var bindings: [PostgresValue] { [] }
    public func decode(_ result: QueryResult) throws -> [CAMUserRow] { try result.rows.map(CAMUserRow.decode) }
}

/// How many sub-users the transaction's account has.
public struct CountCAMUsers: Statement {
    public static let sql = "SELECT count(*) AS n FROM cam_users"
    public init() {}
    public var bindings: [PostgresValue] { [] }
    public func decode(_ result: QueryResult) throws -> Int64 { try result.singleRow()?.decode(Int64.self, "n") ?? 0 }
}

/// Deletes a sub-user; its credentials and attachments go with it (ON DELETE CASCADE), each
/// change notifying every responder. Returns whether it existed.
public struct DeleteCAMUser: Statement {
    public static let sql = "DELETE FROM cam_users WHERE uin = $1"
    public let uin: Int64
    public init(uin: Int64) { self.uin = uin }
    public var bindings: [PostgresValue] { [.int64(uin)] }
    public func decode(_ result: QueryResult) throws -> Bool { result.affectedRows == 1 }
}

/// Serialises, until the transaction ends, every change that counts or numbers a principal's
/// things (sub-users of an account, access keys of a user): two concurrent requests cannot both
/// see room for one more. Keyed by a Uin or AppId; advisory, so it needs no row privileges.
public struct LockPrincipal: Statement {
    public static let sql = "SELECT pg_advisory_xact_lock($1) IS NULL AS unused"
    public let key: Int64
    public init(key: Int64) { self.key = key }
    public var bindings: [PostgresValue] { [.int64(key)] }
    public func decode(_ result: QueryResult) throws {}
}
