import KMSCore

/// One keyset page of the audit trail for `kmsctl audit tail`: records of an account, a key and/or
/// a hosted data key at or after a time, strictly between two seqs, ascending or descending. Paging by seq keeps
/// each query short however long the trail is.
public struct PageAuditRecords: Statement {
    public static let sql = """
        SELECT seq, lane, lane_seq, at_ms, request_id, app_id, secret_id, region, action, key_id, result, client, latency_us, mac,
               occurrences, caller_uin, data_key_id
        FROM audit_log
        WHERE ($1::bigint IS NULL OR app_id = $1) AND ($2::uuid IS NULL OR key_id = $2) AND ($3::bigint IS NULL OR at_ms >= $3)
          AND seq > $4 AND seq < $5 AND ($8::uuid IS NULL OR data_key_id = $8)
        ORDER BY CASE WHEN $7 THEN seq END ASC, CASE WHEN NOT $7 THEN seq END DESC LIMIT $6
        """
    public let appId: Int64?
    public let keyID: KeyID?
    /// Only the records naming this hosted data key (SQL/019's partial index serves it).
    public let dataKeyID: KeyID?
    public let sinceMilliseconds: Int64?
    public let afterSeq: Int64
    public let beforeSeq: Int64
    public let limit: Int
    public let ascending: Bool
    public init(appId: Int64?, keyID: KeyID?, sinceMilliseconds: Int64?, afterSeq: Int64 = 0, beforeSeq: Int64 = .max,
                limit: Int, ascending: Bool, dataKeyID: KeyID? = nil) {
        self.appId = appId; self.keyID = keyID; self.dataKeyID = dataKeyID; self.sinceMilliseconds = sinceMilliseconds
        self.afterSeq = afterSeq; self.beforeSeq = beforeSeq; self.limit = limit; self.ascending = ascending
    }
    public var bindings: [PostgresValue] {
        [appId.map(PostgresValue.int64) ?? .null, keyID.map { .text($0.description) } ?? .null,
         sinceMilliseconds.map(PostgresValue.int64) ?? .null, .int64(afterSeq), .int64(beforeSeq),
         .int64(Int64(limit)), .bool(ascending), dataKeyID.map { .text($0.description) } ?? .null]
    }
    /// The same columns as `ListAuditRecords`, decoded the same way.
    public func decode(_ r: QueryResult) throws -> [ChainedAuditRecord] {
        try ListAuditRecords(limit: limit, ascending: ascending).decode(r)
    }
}
