import Foundation
import XCTest
@testable import KMSService
import KMSCore

final class CPUBudgetTests: XCTestCase {
    final class FakeClock: @unchecked Sendable {
        var nanoseconds: UInt64 = 1_000_000_000
    }

    func testAnAccountThatSpentItsBudgetIsRefusedUntilItRefillsAndOthersAreNot() throws {
        let clock = FakeClock()
        // 100 ms of CPU per second, 10 s of it in the bucket.
        let budget = CPUBudget(rate: 100, processRate: 10_000, burstSeconds: 10, now: { clock.nanoseconds })
        for _ in 0..<10 {
            try budget.admit(1)
            budget.charge(1, milliseconds: 100)
        }
        XCTAssertThrowsError(try budget.admit(1)) { XCTAssertEqual(($0 as? KMSError)?.code, .requestLimitExceeded) }
        XCTAssertNoThrow(try budget.admit(2))
        clock.nanoseconds += 500_000_000  // 0.5 s earns 50 ms
        XCTAssertNoThrow(try budget.admit(1))
        budget.charge(1, milliseconds: 60)  // a call may overdraw: the debt is paid back first
        XCTAssertThrowsError(try budget.admit(1))
        clock.nanoseconds += 100_000_001
        XCTAssertNoThrow(try budget.admit(1))
    }

    func testTheProcessWideBudgetBoundsAllAccountsTogether() throws {
        let clock = FakeClock()
        let budget = CPUBudget(rate: 100, processRate: 200, burstSeconds: 10, now: { clock.nanoseconds })
        // The process holds 2000 ms: two accounts spend 1000 each, a third is then refused.
        for account in [Int64(1), 2] {
            try budget.admit(account)
            budget.charge(account, milliseconds: 1000)
        }
        XCTAssertThrowsError(try budget.admit(3)) { XCTAssertEqual(($0 as? KMSError)?.code, .requestLimitExceeded) }
        clock.nanoseconds += 1_000_000_000
        XCTAssertNoThrow(try budget.admit(3))
    }

    func testChargingChargesTheThreadsCPUTime() throws {
        let budget = CPUBudget(rate: 1, processRate: 1000, burstSeconds: 10)  // 10 ms in the bucket
        try budget.admit(7)
        budget.charging(7) {
            let end = ThreadCPUClock.milliseconds + 30
            var x: UInt64 = 0
            while ThreadCPUClock.milliseconds < end { x &+= 1 }
            XCTAssertGreaterThan(x, 0)
        }
        XCTAssertThrowsError(try budget.admit(7), "30 ms spent of a 10 ms bucket")
    }

    func testZeroRateTurnsTheBudgetOff() throws {
        let budget = CPUBudget(rate: 0)
        for _ in 0..<1000 {
            try budget.admit(7)
            budget.charge(7, milliseconds: 1000)
        }
    }
}
