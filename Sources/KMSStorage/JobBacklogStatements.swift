/// How far the scheduled work is behind, for `/metrics`: the due time of the oldest job that is
/// due and not dead, nil when none is (one probe of the partial index on `due_at`). A job backing
/// off after a failure is still due: its lateness is what an operator should see.
public struct OldestDueJob: Statement {
    public static let sql = "SELECT min(due_at) AS oldest_due FROM scheduled_jobs WHERE due_at <= $1 AND dead_at IS NULL"
    public let now: Int64
    public init(now: Int64) { self.now = now }
    public var bindings: [PostgresValue] { [.int64(now)] }
    public func decode(_ result: QueryResult) throws -> Int64? {
        guard let row = try result.singleRow() else { throw StorageError("min() returned no row") }
        return try row.decode(Int64?.self, "oldest_due")
    }
}
