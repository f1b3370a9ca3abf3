import Foundation
import KMSCore
import KMSCrypto

/// Pre-generated wrapping key pairs for GetParametersForImport.
///
/// An RSA-2048 key pair costs tens of milliseconds to generate; a background thread keeps a few
/// of each kind ready so the call stays fast under load. When the pool runs dry the caller
/// generates its own, so the pool only ever makes things faster. Keys never leave the process
/// unsealed and each is handed out once.
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
        /// Made on the request's own thread because the pool was dry: the account is charged
        /// for it (`CPUBudget`). Pooled pairs were made from idle CPU (SCHED_IDLE).
        public internal(set) var generatedOnDemand = false
    }

    private let capacity: Int
    private let condition = NSCondition()
    private var ready: [WrappingKeySpec: [Pair]] = [:]
    private var running = false

    /// A pool keeping up to `capacity` pairs of each kind ready.
    public init(capacity: Int = 32) { self.capacity = capacity }

    /// A fresh key pair of `spec`, from the pool when one is ready.
    public func take(_ spec: WrappingKeySpec) throws -> Pair {
        condition.lock()
        let key = ready[spec]?.popLast()
        condition.signal()
        condition.unlock()
        if let key { return key }
        var pair = try WrappingKeyPool.generate(spec)
        pair.generatedOnDemand = true
        return pair
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

    /// Starts the refilling thread (idempotent); `threadSetup` runs on it first (the responder
    /// lowers its priority there).
    public func start(threadSetup: @escaping @Sendable () -> Void = {}) {
        condition.lock()
        defer { condition.unlock() }
        guard !running else { return }
        running = true
        let thread = Thread { [self] in
            threadSetup()
            refill()
        }
        thread.name = "wrapping-key-pool"
        thread.start()
    }

    /// Stops the refilling thread.
    public func stop() {
        condition.lock()
        running = false
        condition.broadcast()
        condition.unlock()
    }

    private func refill() {
        while true {
            condition.lock()
            while running, WrappingKeySpec.allCases.allSatisfy({ (ready[$0]?.count ?? 0) >= capacity }) {
                condition.wait()
            }
            let wanted = WrappingKeySpec.allCases.first { (ready[$0]?.count ?? 0) < capacity }
            let keepGoing = running
            condition.unlock()
            guard keepGoing, let spec = wanted else { return }
            // Generate outside the lock: taking a key never waits for a generation.
            guard let key = try? WrappingKeyPool.generate(spec) else { Thread.sleep(forTimeInterval: 1); continue }
            condition.lock()
            ready[spec, default: []].append(key)
            condition.unlock()
        }
    }
}
