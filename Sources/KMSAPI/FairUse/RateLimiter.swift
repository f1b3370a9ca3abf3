import Foundation
import KMSCore
import KMSService

/// Per-account request rate limits (token buckets), so one tenant cannot starve the others.
///
/// Each account may make `rate` requests per second on average with bursts up to `burst`.
/// The buckets live in this process. In a deployment of several responder hosts (`share`, kept
/// by `HostHeartbeat`) each host enforces `rate / live hosts` (never below `floorPerHost`), so an
/// account's requests, spread over the hosts by the load balancer, add up to about `rate`.
/// Accounts are spread over striped locks so workers rarely wait on each other.
public final class RateLimiter: @unchecked Sendable {
    struct Bucket {
        var tokens: Double
        var updated: UInt64
    }

    final class Stripe {
        let lock = NSLock()
        var buckets: [Int64: Bucket] = [:]
    }

    public let rate: Double
    public let burst: Double
    private let stripes: [Stripe]
    private let now: @Sendable () -> UInt64
    /// The live responder hosts of the deployment; nil on a single host.
    public let share: HostShare?
    /// Requests per second per account that every host admits, however many hosts there are.
    public static let floorPerHost: Double = 1

    /// `rate` ≤ 0 disables limiting. `now` is monotonic nanoseconds (injectable for tests).
    public init(rate: Double, burst: Double? = nil, share: HostShare? = nil, now: (@Sendable () -> UInt64)? = nil) {
        self.rate = rate
        self.burst = burst ?? max(1, rate * 2)
        self.share = share
        self.now = now ?? { DispatchTimeNow.nanoseconds }
        stripes = (0..<16).map { _ in Stripe() }
    }

    /// Takes one token for `appId`, or throws `RequestLimitExceeded`.
    public func admit(_ appId: Int64) throws {
        guard rate > 0 else { return }
        var hostRate = rate, hostBurst = burst
        if let hosts = share?.liveHosts, hosts > 1 {
            hostRate = HostShare.part(of: rate, hosts: hosts, floor: RateLimiter.floorPerHost)
            hostBurst = max(1, burst * hostRate / rate)
        }
        let stripe = stripes[Int(UInt64(bitPattern: appId) % UInt64(stripes.count))]
        let t = now()
        stripe.lock.lock()
        defer { stripe.lock.unlock() }
        var bucket = stripe.buckets[appId] ?? Bucket(tokens: hostBurst, updated: t)
        // Another worker may have updated the bucket with a later reading than ours (we read the
        // clock before the lock): no time has passed for us then. (An unsigned difference would
        // wrap round to centuries and refill the bucket.)
        if t > bucket.updated {
            bucket.tokens = min(hostBurst, bucket.tokens + Double(t - bucket.updated) / 1_000_000_000 * hostRate)
            bucket.updated = t
        }
        // The share may have shrunk since (a host joined): never more than this host's burst.
        bucket.tokens = min(hostBurst, bucket.tokens)
        guard bucket.tokens >= 1 else {
            stripe.buckets[appId] = bucket
            throw KMSError(.requestLimitExceeded, "This account exceeds \(Int(rate)) requests per second.")
        }
        bucket.tokens -= 1
        stripe.buckets[appId] = bucket
    }
}
