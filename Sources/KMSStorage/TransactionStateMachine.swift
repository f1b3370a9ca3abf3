/// The commands the transaction state machine adds by itself.
protocol TransactionCommand {
    static var begin: Self { get }
    static var commit: Self { get }
}

/// The transaction state of one `Database` as a value (postgres-nio's connection state
/// machines): each call says what the caller wants and returns what to send; `Database` does
/// the I/O and reports a failed send back. No I/O here, so every path is tested without a server.
///
/// Round trips are what a transaction costs most, so nothing is sent until it must be: BEGIN,
/// the tenant's scope and queued statements wait, and go out in one pipeline with the next
/// statement whose result is needed, or with the COMMIT. A transaction that never needed a
/// result is sent without BEGIN and COMMIT: a pipeline is one implicit transaction that commits
/// at its sync point (and `SET LOCAL` lasts until then).
struct TransactionStateMachine<Command: TransactionCommand> {
    enum State {
        /// No transaction.
        case idle
        /// In a transaction whose BEGIN has not gone out: all of it is in `pending`.
        case queued(pending: [Command])
        /// BEGIN went out; `pending` waits for the next round trip.
        case open(pending: [Command])
        /// A round trip of the open transaction failed: the server has aborted it.
        case failed
        /// The last round trip is on its way: the COMMIT, or the whole of an implicit transaction.
        case committing(begunOnServer: Bool)
    }

    enum Action {
        /// Nothing to send.
        case nothing
        /// Replace a connection the server closed while it sat idle.
        case reconnect
        /// Send one command alone (reconnecting first if `reconnect`).
        case execute(Command, reconnect: Bool)
        /// Send these in one pipeline; the caller's own commands come last.
        case pipeline([Command], reconnect: Bool)
        /// Fail without sending anything.
        case fail(StorageError)
        /// Send ROLLBACK if the server is still in a transaction block.
        case rollback
    }

    private(set) var state: State = .idle

    var isInTransaction: Bool {
        if case .idle = state { return false }
        return true
    }

    /// `transaction(tenant:)` starts; `scope` is its tenant's, if any. Transactions do not nest.
    mutating func begin(scope: Command?) -> Action {
        precondition(!isInTransaction, "transactions do not nest")
        state = .queued(pending: scope.map { [$0] } ?? [])
        return .reconnect
    }

    /// Statements whose results are needed, in one round trip with everything queued before them.
    mutating func run(_ commands: [Command]) -> Action {
        switch state {
        case .idle:
            return commands.count == 1 ? .execute(commands[0], reconnect: true) : .pipeline(commands, reconnect: true)
        case .queued(let pending):
            state = .open(pending: [])
            return .pipeline([Command.begin] + pending + commands, reconnect: false)
        case .open(let pending):
            state = .open(pending: [])
            // Once BEGIN went out, a lost connection is not replaced: the transaction is gone with it.
            if pending.isEmpty && commands.count == 1 { return .execute(commands[0], reconnect: false) }
            return .pipeline(pending + commands, reconnect: false)
        case .failed:
            return .fail(Self.aborted)
        case .committing:
            preconditionFailure("a statement after the transaction's end")
        }
    }

    /// A statement whose result is not needed: it waits for the next round trip of the
    /// transaction; outside one it runs at once.
    mutating func enqueue(_ command: Command) -> Action {
        switch state {
        case .idle: return .execute(command, reconnect: true)
        case .queued(let pending): state = .queued(pending: pending + [command])
        case .open(let pending): state = .open(pending: pending + [command])
        case .failed: return .fail(Self.aborted)
        case .committing: preconditionFailure("a statement after the transaction's end")
        }
        return .nothing
    }

    /// A single read in a tenant's scope, outside any transaction: scope and statement form one
    /// implicit transaction, so the scope ends with it.
    mutating func query(scope: Command, _ command: Command) -> Action {
        precondition(!isInTransaction, "query runs on its own")
        return .pipeline([scope, command], reconnect: true)
    }

    /// A new scope for the rest of the transaction (the scheduled worker serves many tenants).
    mutating func rescope(_ scope: Command) -> Action {
        if case .idle = state { return .pipeline([scope], reconnect: false) }
        return enqueue(scope)
    }

    /// The raw connection is wanted: whatever is queued goes out first.
    mutating func flush() -> Action {
        switch state {
        case .queued(let pending):
            state = .open(pending: [])
            return .pipeline([Command.begin] + pending, reconnect: false)
        case .open(let pending) where !pending.isEmpty:
            state = .open(pending: [])
            return .pipeline(pending, reconnect: false)
        default:
            return .nothing
        }
    }

    /// The body returned: commit. A transaction still queued goes out whole, without BEGIN and
    /// COMMIT; one that failed on the server cannot commit.
    mutating func commit() -> Action {
        switch state {
        case .queued(let pending):
            state = .committing(begunOnServer: false)
            return pending.isEmpty ? .nothing : .pipeline(pending, reconnect: false)
        case .open(let pending):
            state = .committing(begunOnServer: true)
            return .pipeline(pending + [Command.commit], reconnect: false)
        case .failed:
            return .fail(Self.aborted)
        case .idle, .committing:
            preconditionFailure("commit outside a transaction")
        }
    }

    /// The last send failed. An open transaction is now aborted on the server.
    mutating func sendFailed() {
        if case .open = state { state = .failed }
    }

    /// The commit went through.
    mutating func committed() {
        state = .idle
    }

    /// The body or the commit threw: the transaction ends. It is rolled back if BEGIN went out;
    /// otherwise the server ran at most an implicit transaction, already rolled back.
    mutating func abort() -> Action {
        defer { state = .idle }
        switch state {
        case .open, .failed, .committing(begunOnServer: true): return .rollback
        case .idle, .queued, .committing(begunOnServer: false): return .nothing
        }
    }

    static var aborted: StorageError {
        StorageError(sqlState: "25P02", "the transaction failed earlier; it is rolled back when it ends")
    }
}
