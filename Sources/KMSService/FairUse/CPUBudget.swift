import Foundation
import KMSCore

/// A budget of CPU time for expensive calls (wrapping key-pair generation, RSA unwrapping),
/// per account and per responder process, so one tenant hammering GetParametersForImport
/// cannot take the cores that every other tenant's Encrypt needs (SPEC §6).
///
/// Token buckets of CPU milliseconds: each account earns `rate` ms per second up to `burst`;
/// a call is admitted while the bucket is positive and is charged what it really cost
/// afterwards (the CPU time of the request's thread, measured around the work), so a bucket
/// may go briefly into debt by the calls already in flight.
/// Above the accounts, a process-wide bucket (`processRate`, by default half the host's cores)
/// bounds what all accounts together may spend, so many tenants at once still leave the other
/// half of the machine to everyone's cheap calls.
/// In a deployment of several responder hosts (`share`) an account's rate is divided among the
/// live hosts (never below `floorPerHost`); the process-wide bucket stays the host's own (it
/// protects this host's cores).
public final class CPUBudget: @unchecked Sendable {
    struct Bucket {
        var milliseconds: Double
        var updated: UInt64
    }

    /// CPU milliseconds per second per account; ≤ 0 turns the budget off.
    public let rate: Double
    /// What an account's bucket holds when full.
    public let burst: Double
    private let burstSeconds: Double
    /// CPU milliseconds per second for all accounts together in this process.
    public let processRate: Double
    private let lock = NSLock()
    private var accounts: [Int64: Bucket] = [:]
    private var process: Bucket
    private let now: @Sendable () -> UInt64
    /// The live responder hosts of the deployment; nil on a single host.
    public let share: HostShare?
    /// CPU milliseconds per second per account that every host grants, however many hosts there are.
    public static let floorPerHost: Double = 10

    /// Buckets hold `burstSeconds` of their rate. `now` is monotonic nanoseconds (injectable for tests).
    public init(rate: Double, processRate: Double? = nil, burstSeconds: Double = 20, share: HostShare? = nil,
                now: (@Sendable () -> UInt64)? = nil) {
        self.rate = rate
        self.share = share
        self.burstSeconds = burstSeconds
        burst = rate * burstSeconds
        self.processRate = processRate ?? Double(ProcessInfo.processInfo.activeProcessorCount) * 500
        self.now = now ?? { DispatchTimeNow.nanoseconds }
        process = Bucket(milliseconds: self.processRate * burstSeconds, updated: self.now())
    }

    /// Throws `RequestLimitExceeded` unless `appId` and the process both have budget left.
    public func admit(_ appId: Int64) throws {
        guard rate > 0 else { return }
        lock.lock()
        defer { lock.unlock() }
        let t = now()
        let (accountRate, accountBurst) = hostPart()
        let account = refilled(accounts[appId] ?? Bucket(milliseconds: accountBurst, updated: t), rate: accountRate, cap: accountBurst, at: t)
        process = refilled(process, rate: processRate, cap: processRate * burstSeconds, at: t)
        accounts[appId] = account
        guard account.milliseconds > 0 else {
            throw KMSError(.requestLimitExceeded, "This account has used up its CPU budget for public-key operations; retry in a few seconds.")
        }
        guard process.milliseconds > 0 else {
            throw KMSError(.requestLimitExceeded, "The service's CPU budget for public-key operations is in use; retry in a few seconds.")
        }
    }

    /// Charges `milliseconds` of CPU spent on behalf of `appId`.
    public func charge(_ appId: Int64, milliseconds: Double) {
        guard rate > 0, milliseconds > 0 else { return }
        lock.lock()
        defer { lock.unlock() }
        let t = now()
        let (accountRate, accountBurst) = hostPart()
        var account = refilled(accounts[appId] ?? Bucket(milliseconds: accountBurst, updated: t), rate: accountRate, cap: accountBurst, at: t)
        account.milliseconds -= milliseconds
        accounts[appId] = account
        process.milliseconds -= milliseconds
    }

    /// Admits `appId`, then runs `body` and charges the CPU time it took (`admit` + `charging`).
    public func spending<R>(_ appId: Int64, _ body: () throws -> R) throws -> R {
        try admit(appId)
        return try charging(appId, body)
    }

    /// Runs `body` and charges the CPU time this thread spent in it (admitted beforehand).
    public func charging<R>(_ appId: Int64, _ body: () throws -> R) rethrows -> R {
        let start = ThreadCPUClock.milliseconds
        defer { charge(appId, milliseconds: ThreadCPUClock.milliseconds - start) }
        return try body()
    }

    /// This host's part of an account's rate and burst.
    private func hostPart() -> (rate: Double, burst: Double) {
        guard let hosts = share?.liveHosts, hosts > 1 else { return (rate, burst) }
        let part = HostShare.part(of: rate, hosts: hosts, floor: CPUBudget.floorPerHost)
        return (part, part * burstSeconds)
    }

    private func refilled(_ bucket: Bucket, rate: Double, cap: Double, at t: UInt64) -> Bucket {
        let elapsed = Double(t &- bucket.updated) / 1_000_000_000
        return Bucket(milliseconds: min(cap, bucket.milliseconds + elapsed * rate), updated: t)
    }
}

/// CPU time used by the calling thread (CLOCK_THREAD_CPUTIME_ID), in milliseconds.
enum ThreadCPUClock {
    static var milliseconds: Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) * 1000 + Double(ts.tv_nsec) / 1_000_000
    }
}
