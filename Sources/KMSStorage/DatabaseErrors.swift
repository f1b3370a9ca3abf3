import Synchronization

/// Failed exchanges with PostgreSQL in this process, for `kms_database_errors_total`: a connection
/// that could not be made or was lost, a statement the server refused. Integrity violations
/// (SQLSTATE class 23) are not counted: they are answers (an alias already taken), not faults.
public enum DatabaseErrors {
    private static let counter = Atomic<UInt64>(0)

    /// The count so far.
    public static var total: UInt64 { counter.load(ordering: .relaxed) }

    static func count(sqlState: String? = nil) {
        if let sqlState, sqlState.hasPrefix("23") { return }
        counter.wrappingAdd(1, ordering: .relaxed)
    }
}
