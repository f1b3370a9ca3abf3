import CPostgres
#if canImport(Glibc)
import Glibc
#endif
import KMSCore

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

/// One libpq connection, owned by one thread. Parameters and results travel in text format;
/// `bytea` as `\x…` hex. Each statement is prepared once per connection, on first use.
public final class PostgresConnection {
    private var handle: OpaquePointer?
    private let conninfo: String
    private var prepared = Set<String>()

    public init(conninfo: String) throws {
        self.conninfo = conninfo
        try connect()
    }

    deinit { PQfinish(handle) }

    private func connect() throws {
        PQfinish(handle)
        prepared.removeAll()
        handle = PQconnectdb(conninfo)
        guard PQstatus(handle) == CONNECTION_OK else {
            let message = lastError
            PQfinish(handle)
            handle = nil
            throw StorageError("connect failed: \(message)")
        }
    }

    /// True when the server connection is gone and must be re-established.
    public var isBroken: Bool { handle == nil || PQstatus(handle) != CONNECTION_OK }

    /// True while the session is inside a transaction block (open, or failed and not rolled back).
    public var isInTransaction: Bool { handle.map { PQtransactionStatus($0) != PQTRANS_IDLE } ?? false }

    /// Re-establishes a lost connection; cheap no-op on a healthy one.
    public func reconnectIfNeeded() throws {
        // A server that closed this connection while it sat idle (restart, fast shutdown,
        // pg_terminate_backend) has left its FATAL message and EOF in the socket, but PQstatus
        // only notices once a statement fails. An idle connection that does not LISTEN has
        // nothing to read: if its socket is readable (or hung up), the server has gone away, so
        // replace the connection now instead of failing the request that would use it.
        if let handle, PQstatus(handle) == CONNECTION_OK, PQtransactionStatus(handle) == PQTRANS_IDLE {
            var fd = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
            if fd.fd < 0 || poll(&fd, 1, 0) != 0 {
                try connect()
                return
            }
        }
        if isBroken { try connect() }
    }

    private var lastError: String {
        guard let handle, let text = PQerrorMessage(handle) else { return "no connection" }
        return String(cString: text).trimmingASCIIWhitespace()
    }

    /// Runs SQL with no parameters through the simple protocol (several statements allowed).
    public func execute(script sql: String) throws {
        _ = try check(PQexec(handle, sql))
    }

    /// Runs a statement with positional text parameters (`$1`, `$2`, …), preparing it once.
    public func execute(name: String, sql: String, parameters: [String?]) throws -> QueryResult {
        guard let handle else { throw StorageError("no connection") }
        try prepareIfNeeded(name: name, sql: sql, on: handle)
        return try check(PostgresConnection.withCStrings(parameters) { PQexecPrepared(handle, name, Int32(parameters.count), $0, nil, nil, 0) })
    }

    /// Prepares `sql` as `name` on this connection unless it already is.
    private func prepareIfNeeded(name: String, sql: String, on handle: OpaquePointer) throws {
        guard !prepared.contains(name) else { return }
        _ = try check(PQprepare(handle, name, sql, 0, nil))
        prepared.insert(name)
    }

    /// One command, alone or in a pipeline: SQL without parameters, or a statement with its bindings.
    public enum PipelinedCommand {
        case sql(String)
        /// Prepared once per connection; executions reuse its plan once PostgreSQL settles on one.
        case prepared(name: String, sql: String, parameters: [String?])
        /// Parsed and planned for its values on every execution (the unnamed statement).
        case planned(sql: String, parameters: [String?])
    }

    /// Runs one command and returns its result.
    public func execute(_ command: PipelinedCommand) throws -> QueryResult {
        switch command {
        case .sql(let sql): return try check(PQexec(handle, sql))
        case .prepared(let name, let sql, let parameters): return try execute(name: name, sql: sql, parameters: parameters)
        case .planned(let sql, let parameters):
            guard let handle else { throw StorageError("no connection") }
            return try check(PostgresConnection.withCStrings(parameters) {
                PQexecParams(handle, sql, Int32(parameters.count), nil, $0, nil, nil, 0)
            })
        }
    }

    /// libpq wants a C array of C strings; they live for the duration of `body`.
    private static func withCStrings<R>(_ values: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
        let cStrings: [UnsafeMutablePointer<CChar>?] = values.map { $0.map { strdup($0) } ?? nil }
        defer { cStrings.forEach { free($0) } }
        let raw = cStrings.map { UnsafePointer($0) }
        return raw.withUnsafeBufferPointer { body($0.baseAddress) }
    }

