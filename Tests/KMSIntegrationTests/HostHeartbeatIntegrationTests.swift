import Foundation
import XCTest
import KMSService
import KMSStorage

/// `HostHeartbeat` against PostgreSQL (migration 015), as the application role: two hosts count
/// each other, and a host that stops removes its row for good — no beat still in flight writes it
/// back after `stop()` has returned (the others must take its share at once, not 5 s later).
final class HostHeartbeatIntegrationTests: XCTestCase {
    func testHostsCountEachOtherAndAStoppedHostLeavesNoRowBehind() throws {
        guard let url = ProcessInfo.processInfo.environment["KMS_TEST_DATABASE_URL"] else {
            return XCTFail("KMS_TEST_DATABASE_URL is not set: run the storage tests through scripts/kms test")
        }
        let owner = try Database(conninfo: url)
        try Migrator(directory: ProcessInfo.processInfo.environment["KMS_TEST_SQL_DIR"] ?? "SQL").apply(to: owner)
        let app = url.replacingOccurrences(of: "user=kms_owner", with: "user=kms_app")
        let tag = "t\(UInt32.random(in: 0...UInt32.max))"
        let shareA = HostShare(), shareB = HostShare()
        let a = HostHeartbeat(host: "\(tag)-a", conninfo: app, share: shareA, interval: 0.05)
        let b = HostHeartbeat(host: "\(tag)-b", conninfo: app, share: shareB, interval: 0.05)
        defer { a.stop(); b.stop() }
        func rows() throws -> Int {
            let r = try owner.connection.execute(name: "t_heartbeat_rows", sql: "SELECT count(*)::bigint AS n FROM responder_heartbeats WHERE host LIKE $1",
                                                 parameters: ["\(tag)-%"])
            return Int(try XCTUnwrap(r.rows.first).decode(Int64.self, "n"))
        }
        func waitFor(_ what: String, _ condition: () throws -> Bool) throws {
            let deadline = Date().addingTimeInterval(10)
            while try !condition() {
                if Date() > deadline { return XCTFail("not within 10 s: \(what)") }
                Thread.sleep(forTimeInterval: 0.02)
            }
        }

        a.start()
        b.start()
        // Other tests' rows are stale (seconds old), so each counts itself and the other.
        try waitFor("both hosts count two live hosts") { shareA.liveHosts == 2 && shareB.liveHosts == 2 }
        XCTAssertEqual(try rows(), 2)

        b.stop()
        XCTAssertEqual(try rows(), 1, "the stopped host's row is still there when stop() returns")
        // Many beats of the remaining host later, the stopped one has not come back.
        Thread.sleep(forTimeInterval: 0.5)
        XCTAssertEqual(try rows(), 1, "a beat after stop() wrote the stopped host's row again")
        a.stop()
        XCTAssertEqual(try rows(), 0)
    }
}
