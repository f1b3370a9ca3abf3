import XCTest
@testable import KMSStorage

/// The transaction state machine without a server: what each step sends, and in how many round trips.
final class TransactionStateMachineTests: XCTestCase {
    enum Command: TransactionCommand, Equatable {
        case begin, commit
        case scope(String)
        case statement(String)
    }
    typealias Machine = TransactionStateMachine<Command>

    /// The actions as an Equatable value (a failure compared by its SQLSTATE).
    enum Sent: Equatable {
        case nothing, reconnect, rollback
        case execute(Command, reconnect: Bool)
        case pipeline([Command], reconnect: Bool)
        case fail(String?)

        init(_ action: Machine.Action) {
            switch action {
            case .nothing: self = .nothing
            case .reconnect: self = .reconnect
            case .rollback: self = .rollback
            case .execute(let command, let reconnect): self = .execute(command, reconnect: reconnect)
            case .pipeline(let commands, let reconnect): self = .pipeline(commands, reconnect: reconnect)
            case .fail(let error): self = .fail(error.sqlState)
            }
        }
    }

    let scope = Command.scope("tenant"), a = Command.statement("a"), b = Command.statement("b"), read = Command.statement("read")

    func testAWriteOnlyTransactionIsOnePipelineWithoutBeginOrCommit() {
        var m = Machine()
        XCTAssertEqual(Sent(m.begin(scope: scope)), .reconnect)
        XCTAssertEqual(Sent(m.enqueue(a)), .nothing)
        XCTAssertEqual(Sent(m.enqueue(b)), .nothing)
        XCTAssertEqual(Sent(m.commit()), .pipeline([scope, a, b], reconnect: false))
        m.committed()
        XCTAssertFalse(m.isInTransaction)
    }

    func testTheFirstReadCarriesBeginTheScopeAndTheQueuedWrites() {
        var m = Machine()
        _ = m.begin(scope: scope)
        _ = m.enqueue(a)
        XCTAssertEqual(Sent(m.run([read])), .pipeline([.begin, scope, a, read], reconnect: false))
        // Nothing queued since: the next read goes alone, and a lost connection is not replaced mid-transaction.
        XCTAssertEqual(Sent(m.run([read])), .execute(read, reconnect: false))
        _ = m.enqueue(b)
        XCTAssertEqual(Sent(m.commit()), .pipeline([b, .commit], reconnect: false))
        m.committed()
        XCTAssertFalse(m.isInTransaction)
    }

    func testTwoReadsShareOneRoundTripWithWhatIsQueued() {
        var m = Machine()
        _ = m.begin(scope: scope)
        XCTAssertEqual(Sent(m.run([a, b])), .pipeline([.begin, scope, a, b], reconnect: false))
        _ = m.enqueue(read)
        XCTAssertEqual(Sent(m.run([a, b])), .pipeline([read, a, b], reconnect: false))
    }

    func testOutsideATransactionEveryStatementGoesAtOnceOnAFreshConnection() {
        var m = Machine()
        XCTAssertEqual(Sent(m.run([read])), .execute(read, reconnect: true))
        XCTAssertEqual(Sent(m.enqueue(a)), .execute(a, reconnect: true))
        XCTAssertEqual(Sent(m.run([a, b])), .pipeline([a, b], reconnect: true))
        XCTAssertEqual(Sent(m.query(scope: scope, read)), .pipeline([scope, read], reconnect: true))
        XCTAssertEqual(Sent(m.rescope(scope)), .pipeline([scope], reconnect: false))
        XCTAssertEqual(Sent(m.flush()), .nothing)
        XCTAssertFalse(m.isInTransaction)
    }

    func testAFailedRoundTripAbortsTheTransactionUntilItIsRolledBack() {
        var m = Machine()
        _ = m.begin(scope: scope)
        _ = m.run([read])
        m.sendFailed()
        // The server would only answer 25P02 now: nothing more is sent, and the body cannot commit.
        XCTAssertEqual(Sent(m.run([read])), .fail("25P02"))
        XCTAssertEqual(Sent(m.enqueue(a)), .fail("25P02"))
        XCTAssertEqual(Sent(m.rescope(scope)), .fail("25P02"))
        XCTAssertEqual(Sent(m.commit()), .fail("25P02"))
        XCTAssertEqual(Sent(m.abort()), .rollback)
        XCTAssertFalse(m.isInTransaction)
    }

    func testABodyThatThrowsBeforeAnythingWasSentNeedsNoRollback() {
        var m = Machine()
        _ = m.begin(scope: scope)
        _ = m.enqueue(a)
        XCTAssertEqual(Sent(m.abort()), .nothing)
        XCTAssertFalse(m.isInTransaction)
        // The queue went with it: the next transaction starts empty.
        _ = m.begin(scope: nil)
        XCTAssertEqual(Sent(m.commit()), .nothing)
    }

    func testAFailedImplicitTransactionIsAlreadyRolledBackByTheServer() {
        var m = Machine()
        _ = m.begin(scope: scope)
        _ = m.enqueue(a)
        XCTAssertEqual(Sent(m.commit()), .pipeline([scope, a], reconnect: false))
        m.sendFailed()
        XCTAssertEqual(Sent(m.abort()), .nothing)
    }

    func testAFailedCommitAfterBeginIsRolledBack() {
        var m = Machine()
        _ = m.begin(scope: scope)
        _ = m.run([read])
        XCTAssertEqual(Sent(m.commit()), .pipeline([.commit], reconnect: false))
        m.sendFailed()
        XCTAssertEqual(Sent(m.abort()), .rollback)
        XCTAssertFalse(m.isInTransaction)
    }

    func testFlushBringsTheRawConnectionInStep() {
        var m = Machine()
        _ = m.begin(scope: nil)
        XCTAssertEqual(Sent(m.flush()), .pipeline([.begin], reconnect: false))
        XCTAssertEqual(Sent(m.flush()), .nothing)
        _ = m.enqueue(a)
        XCTAssertEqual(Sent(m.flush()), .pipeline([a], reconnect: false))
        XCTAssertEqual(Sent(m.commit()), .pipeline([.commit], reconnect: false))
    }

    func testRescopingInsideATransactionWaitsForTheNextStatement() {
        var m = Machine()
        _ = m.begin(scope: nil)
        XCTAssertEqual(Sent(m.run([read])), .pipeline([.begin, read], reconnect: false))
        XCTAssertEqual(Sent(m.rescope(scope)), .nothing)
        XCTAssertEqual(Sent(m.run([a])), .pipeline([scope, a], reconnect: false))
    }
}
