import Foundation
import XCTest
@testable import KMSAPI
import KMSCore

final class RateLimiterTests: XCTestCase {
    final class FakeClock: @unchecked Sendable {
        var nanoseconds: UInt64 = 1_000_000_000
    }

    func testBurstThenSteadyRatePerAccount() throws {
        let clock = FakeClock()
        let limiter = RateLimiter(rate: 10, burst: 20, now: { clock.nanoseconds })
        for _ in 0..<20 { try limiter.admit(1) }
        XCTAssertThrowsError(try limiter.admit(1)) { XCTAssertEqual(($0 as? KMSError)?.code, .requestLimitExceeded) }
        // Another account is not affected by the first one's burst.
        XCTAssertNoThrow(try limiter.admit(2))
        clock.nanoseconds += 100_000_000  // 0.1 s refills one token
        XCTAssertNoThrow(try limiter.admit(1))
        XCTAssertThrowsError(try limiter.admit(1))
        clock.nanoseconds += 10_000_000_000  // never more than the burst
        for _ in 0..<20 { try limiter.admit(1) }
        XCTAssertThrowsError(try limiter.admit(1))
    }

    func testZeroRateDisablesLimiting() throws {
        let limiter = RateLimiter(rate: 0)
        for _ in 0..<10_000 { try limiter.admit(7) }
    }
}
