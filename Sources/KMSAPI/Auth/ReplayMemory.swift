import Foundation
import KMSCore
import KMSCrypto

/// What a verified signature was first used for (SPEC §6 "A signature authorises one request
/// shape"). The SDKs sign only `content-type;host` and the body, so `X-TC-Action`, `X-TC-Region`
/// and `X-TC-Version` travel outside a TC3 signature: a captured request could be re-sent as
/// another action. Each TC3 signature is remembered for as long as its timestamp is acceptable,
/// with the shape it was first used with; the same signature with another shape is refused,
/// an identical repeat is allowed (SDK clients resend identical requests). A v1 request signs its
/// action and region, but its `Nonce` (with SecretId and Timestamp) is single-use.
///
/// Per responder process, sharded over lock stripes (it runs on every request). Memory is bounded:
/// when a stripe is full, its oldest second of signatures is forgotten and the stripe stops
/// accepting timestamps up to that second (`AuthFailure.SignatureExpire`), so a forgotten
/// signature can never be replayed and fresh requests are still served: under a flood of unique
/// signatures the 300 s window shrinks for the oldest timestamps instead of the service refusing
/// everything (a DoS) or forgetting live entries (replay). docs/SECURITY.md has the reasoning.
public final class ReplayMemory: @unchecked Sendable {
    /// The first 128 bits of a signature (an HMAC-SHA256 output: collisions are out of reach).
    struct Fingerprint: Hashable {
        let high: UInt64
        let low: UInt64
    }

    struct Entry {
        /// A keyed 64-bit digest of (action, region, version); v1 nonces use `nonceShape`.
        let shape: UInt64
        let timestamp: Int64
    }

    /// A v1 nonce never matches a second use.
    static let nonceShape: UInt64 = 0

    final class Stripe {
        let lock = NSLock()
        var entries: [Fingerprint: Entry] = [:]
        /// Fingerprints by timestamp second (`ts & mask`), so expiry and eviction never scan.
        var seconds: [[Fingerprint]]
        var secondOf: [Int64]
        /// Every second before `oldest` is empty.
        var oldest = Int64.max
        /// Timestamps at or before this were forgotten early (the stripe was full): refused.
        var floor = Int64.min
        /// Signatures forgotten early.
        var forgotten = 0
        init(slots: Int) {
            seconds = Array(repeating: [], count: slots)
            secondOf = Array(repeating: Int64.min, count: slots)
        }
    }

    /// Seconds a signature stays acceptable on either side of server time (as `RequestSignature.maximumSkew`).
    let window: Int64
    let capacity: Int
    private let stripes: [Stripe]
    private let perStripe: Int
    private let mask: Int64
    private let seed: (UInt64, UInt64)

    /// `capacity` entries in all (about 60 bytes each); 2^20 holds 300 s of 3,500 unique signatures per second.
    public init(capacity: Int = 1 << 20, window: Int64 = 300) {
        self.window = window
        self.capacity = capacity
        let stripeCount = 64
        perStripe = max(1, capacity / stripeCount)
        var slots = 1
        while slots < Int(2 * window + 2) { slots <<= 1 }
        mask = Int64(slots - 1)
        stripes = (0..<stripeCount).map { _ in Stripe(slots: slots) }
        let random = Random.bytes(16)
        seed = (random[0..<8].reduce(0) { $0 << 8 | UInt64($1) }, random[8..<16].reduce(0) { $0 << 8 | UInt64($1) })
    }

    /// Signatures forgotten before their time because a stripe was full.
    public var forgottenEarly: Int {
        stripes.reduce(0) { total, stripe in
            stripe.lock.lock()
            defer { stripe.lock.unlock() }
            return total + stripe.forgotten
        }
    }

    /// Admits a verified TC3 signature (64 lower-case hex digits) used with this shape, or throws.
    func admitTC3(signatureHex: [UInt8], action: String, region: String, version: String, timestamp: Int64, now: Int64) throws {
        var hasher = Hasher()
        hasher.combine(seed.0)
        hasher.combine(seed.1)
        hasher.combine(action)
        hasher.combine(region)
        hasher.combine(version)
        // Never the reserved nonce shape.
        let shape = UInt64(bitPattern: Int64(hasher.finalize())) | 1
        try admit(ReplayMemory.fingerprint(hex: signatureHex), shape: shape, timestamp: timestamp, now: now)
    }

