import XCTest
@testable import KMSService

/// The /readyz rule, without a server: which facts make a responder not ready, and the one line
/// that says why.
final class ReadinessTests: XCTestCase {
    let now: Int64 = 100_000

    func facts(_ database: ReadinessFacts.Database, age: Int64 = 500, referenced: Set<Int>? = [1],
               loaded: Set<Int> = [1]) -> ReadinessFacts {
        ReadinessFacts(database: database, checkedAt: now - age, referencedKeyIds: referenced, loadedKeyIds: loaded)
    }

    func testReadyWhenWritableAndEveryReferencedKeyIsLoaded() {
        XCTAssertNil(Readiness.reason(facts(.writable), now: now))
        XCTAssertNil(Readiness.reason(facts(.writable, referenced: [1, 2], loaded: [1, 2, 3]), now: now))
        // A fresh database names no key yet: nothing can be missing.
        XCTAssertNil(Readiness.reason(facts(.writable, referenced: [], loaded: [1]), now: now))
    }

    func testNotReadyBeforeTheFirstCheck() {
        XCTAssertEqual(Readiness.reason(ReadinessFacts(loadedKeyIds: [1]), now: now), "starting: postgresql not checked yet")
    }

    func testEachDatabaseStateHasItsReason() {
        XCTAssertEqual(Readiness.reason(facts(.unreachable), now: now), "postgresql unreachable")
        XCTAssertEqual(Readiness.reason(facts(.readOnly), now: now), "postgresql is read-only")
        XCTAssertEqual(Readiness.reason(facts(.inRecovery), now: now), "postgresql is in recovery (a standby): read-only")
    }

    func testAStaleCheckMeansPostgresIsNotAnswering() {
        // The monitor is stuck in a query to a hung server: the last good answer no longer counts.
        XCTAssertEqual(Readiness.reason(facts(.writable, age: 7_400), now: now), "postgresql not answering (last check 7s ago)")
        XCTAssertNil(Readiness.reason(facts(.writable, age: Readiness.staleAfterMilliseconds), now: now))
    }

    func testMissingMasterKeysAreNamed() {
        XCTAssertEqual(Readiness.reason(facts(.writable, referenced: [1, 2], loaded: [1]), now: now), "master key 2 missing")
        XCTAssertEqual(Readiness.reason(facts(.writable, referenced: [1, 3, 2], loaded: [1]), now: now), "master keys 2, 3 missing")
        XCTAssertEqual(Readiness.reason(facts(.writable, referenced: nil), now: now), "master keys not counted yet")
    }

    func testTheDatabaseReasonComesFirst() {
        XCTAssertEqual(Readiness.reason(facts(.unreachable, referenced: [2], loaded: [1]), now: now), "postgresql unreachable")
    }

    func testTheMonitorsConnectionGivesUpOnAServerThatDoesNotAnswer() {
        XCTAssertEqual(ReadinessMonitor.withConnectTimeout("host=/run/pg dbname=kms user=kms_app"),
                       "host=/run/pg dbname=kms user=kms_app connect_timeout=2")
        XCTAssertEqual(ReadinessMonitor.withConnectTimeout("postgresql:///kms?host=/run/pg&user=kms_app"),
                       "postgresql:///kms?host=/run/pg&user=kms_app&connect_timeout=2")
        XCTAssertEqual(ReadinessMonitor.withConnectTimeout("postgresql:///kms"), "postgresql:///kms?connect_timeout=2")
        XCTAssertEqual(ReadinessMonitor.withConnectTimeout("dbname=kms connect_timeout=9"), "dbname=kms connect_timeout=9")
    }
}
