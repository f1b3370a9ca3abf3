import Synchronization

/// How many responder hosts serve the deployment right now, and so what part of an account's
/// cluster-wide limit this host enforces (SPEC §8). The load balancer spreads an account's
/// requests over the hosts (by the hash of each request's signature, docs/DEPLOYMENT.md), so each
/// host enforcing `limit / live hosts` keeps the account's total near its limit.
///
/// Written once a second by `HostHeartbeat`, read on every request: one relaxed atomic load, no lock.
public final class HostShare: Sendable {
    /// More hosts than this are counted as this many (a runaway heartbeat table must not starve anyone).
    public static let maximumHosts = 256
    private let hosts: Atomic<Int>

    public init(liveHosts: Int = 1) { hosts = Atomic(HostShare.clamp(liveHosts)) }

    public var liveHosts: Int { hosts.load(ordering: .relaxed) }

    public func update(liveHosts: Int) { hosts.store(HostShare.clamp(liveHosts), ordering: .relaxed) }

    static func clamp(_ count: Int) -> Int { min(max(count, 1), maximumHosts) }

    /// One host's part of `total` with `hosts` live hosts: `total / hosts`, but never below
    /// `floor` (nor above `total`). `total` ≤ 0 (limiting off) stays as it is.
    public static func part(of total: Double, hosts: Int, floor: Double) -> Double {
        guard total > 0 else { return total }
        let n = clamp(hosts)
        guard n > 1 else { return total }
        return max(total / Double(n), min(total, floor))
    }
}

/// Which heartbeats count as live hosts (pure, for the tests).
public enum LiveHosts {
    /// Seconds without a beat after which a host no longer counts: a dead host's share goes to
    /// the others after at most this (plus one beat). A clean stop removes its row at once.
    public static let freshnessMilliseconds: Int64 = 5_000

    /// This host (always live) plus every other host whose last beat lies within `freshness` of
    /// this host's own beat, `reference` — on either side. All stamps come from the database's
    /// clock. A beat far *ahead* of the reference was stamped by a primary whose clock was ahead
    /// (before a failover): a live host would have beaten again since, so it is stale, not live
    /// for ever.
    public static func count(others: [Int64], reference: Int64,
                             freshness: Int64 = LiveHosts.freshnessMilliseconds) -> Int {
        1 + others.reduce(0) { $0 + ((reference &- $1).magnitude <= UInt64(freshness) ? 1 : 0) }
    }
}

/// A lower count takes effect only once two beats in a row found it; a higher one at once. After a
/// failover to a primary whose clock differs by more than the freshness window, every other
/// host's beat looks stale for one beat (until they beat again on the new primary): without this
/// each host would briefly believe itself alone and admit the whole limit.
public struct HostCountSmoothing {
    private var previous: Int? = nil
    public init() {}
    public mutating func observe(_ count: Int) -> Int {
        defer { previous = count }
        return max(count, previous ?? count)
    }
}
