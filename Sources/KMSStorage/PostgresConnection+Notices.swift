import CPostgres

extension PostgresConnection {
    /// Where the server's notices and asynchronous errors ("FATAL: terminating connection due to
    /// administrator command" when PostgreSQL shuts down) go, one message per call. libpq prints
    /// them to stderr unless told otherwise, and the responder's stderr is its JSON log; nil (tools
    /// such as kmsctl) keeps libpq's default. Set once at start-up, before the first connection.
    nonisolated(unsafe) public static var noticeHandler: (@Sendable (String) -> Void)? = nil

    static func installNoticeProcessor(on handle: OpaquePointer?) {
        guard noticeHandler != nil else { return }
        // A C function pointer cannot capture: it reaches the handler through the static.
        PQsetNoticeProcessor(handle, { _, message in
            guard let message, let handler = PostgresConnection.noticeHandler else { return }
            handler(String(cString: message))
        }, nil)
    }
}
