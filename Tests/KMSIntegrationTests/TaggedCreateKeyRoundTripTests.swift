import XCTest
import KMSCore
@testable import KMSAPI
@testable import KMSService

/// Tags cost CreateKey no round trip: they are queued with the key's INSERT and go out with the
/// COMMIT, as ARCHITECTURE.md says CreateKey does.
final class TaggedCreateKeyRoundTripTests: XCTestCase {
    func testCreateKeyWithFiftyTagsIsStillOneRoundTrip() throws {
        let h = try ServiceHarness(clock: TestClock(1_980_000_000))
        let account = try h.newAccount()
        let tags = JSONValue.array((0..<50).map { .object([("TagKey", .string("k\($0)")), ("TagValue", "v")]) })
        // Warm, as the bench's round-trip test measures: the INSERTs already prepared on the connection.
        _ = h.call("CreateKey", .object([("Alias", .string("warm\(UInt32.random(in: 0...UInt32.max))")), ("Tags", tags)]), as: account)
        let before = h.database.roundTrips
        let created = h.call("CreateKey", .object([("Alias", .string("tagged\(UInt32.random(in: 0...UInt32.max))")), ("Tags", tags)]),
                             as: account)
        XCTAssertEqual(h.database.roundTrips - before, 1)
        XCTAssertNil(ServiceHarness.errorCode(created))
        XCTAssertEqual(created["TagCode"], .int(0))
        XCTAssertEqual(created["TagMsg"], "ok")
    }
}
