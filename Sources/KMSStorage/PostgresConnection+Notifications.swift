import CPostgres
#if canImport(Glibc)
import Glibc
#endif

extension PostgresConnection {
    /// Subscribes this connection to a notification channel.
    public func listen(_ channel: String) throws {
        try execute(script: "LISTEN \(channel)")
    }

    /// Waits up to `timeout` seconds for notifications and returns those that arrived
    /// (channel, payload). Throws when the connection is lost.
    public func notifications(timeout: Double) throws -> [(channel: String, payload: String)] {
        guard let handle else { throw StorageError("no connection") }
        var pending = drainNotifications(handle)
        if !pending.isEmpty { return pending }
        var fd = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
        guard fd.fd >= 0 else { throw StorageError("no socket") }
        let ready = poll(&fd, 1, Int32(timeout * 1000))
        if ready > 0 {
            guard PQconsumeInput(handle) == 1 else { DatabaseErrors.count(); throw StorageError("connection lost: \(lastError)") }
            pending = drainNotifications(handle)
        }
        if PQstatus(handle) != CONNECTION_OK { throw StorageError("connection lost") }
        return pending
    }

    private func drainNotifications(_ handle: OpaquePointer) -> [(channel: String, payload: String)] {
        var out: [(String, String)] = []
        // PQnotifies hands over one malloc'd PGnotify at a time; each is freed with PQfreemem.
        while let notify = PQnotifies(handle) {
            out.append((String(cString: notify.pointee.relname), String(cString: notify.pointee.extra)))
            PQfreemem(notify)
        }
        return out
    }
}
