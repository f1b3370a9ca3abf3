import XCTest
@testable import KMSService
import KMSCore

/// The cluster-wide limits' arithmetic (issue 13, SPEC §8): the division among live hosts, which
/// heartbeats are live, and the clock edges around a failover.
final class HostShareTests: XCTestCase {
    func testALimitIsDividedAmongTheLiveHostsAndNeverBelowTheFloor() {
        XCTAssertEqual(HostShare.part(of: 100, hosts: 1, floor: 1), 100)
        XCTAssertEqual(HostShare.part(of: 100, hosts: 2, floor: 1), 50)
        XCTAssertEqual(HostShare.part(of: 100, hosts: 3, floor: 1), 100.0 / 3)
        // The floor: 10 per second over 40 hosts would be 0.25 each; every host grants 1.
        XCTAssertEqual(HostShare.part(of: 10, hosts: 40, floor: 1), 1)
        // …but never more than the limit itself.
        XCTAssertEqual(HostShare.part(of: 0.5, hosts: 4, floor: 1), 0.5)
        // Off stays off; a nonsense count is one host, a runaway count is capped.
        XCTAssertEqual(HostShare.part(of: 0, hosts: 4, floor: 1), 0)
        XCTAssertEqual(HostShare.part(of: 100, hosts: 0, floor: 1), 100)
        XCTAssertEqual(HostShare.part(of: 100, hosts: -3, floor: 1), 100)
        XCTAssertEqual(HostShare.part(of: 1000, hosts: 10_000, floor: 1), 1000.0 / Double(HostShare.maximumHosts))
    }

    func testTheShareIsClampedToAtLeastOneHost() {
        let share = HostShare()
        XCTAssertEqual(share.liveHosts, 1)
        share.update(liveHosts: 3)
        XCTAssertEqual(share.liveHosts, 3)
        share.update(liveHosts: 0)
        XCTAssertEqual(share.liveHosts, 1)
        share.update(liveHosts: 1_000_000)
        XCTAssertEqual(share.liveHosts, HostShare.maximumHosts)
    }

    func testOnlyBeatsWithinTheFreshnessWindowCount() {
        let now: Int64 = 1_800_000_000_000
        // Alone: this host always counts itself.
        XCTAssertEqual(LiveHosts.count(others: [], reference: now), 1)
        XCTAssertEqual(LiveHosts.count(others: [now - 900, now - 1_500], reference: now), 3)
        // A beat exactly at the edge counts, one millisecond older does not.
        XCTAssertEqual(LiveHosts.count(others: [now - 5_000], reference: now), 2)
        XCTAssertEqual(LiveHosts.count(others: [now - 5_001], reference: now), 1)
        // A host that died an hour ago, and one removed long ago, do not count.
        XCTAssertEqual(LiveHosts.count(others: [now - 3_600_000, now - 1_000], reference: now), 2)
    }

    func testABeatFromAClockAheadCountsOnlyWithinTheWindow() {
        let now: Int64 = 1_800_000_000_000
        // A peer stamped 2 s ahead (the previous primary's clock): live.
        XCTAssertEqual(LiveHosts.count(others: [now + 2_000], reference: now), 2)
        // Stamped a minute ahead by a primary whose clock ran fast, and never since: not live for ever.
        XCTAssertEqual(LiveHosts.count(others: [now + 60_000], reference: now), 1)
        // Extreme stamps do not overflow.
        XCTAssertEqual(LiveHosts.count(others: [Int64.min, Int64.max], reference: now), 1)
        XCTAssertEqual(LiveHosts.count(others: [now], reference: Int64.min), 1)
    }

    func testAFallingCountWaitsForASecondBeatARisingOneDoesNot() {
        var smoothing = HostCountSmoothing()
        XCTAssertEqual(smoothing.observe(1), 1)
        XCTAssertEqual(smoothing.observe(3), 3)   // a host joined: its share shrinks at once
        // A failover to a primary whose clock is 30 s behind: every peer looks stale for one beat.
        XCTAssertEqual(smoothing.observe(1), 3)
        XCTAssertEqual(smoothing.observe(3), 3)   // the peers beat on the new primary: back
        // A host really gone: the count falls on the second beat that finds it gone.
        XCTAssertEqual(smoothing.observe(2), 3)
        XCTAssertEqual(smoothing.observe(2), 2)
    }

    func testHostNames() {
        XCTAssertTrue(HostHeartbeat.validName("resp1"))
        XCTAssertTrue(HostHeartbeat.validName("kms-a.rack_2"))
        XCTAssertFalse(HostHeartbeat.validName(""))
        XCTAssertFalse(HostHeartbeat.validName("a b"))
        XCTAssertFalse(HostHeartbeat.validName("résp"))
        XCTAssertFalse(HostHeartbeat.validName(String(repeating: "a", count: 64)))
    }

    final class FakeClock: @unchecked Sendable {
        var nanoseconds: UInt64 = 1_000_000_000
    }

    func testTheCPUBudgetOfAnAccountIsDividedAmongHostsButNotTheHostsOwnBudget() throws {
        let clock = FakeClock()
        let share = HostShare(liveHosts: 2)
        // 100 ms/s per account, 10 s of burst: with two hosts each grants 50 ms/s, 500 ms of burst.
        let budget = CPUBudget(rate: 100, processRate: 10_000, burstSeconds: 10, share: share, now: { clock.nanoseconds })
        try budget.admit(1)
        budget.charge(1, milliseconds: 500)
        XCTAssertThrowsError(try budget.admit(1)) { XCTAssertEqual(($0 as? KMSError)?.code, .requestLimitExceeded) }
        clock.nanoseconds += 20_000_001  // 50 ms/s: 20 ms earns 1 ms
        XCTAssertNoThrow(try budget.admit(1))
        // Alone again: the full rate.
        share.update(liveHosts: 1)
        let alone = CPUBudget(rate: 100, processRate: 10_000, burstSeconds: 10, share: share, now: { clock.nanoseconds })
        try alone.admit(2)
        alone.charge(2, milliseconds: 999)
        XCTAssertNoThrow(try alone.admit(2))
        alone.charge(2, milliseconds: 1)
        XCTAssertThrowsError(try alone.admit(2))
    }
}
