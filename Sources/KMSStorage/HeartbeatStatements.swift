import KMSCore

/// This responder host's heartbeat (migration 015), and every other host's last one, in one
/// statement: the beat is stamped with the database's clock, never the host's, and the others are
/// read against that same stamp, so hosts with different clocks agree on who is live.
public struct RecordHeartbeat: Statement {
    public static let sql = """
        WITH beat AS (
            INSERT INTO responder_heartbeats AS h (host, seen_at) VALUES ($1, clock_timestamp())
            ON CONFLICT (host) DO UPDATE SET seen_at = EXCLUDED.seen_at
            RETURNING h.seen_at)
        SELECT (extract(epoch FROM beat.seen_at) * 1000)::bigint AS reference_ms,
               (extract(epoch FROM o.seen_at) * 1000)::bigint AS other_ms
        FROM beat LEFT JOIN responder_heartbeats o ON o.host <> $1
        """
    public let host: String
    public init(host: String) { self.host = host }
    public var bindings: [PostgresValue] { [.text(host)] }
    /// The beat's time and the other hosts' last beats, in milliseconds since the epoch.
    public func decode(_ result: QueryResult) throws -> (reference: Int64, others: [Int64]) {
        guard let first = result.rows.first else { throw StorageError("no row from the heartbeat") }
        let reference = try first.decode(Int64.self, "reference_ms")
        return (reference, try result.rows.compactMap { try $0.decode(Int64?.self, "other_ms") })
    }
}

/// Removes this host's heartbeat when it stops cleanly, so the others take its share at once
/// instead of after the freshness window.
public struct ForgetHeartbeat: Statement {
    public static let sql = "DELETE FROM responder_heartbeats WHERE host = $1"
    public let host: String
    public init(host: String) { self.host = host }
    public var bindings: [PostgresValue] { [.text(host)] }
    public func decode(_ result: QueryResult) throws {}
}
