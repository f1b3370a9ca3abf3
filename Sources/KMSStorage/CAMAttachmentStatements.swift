import KMSCore

/// A policy as attached to one sub-user.
public struct CAMAttachedPolicyRow: Sendable, Equatable {
    public let policyId: Int64
    public let name: String
    public let description: String
    public let attachedAt: Int64
}

/// Attaches a policy to a sub-user of the transaction's account; false when it already was.
public struct InsertCAMAttachment: Statement {
    public static let sql = """
        INSERT INTO cam_attachments (app_id, policy_id, user_uin, attached_at) VALUES ($1, $2, $3, $4)
        ON CONFLICT (policy_id, user_uin) DO NOTHING
        """
    public let appId: Int64
    public let policyId: Int64
    public let userUin: Int64
    public let now: Int64
    public init(appId: Int64, policyId: Int64, userUin: Int64, now: Int64) {
        self.appId = appId; self.policyId = policyId; self.userUin = userUin; self.now = now
    }
    public var bindings: [PostgresValue] { [.int64(appId), .int64(policyId), .int64(userUin), .int64(now)] }
    public func decode(_ result: QueryResult) throws -> Bool { result.affectedRows == 1 }
}

/// Detaches a policy from a sub-user; false when it was not attached.
public struct DeleteCAMAttachment: Statement {
    public static let sql = "DELETE FROM cam_attachments WHERE policy_id = $1 AND user_uin = $2"
    public let policyId: Int64
    public let userUin: Int64
    public init(policyId: Int64, userUin: Int64) { self.policyId = policyId; self.userUin = userUin }
    public var bindings: [PostgresValue] { [.int64(policyId), .int64(userUin)] }
    public func decode(_ result: QueryResult) throws -> Bool { result.affectedRows == 1 }
}

/// How many policies a sub-user has attached.
public struct CountCAMAttachments: Statement {
    public static let sql = "SELECT count(*) AS n FROM cam_attachments WHERE user_uin = $1"
    public let userUin: Int64
    public init(userUin: Int64) { self.userUin = userUin }
    public var bindings: [PostgresValue] { [.int64(userUin)] }
    public func decode(_ result: QueryResult) throws -> Int64 { try result.singleRow()?.decode(Int64.self, "n") ?? 0 }
}

/// One page of the policies attached to a sub-user, in the order they were attached.
public struct ListCAMAttachedPolicies: Statement {
    public static let sql = """
        SELECT p.policy_id, p.name, p.description, a.attached_at, count(*) OVER () AS total
        FROM cam_attachments a JOIN cam_policies p ON p.policy_id = a.policy_id
        WHERE a.user_uin = $1 ORDER BY a.attached_at, p.policy_id LIMIT $2 OFFSET $3
        """
    public let userUin: Int64
    public let limit: Int64
    public let offset: Int64
    public init(userUin: Int64, limit: Int64, offset: Int64) { self.userUin = userUin; self.limit = limit; self.offset = offset }
    public var bindings: [PostgresValue] { [.int64(userUin), .int64(limit), .int64(offset)] }
    public func decode(_ result: QueryResult) throws -> CAMPage<CAMAttachedPolicyRow> {
        let rows = result.rows
        return CAMPage(total: try rows.first?.decode(Int64.self, "total") ?? 0, items: try rows.map {
            CAMAttachedPolicyRow(policyId: try $0.decode(Int64.self, "policy_id"), name: try $0.decode(String.self, "name"),
                                 description: try $0.decode(String.self, "description"), attachedAt: try $0.decode(Int64.self, "attached_at"))
        })
    }
}
