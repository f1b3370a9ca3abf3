import Foundation
import XCTest
@testable import KMSService
import KMSCore

/// The wrapping-key pool under a load that leaves no CPU idle: its SCHED_IDLE thread gets
/// nothing, and the reserve thread keeps every kind at half the capacity, no more, with pairs
/// the taking account is charged for.
final class WrappingKeyPoolTests: XCTestCase {
    func testTheReserveKeepsHalfTheCapacityWhenTheIdleThreadGetsNoCPU() throws {
        let pool = WrappingKeyPool(capacity: 4)
        let starved = DispatchSemaphore(value: 0)
        // The idle thread's set-up never returns until the end: it stands for a thread that is never scheduled.
        pool.start(threadSetup: { starved.wait() })
        defer {
            pool.stop()
            starved.signal()
        }
        func ready() -> [Int] { pool.sizes.map(\.ready) }
        let deadline = Date().addingTimeInterval(60)
        while ready() != [2, 2] {
            XCTAssertLessThan(Date(), deadline, "the reserve did not fill half the pool: \(ready())")
            if Date() > deadline { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        // Half, not more: the rest is the idle thread's, which gets no CPU.
        Thread.sleep(forTimeInterval: 1)
        XCTAssertEqual(ready(), [2, 2])

        let pair = try pool.take(.rsa2048)
        XCTAssertTrue(pair.generatedByReserve)
        XCTAssertFalse(pair.generatedOnDemand)
        XCTAssertTrue(pair.charged, "the account that takes a reserve pair pays for it")
        XCTAssertGreaterThan(pair.cpuMilliseconds, 0)
        // Taken below half: the reserve makes another.
        while ready()[0] < 2 {
            XCTAssertLessThan(Date(), deadline, "the reserve did not refill: \(ready())")
            if Date() > deadline { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    func testPairsMadeOnIdleCPUAreNotCharged() throws {
        let pool = WrappingKeyPool(capacity: 2)
        pool.start()
        defer { pool.stop() }
        let deadline = Date().addingTimeInterval(60)
        // Both threads may generate at once, so a kind can end one above its capacity.
        while !pool.sizes.allSatisfy({ $0.ready >= 2 }) {
            XCTAssertLessThan(Date(), deadline, "the pool did not fill: \(pool.sizes)")
            if Date() > deadline { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        // With capacity 2 the reserve makes at most 1 of each, so one of any two is the idle thread's.
        let pairs = [try pool.take(.sm2), try pool.take(.sm2)]
        XCTAssertEqual(pairs.filter(\.charged).count, pairs.filter(\.generatedByReserve).count)
        XCTAssertTrue(pairs.contains { !$0.charged }, "a pair made by the idle thread costs nobody anything")
        let onDemand = try WrappingKeyPool(capacity: 0).take(.sm2)
        XCTAssertTrue(onDemand.generatedOnDemand && onDemand.charged)
    }

    func testAPairGivenBackIsTakenNextUnchargedAndTheCapacityHolds() throws {
        // Capacity 1 and never started: nothing refills behind the test's back.
        let pool = WrappingKeyPool(capacity: 1)
        let made = try pool.take(.sm2)
        XCTAssertTrue(made.generatedOnDemand && made.charged)
        pool.giveBack(made, as: .sm2)
        XCTAssertEqual(pool.sizes.first { $0.spec == .sm2 }?.ready, 1)
        let again = try pool.take(.sm2)
        XCTAssertEqual(again.publicKeyDER, made.publicKeyDER, "the same pair, not a new one")
        XCTAssertFalse(again.charged, "its maker was charged already")
        // A full pool keeps no more than its capacity.
        pool.giveBack(again, as: .sm2)
        pool.giveBack(try WrappingKeyPool(capacity: 0).take(.sm2), as: .sm2)
        XCTAssertEqual(pool.sizes.first { $0.spec == .sm2 }?.ready, 1)
    }
}
