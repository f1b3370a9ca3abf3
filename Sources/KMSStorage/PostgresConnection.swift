import CPostgres
#if canImport(Glibc)
import Glibc
#endif
import KMSCore

/// One libpq connection, owned by one thread. Statements send `bytea` parameters binary and
/// the rest as text, and read their results binary; the raw `execute(name:sql:parameters:)`
/// of migrations and tests is text both ways.
public final class PostgresConnection {
    var handle: OpaquePointer?
    private let conninfo: String
    /// The server-side name of each statement prepared on this connection.
    private var prepared: [PreparedName: String] = [:]
    /// Exchanges with the server so far (a statement, a prepare or a whole pipeline: one each; a
    /// COPY: two). Tests count them to show that a path costs no more round trips than it should.
    public private(set) var roundTrips = 0

    public init(conninfo: String) throws {
        self.conninfo = conninfo
        try connect()
    }

    /// Not connected yet: the first `reconnectIfNeeded` connects (a worker that may never need
    /// the database, or not while it is down).
    public init(connectingLater conninfo: String) {
        self.conninfo = conninfo
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
            DatabaseErrors.count()
            throw StorageError("connect failed: \(message)")
        }
        PostgresConnection.installNoticeProcessor(on: handle)
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

    var lastError: String {
        guard let handle, let text = PQerrorMessage(handle) else { return "no connection" }
        return String(cString: text).trimmingCharacters(in: "\n")
    }

    /// Runs SQL with no parameters through the simple protocol (several statements allowed).
    public func execute(script sql: String) throws {
        roundTrips += 1
        _ = try check(PQexec(handle, sql))
    }

    /// Runs ad-hoc SQL with positional text parameters (`$1`, `$2`, …), preparing it once under
    /// `name`; the result is in text format. For migrations and tests: the service's SQL is in
    /// statement types.
    public func execute(name: String, sql: String, parameters: [String?]) throws -> QueryResult {
        let encoded = try EncodedParameters(parameters.map { $0.map(PostgresValue.text) ?? .null })
        return try execute(.prepared(.named(name), sql: sql, parameters: encoded, binaryResults: false))
    }

    /// Runs one command and returns its result.
    func execute(_ command: PostgresCommand) throws -> QueryResult {
        guard let handle else { throw StorageError("no connection") }
        switch command {
        case .sql(let sql):
            roundTrips += 1
            return try check(PQexec(handle, sql))
        case .prepared(let key, let sql, let parameters, let binary):
            let name = try prepareIfNeeded(key, sql: sql, on: handle)
            roundTrips += 1
            return try check(parameters.withLibpqArrays { count, _, values, lengths, formats in
                PQexecPrepared(handle, name, count, values, lengths, formats, binary ? 1 : 0)
            })
        case .planned(let sql, let parameters, let binary):
            roundTrips += 1
            return try check(parameters.withLibpqArrays { count, types, values, lengths, formats in
                PQexecParams(handle, sql, count, types, values, lengths, formats, binary ? 1 : 0)
            })
        }
    }

    /// The server-side name of a prepared statement, preparing it on this connection first if
    /// needed (one round trip, once). The server infers the parameters' types.
    private func prepareIfNeeded(_ key: PreparedName, sql: String, on handle: OpaquePointer) throws -> String {
        if let name = prepared[key] { return name }
        let name: String
        switch key {
        case .named(let given): name = given
        case .statement: name = "kms_s\(prepared.count + 1)"
        }
        roundTrips += 1
        _ = try check(PQprepare(handle, name, sql, 0, nil))
        prepared[key] = name
        return name
    }

    /// Sends `commands` in one round trip (libpq pipeline mode) and returns their results in
    /// order. Each command still runs on its own, as if sent one by one: the pipeline changes
    /// only how many times the client waits for the server. The first command that fails is
    /// thrown after every result has been read; the server skips the commands after it.
    func execute(pipeline commands: [PostgresCommand]) throws -> [QueryResult] {
        guard let handle else { throw StorageError("no connection") }
        var names: [String?] = []
        names.reserveCapacity(commands.count)
        for command in commands {
            guard case let .prepared(key, sql, _, _) = command else { names.append(nil); continue }
            names.append(try prepareIfNeeded(key, sql: sql, on: handle))
        }
        guard PQenterPipelineMode(handle) == 1 else { throw StorageError("cannot enter pipeline mode: \(lastError)") }
        defer { exitPipeline(handle) }
        roundTrips += 1
        for (command, name) in zip(commands, names) {
            let sent: Int32
            switch command {
            case .sql(let sql):
                sent = PQsendQueryParams(handle, sql, 0, nil, nil, nil, nil, 0)
            case .prepared(_, _, let parameters, let binary):
                sent = parameters.withLibpqArrays { count, _, values, lengths, formats in
                    PQsendQueryPrepared(handle, name!, count, values, lengths, formats, binary ? 1 : 0)
                }
            case .planned(let sql, let parameters, let binary):
                sent = parameters.withLibpqArrays { count, types, values, lengths, formats in
                    PQsendQueryParams(handle, sql, count, types, values, lengths, formats, binary ? 1 : 0)
                }
            }
            guard sent == 1 else { throw StorageError("sending a pipelined command failed: \(lastError)") }
        }
        guard PQpipelineSync(handle) == 1 else { throw StorageError("pipeline sync failed: \(lastError)") }
        var results: [QueryResult] = []
        results.reserveCapacity(commands.count)
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
        // The COPY starts (one round trip), then its rows go and its outcome comes back (another).
        roundTrips += 2
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
            DatabaseErrors.count(sqlState: state)
            throw StorageError(sqlState: state, message.trimmingCharacters(in: "\n"))
        }
    }
}

extension String {
    func trimmingCharacters(in set: Character) -> String {
        var s = Substring(self)
        while s.last == set { s.removeLast() }
        return String(s)
    }
}
