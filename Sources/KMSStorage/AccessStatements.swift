import KMSCore

/// The documents of every policy attached to one sub-user (run in the account's scope: row-level
/// security holds it to that account). `AccessCache` compiles them into the user's `PolicySet`.
public struct AttachedPolicyDocuments: Statement {
    public static let sql = """
        SELECT p.document FROM cam_attachments a JOIN cam_policies p ON p.policy_id = a.policy_id
        WHERE a.user_uin = $1 ORDER BY p.policy_id
        """
    public let userUin: Int64
    public init(userUin: Int64) { self.userUin = userUin }
    public var bindings: [PostgresValue] { [.int64(userUin)] }
    public func decode(_ result: QueryResult) throws -> [String] { try result.rows.map { try $0.decode(String.self, "document") } }
}
