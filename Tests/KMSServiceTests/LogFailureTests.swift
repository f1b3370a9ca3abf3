import XCTest
import KMSCore
import KMSStorage
@testable import KMSService

/// What a log line says about a failure: kind, code and place, never values PostgreSQL quotes.
final class LogFailureTests: XCTestCase {
    func testDatabaseErrorWithSQLStateLeavesTheServerMessageOut() {
        let error = StorageError(sqlState: "23514", "ERROR:  new row violates check constraint\nDETAIL:  Failing row contains (\\x5345435245544b4559)",
                                 file: "KMSStorage/KeyStatements.swift", line: 12)
        let text = Log.describe(error)
        XCTAssertEqual(text, "database error 23514 at KMSStorage/KeyStatements.swift:12")
        XCTAssertFalse(text.contains("5345435245544b4559"))
    }

    func testConnectionFailureKeepsItsFirstLineOnly() {
        let error = StorageError("connection to server on socket \"/k/run/pg/.s.PGSQL.5432\" failed: No such file or directory\n\tIs the server running?",
                                 file: "KMSStorage/PostgresConnection.swift", line: 40)
        XCTAssertEqual(Log.describe(error),
                       "database error at KMSStorage/PostgresConnection.swift:40: connection to server on socket \"/k/run/pg/.s.PGSQL.5432\" failed: No such file or directory")
    }

    func testKMSErrorIsItsCodeAndPlace() {
        let error = KMSError(.internalError, "a reason that may name a value", file: "KMSAPI/X.swift", line: 7)
        XCTAssertEqual(Log.describe(error), "InternalError at KMSAPI/X.swift:7")
    }
}