    /// Admits the first use of a v1 (SecretId, Timestamp, Nonce); any later use throws.
    func admitNonce(secretId: String, nonce: String, timestamp: Int64, now: Int64) throws {
        var input: [UInt8] = Array("v1-nonce\0".utf8)
        input.append(contentsOf: secretId.utf8)
        input.append(0)
        input.append(contentsOf: String(timestamp).utf8)
        input.append(0)
        input.append(contentsOf: nonce.utf8)
        let digest = Digest.sha256(input)
        let fingerprint = Fingerprint(high: ReplayMemory.word(digest[0..<8]), low: ReplayMemory.word(digest[8..<16]))
        try admit(fingerprint, shape: ReplayMemory.nonceShape, timestamp: timestamp, now: now)
    }

    func admit(_ fingerprint: Fingerprint, shape: UInt64, timestamp: Int64, now: Int64) throws {
        let stripe = stripes[Int(fingerprint.low & UInt64(stripes.count - 1))]
        stripe.lock.lock()
        defer { stripe.lock.unlock() }
        expire(stripe, before: now - window)
        guard timestamp > stripe.floor else {
            throw KMSError(.authFailureSignatureExpire, "The replay memory is full; the request's timestamp is too old.")
        }
        if let seen = stripe.entries[fingerprint] {
            guard shape != ReplayMemory.nonceShape, seen.shape == shape else {
                throw KMSError(.authFailureSignatureFailure, "This signature was already used for another request.")
            }
            return
        }
        if stripe.entries.count >= perStripe {
            evictOldestSecond(stripe)
            guard timestamp > stripe.floor else {
                throw KMSError(.authFailureSignatureExpire, "The replay memory is full; the request's timestamp is too old.")
            }
        }
        let slot = Int(timestamp & mask)
        if stripe.secondOf[slot] != timestamp {
            // Only an expired second can hold this slot (the slots span more than the window).
            drop(stripe, slot: slot)
            stripe.secondOf[slot] = timestamp
        }
        stripe.seconds[slot].append(fingerprint)
        stripe.entries[fingerprint] = Entry(shape: shape, timestamp: timestamp)
        stripe.oldest = min(stripe.oldest, timestamp)
    }

    /// Drops every second before `cutoff` (their signatures are refused as expired anyway).
    private func expire(_ stripe: Stripe, before cutoff: Int64) {
        guard stripe.oldest < cutoff else { return }
        if stripe.entries.isEmpty {
            stripe.oldest = cutoff
            return
        }
        // Visit each slot at most once, however long the stripe sat idle.
        var second = max(stripe.oldest, cutoff - mask - 1)
        while second < cutoff {
            let slot = Int(second & mask)
            if stripe.secondOf[slot] < cutoff { drop(stripe, slot: slot) }
            second += 1
        }
        stripe.oldest = cutoff
    }

    /// The stripe is full of live signatures: forget its oldest second and refuse timestamps up to it.
    private func evictOldestSecond(_ stripe: Stripe) {
        var second = stripe.oldest
        for _ in 0...Int(mask) {
            let slot = Int(second & mask)
            if stripe.secondOf[slot] == second, !stripe.seconds[slot].isEmpty {
                stripe.forgotten += stripe.seconds[slot].count
                drop(stripe, slot: slot)
                stripe.floor = max(stripe.floor, second)
                stripe.oldest = second + 1
                return
            }
            second += 1
        }
    }

    private func drop(_ stripe: Stripe, slot: Int) {
        for fingerprint in stripe.seconds[slot] { stripe.entries[fingerprint] = nil }
        stripe.seconds[slot].removeAll(keepingCapacity: true)
        stripe.secondOf[slot] = Int64.min
    }

    /// The first 16 bytes of a lower-case hex signature; TC3Authorization has checked the digits.
    static func fingerprint(hex: [UInt8]) -> Fingerprint {
        func nibble(_ c: UInt8) -> UInt64 { UInt64(Hex.value(c) ?? 0) }
        var high: UInt64 = 0, low: UInt64 = 0
        for i in 0..<16 { high = high << 4 | nibble(hex[i]) }
        for i in 16..<32 { low = low << 4 | nibble(hex[i]) }
        return Fingerprint(high: high, low: low)
    }

    static func word(_ bytes: ArraySlice<UInt8>) -> UInt64 { bytes.reduce(0) { $0 << 8 | UInt64($1) } }
}
