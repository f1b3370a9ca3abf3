import KMSCore
import XCTest

/// `StalenessWindow`: what cached keys and credentials may do while the invalidation channel is
/// down, as instants in nanoseconds — no clock, no thread, no database.
final class StalenessWindowTests: XCTestCase {
    let second: UInt64 = 1_000_000_000

    func testWhileListeningCachedEntriesAreUsable() {
        let window = StalenessWindow(seconds: 30)
        XCTAssertFalse(window.isBlind)
        XCTAssertTrue(StalenessWindow.allowsCachedUse(at: 1_000 * second, usableUntil: window.usableUntil))
    }

    func testALostChannelKeepsEntriesUsableForTheWindowAndNotAMomentLonger() {
        var window = StalenessWindow(seconds: 30)
        let lost = 100 * second
        XCTAssertEqual(window.channelLost(at: lost), .serveUntil(lost + 30 * second))
        XCTAssertTrue(window.isBlind)
        XCTAssertTrue(StalenessWindow.allowsCachedUse(at: lost, usableUntil: window.usableUntil))
        XCTAssertTrue(StalenessWindow.allowsCachedUse(at: lost + 30 * second - 1, usableUntil: window.usableUntil))
        XCTAssertFalse(StalenessWindow.allowsCachedUse(at: lost + 30 * second, usableUntil: window.usableUntil),
                       "a key served at the end of the window")
        XCTAssertFalse(StalenessWindow.allowsCachedUse(at: lost + 3_600 * second, usableUntil: window.usableUntil))
    }

    func testFailedReconnectionsDoNotExtendTheWindow() {
        var window = StalenessWindow(seconds: 30)
        let lost = 100 * second
        _ = window.channelLost(at: lost)
        // The invalidator retries every half second; each failure reports the loss again.
        for retry in 1...200 {
            XCTAssertEqual(window.channelLost(at: lost + UInt64(retry) * second / 2), .serveUntil(lost + 30 * second))
        }
        XCTAssertFalse(StalenessWindow.allowsCachedUse(at: lost + 31 * second, usableUntil: window.usableUntil))
    }

    func testReconnectingEndsTheBlindSpellAndTheNextLossOpensAFreshWindow() {
        var window = StalenessWindow(seconds: 30)
        _ = window.channelLost(at: 100 * second)
        window.channelRestored()
        XCTAssertFalse(window.isBlind)
        XCTAssertTrue(StalenessWindow.allowsCachedUse(at: 500 * second, usableUntil: window.usableUntil))
        XCTAssertEqual(window.channelLost(at: 600 * second), .serveUntil(630 * second))
    }

    func testAWindowOfZeroEmptiesTheCachesAtOnce() {
        var window = StalenessWindow(seconds: 0)
        XCTAssertEqual(window.channelLost(at: 100 * second), .emptyNow)
        XCTAssertEqual(window.channelLost(at: 101 * second), .emptyNow)
        XCTAssertFalse(window.isBlind, "emptied caches need no gate: what is loaded next comes from the database")
    }
}
