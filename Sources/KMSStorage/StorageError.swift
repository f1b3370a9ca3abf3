/// A failure reported by PostgreSQL or libpq. `sqlState` drives decisions (unique violation →
/// alias taken); `message` is for the log only, never for a caller.
public struct StorageError: Error, CustomStringConvertible, Sendable {
    public let sqlState: String?
    public let message: String
    public let file: String
    public let line: Int

    public init(sqlState: String? = nil, _ message: String, file: String = #fileID, line: Int = #line) {
        self.sqlState = sqlState
        self.message = message
        self.file = file
        self.line = line
    }

    public var isUniqueViolation: Bool { sqlState == "23505" }
    public var description: String { "storage: \(sqlState ?? "-") \(message) (\(file):\(line))" }
}
