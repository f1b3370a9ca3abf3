import Foundation
import KMSCore
import KMSCrypto

/// Pre-generated wrapping key pairs for GetParametersForImport.
///
/// An RSA-2048 key pair costs tens of milliseconds to generate; a background thread keeps a few
/// of each kind ready so the call stays fast under load. It runs on idle CPU only (SCHED_IDLE),
/// so under a load that leaves no CPU idle (Encrypt saturating the cores) it stops; then a
/// second, the reserve thread, keeps the pool from running dry at normal priority but paced, at
/// most `reserveShare` of one core, and only while a kind is below half its capacity. When the
/// pool runs dry all the same the caller generates its own, so the pool only ever makes things
/// faster. Keys never leave the process unsealed and each is handed out once.
public final class WrappingKeyPool: @unchecked Sendable {
    /// A generated pair in the forms GetParametersForImport stores and returns. Exporting a key
    /// goes through OpenSSL 3's encoder machinery, which is not cheap either, so that is done
    /// ahead too.
    public struct Pair {
        /// The private key as PKCS#8 DER (in zeroing storage; sealed before it is stored).
        public let privateKeyDER: SecureBytes
        /// The public key as SubjectPublicKeyInfo DER.
        public let publicKeyDER: [UInt8]
        /// The CPU time its generation took.
        public let cpuMilliseconds: Double
        /// Made on the request's own thread because the pool was dry.
        public internal(set) var generatedOnDemand = false
        /// Made by the reserve thread, on CPU a request could have had.
        public internal(set) var generatedByReserve = false
        /// Whether the account that takes it is charged for it (`CPUBudget`): made on demand or by
        /// the reserve thread. Pairs made from idle CPU (SCHED_IDLE) cost nobody anything.
        public var charged: Bool { generatedOnDemand || generatedByReserve }
    }

    /// The reserve thread's pace: its generations take at most this share of one core.
    public static let reserveShare = 0.5

    private let capacity: Int
    private let condition = NSCondition()
    private var ready: [WrappingKeySpec: [Pair]] = [:]
    private var running = false

    /// A pool keeping up to `capacity` pairs of each kind ready: 64 absorb a burst of
    /// GetParametersForImport (an RSA-2048 pair costs ~200 ms of CPU here, so the reserve's half
    /// core makes ~2.5 a second under full load), in ~120 KiB.
    public init(capacity: Int = 64) { self.capacity = capacity }

    /// A fresh key pair of `spec`, from the pool when one is ready.
    public func take(_ spec: WrappingKeySpec) throws -> Pair {
        condition.lock()
        let key = ready[spec]?.popLast()
        // Both refilling threads may be waiting, for different levels.
        condition.broadcast()
        condition.unlock()
        if let key { return key }
        var pair = try WrappingKeyPool.generate(spec)
        pair.generatedOnDemand = true
        return pair
    }

    /// Puts back a pair `take` gave a request that was then refused before any of it left the
    /// process: nothing sealed with it was stored and its public key was never answered, so it is
    /// as fresh as one never taken. It goes back uncharged (whoever made it was charged already)
    /// unless the pool is full again, and the refused request has spent no pair.
    public func giveBack(_ pair: Pair, as spec: WrappingKeySpec) {
        var pair = pair
        pair.generatedOnDemand = false
        pair.generatedByReserve = false
        condition.lock()
        if (ready[spec]?.count ?? 0) < capacity { ready[spec, default: []].append(pair) }
        condition.unlock()
    }

    /// Pairs ready now, for each kind (every kind listed, an empty one as 0).
    public var sizes: [(spec: WrappingKeySpec, ready: Int)] {
        condition.lock()
        defer { condition.unlock() }
        return WrappingKeySpec.allCases.map { ($0, ready[$0]?.count ?? 0) }
    }

    static func generate(_ spec: WrappingKeySpec) throws -> Pair {
        let start = ThreadCPUClock.milliseconds
        let key: PrivateKey
        switch spec {
        case .rsa2048: key = try PrivateKey.generateRSA2048()
        case .sm2: key = try PrivateKey.generateSM2()
        }
        let privateKeyDER = try key.pkcs8DER(), publicKeyDER = try key.publicKeySPKIDER()
        return Pair(privateKeyDER: privateKeyDER, publicKeyDER: publicKeyDER,
                    cpuMilliseconds: ThreadCPUClock.milliseconds - start)
    }

    /// Starts the refilling thread and the reserve thread (idempotent); `threadSetup` runs first
    /// on the refilling one (the responder lowers its priority there), not on the reserve.
    public func start(threadSetup: @escaping @Sendable () -> Void = {}) {
        condition.lock()
        defer { condition.unlock() }
        guard !running else { return }
        running = true
        let thread = Thread { [self] in
            threadSetup()
            refill(below: capacity, reserve: false)
        }
        thread.name = "wrapping-key-pool"
        thread.start()
        let reserve = Thread { [self] in refill(below: (capacity + 1) / 2, reserve: true) }
        reserve.name = "wrapping-key-reserve"
        reserve.start()
    }

    /// Stops the refilling thread.
    public func stop() {
        condition.lock()
        running = false
        condition.broadcast()
        condition.unlock()
    }

    /// Keeps every kind at `level` pairs or more; the reserve sleeps after each generation so
    /// that its generations take at most `reserveShare` of one core.
    private func refill(below level: Int, reserve: Bool) {
        while true {
            condition.lock()
            while running, WrappingKeySpec.allCases.allSatisfy({ (ready[$0]?.count ?? 0) >= level }) {
                condition.wait()
            }
            let wanted = WrappingKeySpec.allCases.first { (ready[$0]?.count ?? 0) < level }
            let keepGoing = running
            condition.unlock()
            guard keepGoing, let spec = wanted else { return }
            // Generate outside the lock: taking a key never waits for a generation.
            guard var key = try? WrappingKeyPool.generate(spec) else { Thread.sleep(forTimeInterval: 1); continue }
            key.generatedByReserve = reserve
            condition.lock()
            ready[spec, default: []].append(key)
            condition.unlock()
            if reserve {
                Thread.sleep(forTimeInterval: key.cpuMilliseconds / 1000 * (1 / WrappingKeyPool.reserveShare - 1))
            }
        }
    }
}