    /// Sends `commands` in one round trip (libpq pipeline mode) and returns their results in
    /// order. Each command still runs on its own, as if sent one by one: the pipeline changes
    /// only how many times the client waits for the server. The first command that fails is
    /// thrown after every result has been read; the server skips the commands after it.
    public func execute(pipeline commands: [PipelinedCommand]) throws -> [QueryResult] {
        guard let handle else { throw StorageError("no connection") }
        for case let .prepared(name, sql, _) in commands { try prepareIfNeeded(name: name, sql: sql, on: handle) }
        guard PQenterPipelineMode(handle) == 1 else { throw StorageError("cannot enter pipeline mode: \(lastError)") }
        defer { exitPipeline(handle) }
        for command in commands {
            let sent: Int32
            switch command {
            case .sql(let sql):
                sent = PQsendQueryParams(handle, sql, 0, nil, nil, nil, nil, 0)
            case .prepared(let name, _, let parameters):
                sent = PostgresConnection.withCStrings(parameters) { PQsendQueryPrepared(handle, name, Int32(parameters.count), $0, nil, nil, 0) }
            case .planned(let sql, let parameters):
                sent = PostgresConnection.withCStrings(parameters) { PQsendQueryParams(handle, sql, Int32(parameters.count), nil, $0, nil, nil, 0) }
            }
            guard sent == 1 else { throw StorageError("sending a pipelined command failed: \(lastError)") }
        }
        guard PQpipelineSync(handle) == 1 else { throw StorageError("pipeline sync failed: \(lastError)") }
        var results: [QueryResult] = []
        var failure: Error?
        for _ in commands {
            // Each command yields one result, then a NULL that ends it.
            guard let result = PQgetResult(handle) else { throw StorageError("pipeline ended early: \(lastError)") }
            while let extra = PQgetResult(handle) { PQclear(extra) }
            if PQresultStatus(result) == PGRES_PIPELINE_ABORTED {
                PQclear(result)
                if failure == nil { failure = StorageError("pipeline aborted") }
                continue
            }
            do { results.append(try check(result)) } catch { if failure == nil { failure = error } }
        }
        guard let sync = PQgetResult(handle) else { throw StorageError("pipeline sync missing: \(lastError)") }
        let synced = PQresultStatus(sync) == PGRES_PIPELINE_SYNC
        PQclear(sync)
        if let failure { throw failure }
        guard synced else { throw StorageError("pipeline out of step: \(lastError)") }
        return results
    }

    /// Leaves pipeline mode, reading whatever a failed pipeline left unread; a connection that
    /// cannot leave it is closed (the next use reconnects).
    private func exitPipeline(_ handle: OpaquePointer) {
        var spins = 0
        while PQpipelineStatus(handle) != PQ_PIPELINE_OFF {
            if PQexitPipelineMode(handle) == 1 { return }
            guard spins < 1000, PQstatus(handle) == CONNECTION_OK else { break }
            spins += 1
            if let result = PQgetResult(handle) { PQclear(result) }
        }
        if PQpipelineStatus(handle) != PQ_PIPELINE_OFF {
            PQfinish(self.handle)
            self.handle = nil
            prepared.removeAll()
        }
    }

    /// Runs `COPY … FROM STDIN` (text format) with `data` as its rows, as one statement (and so
    /// one implicit transaction: all rows or none).
    public func copyIn(_ sql: String, data: [UInt8]) throws {
        guard let handle else { throw StorageError("no connection") }
        guard let started = PQexec(handle, sql) else { throw StorageError("no result: \(lastError)") }
        guard PQresultStatus(started) == PGRES_COPY_IN else { _ = try check(started); throw StorageError("COPY did not start") }
        PQclear(started)
        let sent = data.withUnsafeBytes { raw in
            PQputCopyData(handle, raw.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(raw.count))
        }
        let ended = PQputCopyEnd(handle, sent == 1 ? nil : "client could not send the rows")
        var failure: Error? = sent == 1 && ended == 1 ? nil : StorageError("sending COPY data failed: \(lastError)")
        // The outcome of the COPY, then the NULL that ends its results.
        while let result = PQgetResult(handle) {
            do { _ = try check(result) } catch { if failure == nil { failure = error } }
        }
        if let failure { throw failure }
    }

    /// Takes ownership of a PGresult and turns a failed status into a StorageError.
    private func check(_ result: OpaquePointer?) throws -> QueryResult {
        guard let result else { throw StorageError("no result: \(lastError)") }
        let owned = QueryResult(result)
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            return owned
        default:
            let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
            let message = PQresultErrorMessage(result).map { String(cString: $0) } ?? "unknown error"
            if state == "26000" { prepared.removeAll() }  // prepared statement vanished: prepare again next time
            throw StorageError(sqlState: state, message.trimmingASCIIWhitespace())
        }
    }

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
            guard PQconsumeInput(handle) == 1 else { throw StorageError("connection lost: \(lastError)") }
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

    /// Escapes a value as an SQL literal (for `SET LOCAL`, which takes no parameters).
    public func literal(_ value: String) throws -> String {
        guard let handle, let escaped = PQescapeLiteral(handle, value, value.utf8.count) else {
            throw StorageError("escape failed: \(lastError)")
        }
        defer { PQfreemem(escaped) }
        return String(cString: escaped)
    }
}

/// An owned PGresult; rows are read as text.
public final class QueryResult {
    private let result: OpaquePointer

    init(_ result: OpaquePointer) { self.result = result }
    deinit { PQclear(result) }

    public var rowCount: Int { Int(PQntuples(result)) }
    /// Rows changed by INSERT/UPDATE/DELETE.
    public var affectedRows: Int { Int(String(cString: PQcmdTuples(result))) ?? 0 }

    public func isNull(_ row: Int, _ column: Int) -> Bool { PQgetisnull(result, Int32(row), Int32(column)) == 1 }

    public func string(_ row: Int, _ column: Int) -> String? {
        isNull(row, column) ? nil : String(cString: PQgetvalue(result, Int32(row), Int32(column)))
    }

    public func int64(_ row: Int, _ column: Int) -> Int64 { string(row, column).flatMap { Int64($0) } ?? 0 }

    public func bool(_ row: Int, _ column: Int) -> Bool { string(row, column) == "t" }

    /// A bytea column in hex output format.
    public func bytes(_ row: Int, _ column: Int) -> [UInt8]? {
        guard let text = string(row, column) else { return nil }
        return Bytea.decode(text)
    }
}

/// `bytea` hex text (`\x0a1b…`) in both directions.
public enum Bytea {
    public static func encode<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        Hex.encode(bytes, prefix: "\\x")
    }

    static func decode(_ text: String) -> [UInt8]? {
        let utf8 = text.utf8
        guard utf8.starts(with: "\\x".utf8) else { return nil }
        return Hex.decode(utf8.dropFirst(2))
    }
}
