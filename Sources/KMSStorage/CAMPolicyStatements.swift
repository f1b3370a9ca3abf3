import KMSCore

/// A custom CAM policy as stored: its document already validated and normalised.
public struct CAMPolicyRow: Sendable, Equatable {
    public let policyId: Int64
    public let name: String
    public let description: String
    public let document: String
    public let createdAt: Int64
    public let updatedAt: Int64
    /// How many sub-users it is attached to.
    public let attachments: Int64

    static func decode(_ row: Row) throws -> CAMPolicyRow {
        CAMPolicyRow(policyId: try row.decode(Int64.self, "policy_id"), name: try row.decode(String.self, "name"),
                     description: try row.decode(String.self, "description"), document: try row.decode(String.self, "document"),
                     createdAt: try row.decode(Int64.self, "created_at"), updatedAt: try row.decode(Int64.self, "updated_at"),
                     attachments: try row.decode(Int64.self, "attachments"))
    }
}

/// One page of a listing, with the total that matched.
public struct CAMPage<Element: Sendable>: Sendable {
    public let total: Int64
    public let items: [Element]
    public init(total: Int64, items: [Element]) { self.total = total; self.items = items }
}

/// Inserts a policy of the transaction's account unless its name is taken; its PolicyId, or nil
/// when the name is taken (the conflict does not abort the transaction).
public struct InsertCAMPolicy: Statement {
    public static let sql = """
        INSERT INTO cam_policies (app_id, name, description, document, created_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (app_id, name) DO NOTHING RETURNING policy_id
        """
    public let appId: Int64
    public let name: String
    public let description: String
    public let document: String
    public let now: Int64
    public init(appId: Int64, name: String, description: String, document: String, now: Int64) {
        self.appId = appId; self.name = name; self.description = description; self.document = document; self.now = now
    }
    public var bindings: [PostgresValue] { [.int64(appId), .text(name), .text(description), .text(document), .int64(now)] }
    public func decode(_ result: QueryResult) throws -> Int64? { try result.singleRow()?.decode(Int64.self, "policy_id") }
}

/// How many custom policies the transaction's account has.
public struct CountCAMPolicies: Statement {
    public static let sql = "SELECT count(*) AS n FROM cam_policies"
    public init() {}
    public var bindings: [PostgresValue] { [] }
    public func decode(_ result: QueryResult) throws -> Int64 { try result.singleRow()?.decode(Int64.self, "n") ?? 0 }
}

/// The transaction's account's policy with this id (row-level security hides other accounts').
public struct FindCAMPolicy: Statement {
    public static let sql = """
        SELECT p.policy_id, p.name, p.description, p.document, p.created_at, p.updated_at,
               (SELECT count(*) FROM cam_attachments a WHERE a.policy_id = p.policy_id) AS attachments
        FROM cam_policies p WHERE p.policy_id = $1
        """
    public let policyId: Int64
    public init(policyId: Int64) { self.policyId = policyId }
    public var bindings: [PostgresValue] { [.int64(policyId)] }
    public func decode(_ result: QueryResult) throws -> CAMPolicyRow? { try result.singleRow().map(CAMPolicyRow.decode) }
}

/// One page of the account's policies whose name contains `keyword` (case-insensitive), oldest first.
public struct ListCAMPolicies: Statement {
    public static let sql = """
        SELECT p.policy_id, p.name, p.description, p.document, p.created_at, p.updated_at,
               (SELECT count(*) FROM cam_attachments a WHERE a.policy_id = p.policy_id) AS attachments,
               count(*) OVER () AS total
        FROM cam_policies p WHERE strpos(lower(p.name), lower($1)) > 0 OR $1 = ''
        ORDER BY p.policy_id LIMIT $2 OFFSET $3
        """
    public let keyword: String
    public let limit: Int64
    public let offset: Int64
    public init(keyword: String, limit: Int64, offset: Int64) { self.keyword = keyword; self.limit = limit; self.offset = offset }
    public var bindings: [PostgresValue] { [.text(keyword), .int64(limit), .int64(offset)] }
    public func decode(_ result: QueryResult) throws -> CAMPage<CAMPolicyRow> {
        let rows = result.rows
        return CAMPage(total: try rows.first?.decode(Int64.self, "total") ?? 0, items: try rows.map(CAMPolicyRow.decode))
    }
}

/// How many matched when a page came back empty (the window total is on the rows only).
public struct CountCAMPoliciesMatching: Statement {
    public static let sql = "SELECT count(*) AS n FROM cam_policies WHERE strpos(lower(name), lower($1)) > 0 OR $1 = ''"
    public let keyword: String
    public init(keyword: String) { self.keyword = keyword }
    public var bindings: [PostgresValue] { [.text(keyword)] }
    public func decode(_ result: QueryResult) throws -> Int64 { try result.singleRow()?.decode(Int64.self, "n") ?? 0 }
}

/// Which of these PolicyIds are the account's.
public struct ExistingCAMPolicyIds: Statement {
    public static let sql = "SELECT policy_id FROM cam_policies WHERE policy_id = ANY($1::bigint[])"
    public let policyIds: [Int64]
    public init(policyIds: [Int64]) { self.policyIds = policyIds }
    public var bindings: [PostgresValue] { [.int64Array(policyIds.map { $0 })] }
    public func decode(_ result: QueryResult) throws -> Set<Int64> { Set(try result.rows.map { try $0.decode(Int64.self, "policy_id") }) }
}

/// Deletes the account's policies with these ids; their attachments go with them (CASCADE),
/// each change notifying every responder. Returns how many were deleted.
public struct DeleteCAMPolicies: Statement {
    public static let sql = "DELETE FROM cam_policies WHERE policy_id = ANY($1::bigint[])"
    public let policyIds: [Int64]
    public init(policyIds: [Int64]) { self.policyIds = policyIds }
    public var bindings: [PostgresValue] { [.int64Array(policyIds.map { $0 })] }
    public func decode(_ result: QueryResult) throws -> Int { result.affectedRows }
}
