import Foundation
import KMSCore
import KMSService

/// Per-account request rate limits (token buckets), so one tenant cannot starve the others.
///
/// Each account may make `rate` requests per second on average with bursts up to `burst`.
/// The buckets live in this process: with several responder processes each enforces the limit
/// on its own share. Accounts are spread over striped locks so workers rarely wait on each other.
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

    /// `rate` ≤ 0 disables limiting. `now` is monotonic nanoseconds (injectable for tests).
    public init(rate: Double, burst: Double? = nil, now: (@Sendable () -> UInt64)? = nil) {
        self.rate = rate
        self.burst = burst ?? max(1, rate * 2)
        self.now = now ?? { DispatchTimeNow.nanoseconds }
        stripes = (0..<16).map { _ in Stripe() }
    }

    /// Takes one token for `appId`, or throws `RequestLimitExceeded`.
    public func admit(_ appId: Int64) throws {
        guard rate > 0 else { return }
        let stripe = stripes[Int(UInt64(bitPattern: appId) % UInt64(stripes.count))]
        let t = now()
        stripe.lock.lock()
        defer { stripe.lock.unlock() }
        var bucket = stripe.buckets[appId] ?? Bucket(tokens: burst, updated: t)
        let elapsed = Double(t &- bucket.updated) / 1_000_000_000
        bucket.tokens = min(burst, bucket.tokens + elapsed * rate)
        bucket.updated = t
        guard bucket.tokens >= 1 else {
            stripe.buckets[appId] = bucket
            throw KMSError(.requestLimitExceeded, "This account exceeds \(Int(rate)) requests per second.")
        }
        bucket.tokens -= 1
        stripe.buckets[appId] = bucket
    }
}
