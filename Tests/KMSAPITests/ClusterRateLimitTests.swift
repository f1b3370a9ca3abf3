import XCTest
@testable import KMSAPI
import KMSCore
import KMSService

/// Per-account rate limits shared among the live responder hosts of a deployment (SPEC §8).
final class ClusterRateLimitTests: XCTestCase {
    final class FakeClock: @unchecked Sendable {
        var nanoseconds: UInt64 = 1_000_000_000
    }

    func admitted(_ limiter: RateLimiter, _ account: Int64, tries: Int) -> Int {
        (0..<tries).reduce(0) { n, _ in n + ((try? limiter.admit(account)) != nil ? 1 : 0) }
    }

    func testEachOfTwoHostsAdmitsHalfTheRateAndBurst() {
        let clock = FakeClock()
        let share = HostShare(liveHosts: 2)
        let limiter = RateLimiter(rate: 10, burst: 20, share: share, now: { clock.nanoseconds })
        XCTAssertEqual(admitted(limiter, 7, tries: 50), 10)          // half the burst
        clock.nanoseconds += 1_000_000_000
        XCTAssertEqual(admitted(limiter, 7, tries: 50), 5)           // half the rate
        do {
            try limiter.admit(7)
            XCTFail("admitted past the limit")
        } catch let error as KMSError {
            XCTAssertEqual(error.code, .requestLimitExceeded)
            XCTAssertTrue(error.reason.contains("10 requests per second"), error.reason)  // the account's limit, not the host's part
        } catch { XCTFail("\(error)") }
    }

    func testTheShareFollowsTheLiveHostCount() {
        let clock = FakeClock()
        let share = HostShare(liveHosts: 4)
        let limiter = RateLimiter(rate: 100, burst: 100, share: share, now: { clock.nanoseconds })
        XCTAssertEqual(admitted(limiter, 1, tries: 200), 25)
        share.update(liveHosts: 1)  // the others died: this host now carries the whole limit
        clock.nanoseconds += 1_000_000_000
        XCTAssertEqual(admitted(limiter, 1, tries: 200), 100)
    }

    func testTheFloorKeepsATinyLimitUsableOnManyHosts() {
        let clock = FakeClock()
        let limiter = RateLimiter(rate: 4, burst: 8, share: HostShare(liveHosts: 50), now: { clock.nanoseconds })
        XCTAssertEqual(admitted(limiter, 1, tries: 20), 2)  // burst 8 × (1/4): 2, not 0.16
        clock.nanoseconds += 1_000_000_000
        XCTAssertEqual(admitted(limiter, 1, tries: 20), 1)  // the floor: 1 per second
    }

    func testWithoutAShareTheLimitIsTheProcesssOwnAsBefore() {
        let clock = FakeClock()
        let limiter = RateLimiter(rate: 10, burst: 20, now: { clock.nanoseconds })
        XCTAssertEqual(admitted(limiter, 1, tries: 50), 20)
        let one = RateLimiter(rate: 10, burst: 20, share: HostShare(liveHosts: 1), now: { clock.nanoseconds })
        XCTAssertEqual(admitted(one, 1, tries: 50), 20)
    }
}

/// Clock edges of the token bucket: a worker that read the clock just before another worker
/// updated the bucket arrives with a time *earlier* than the bucket's. Seen in the cluster test:
/// the unsigned difference wrapped round to ~584 years, the bucket refilled to its burst, and a
/// saturated host admitted 20-60 % more than its rate.
final class RateLimiterClockEdgeTests: XCTestCase {
    final class FakeClock: @unchecked Sendable {
        var nanoseconds: UInt64 = 10_000_000_000
    }

    func testAStaleTimeNeverRefillsTheBucket() {
        let clock = FakeClock()
        let limiter = RateLimiter(rate: 10, burst: 20, now: { clock.nanoseconds })
        for _ in 0..<20 { XCTAssertNoThrow(try limiter.admit(1)) }
        XCTAssertThrowsError(try limiter.admit(1))
        clock.nanoseconds -= 1_000  // a worker whose clock reading is a microsecond older
        XCTAssertThrowsError(try limiter.admit(1), "a stale time refilled the bucket")
        XCTAssertThrowsError(try limiter.admit(1))
        // And time still moves on from the newest reading: 0.1 s later, one token.
        clock.nanoseconds += 1_000 + 100_000_000
        XCTAssertNoThrow(try limiter.admit(1))
        XCTAssertThrowsError(try limiter.admit(1))
    }
}
