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
///
/// Each stripe is one open-addressing table of 32-byte slots (linear probing) and a count of live
/// entries per second. Nothing is ever deleted from the table: an entry whose second expired or
/// was forgotten is *stale*, which every probe sees from its timestamp alone; probes pass over it,
/// an insert reuses it, and the table is rebuilt without them when it is three quarters used or
/// live entries fill less than an eighth of it (at most half used right after). So an entry costs 43–128 bytes, about 64 (it was ~190 in a
/// dictionary with a list per second), and expiry never walks entries, only per-second counts.
public final class ReplayMemory: @unchecked Sendable {
    /// The first 128 bits of a signature (an HMAC-SHA256 output: collisions are out of reach).
    struct Fingerprint {
        let high: UInt64
        let low: UInt64
    }

    struct Slot {
        var high: UInt64
        var low: UInt64
        /// A keyed 64-bit digest of (action, region, version); v1 nonces use `nonceShape`.
        var shape: UInt64
        /// `Slot.never` in a slot never used since the table was built.
        var timestamp: Int64
        static let never = Int64.min
        static let empty = Slot(high: 0, low: 0, shape: 0, timestamp: never)
    }

    /// A v1 nonce never matches a second use.
    static let nonceShape: UInt64 = 0

    final class Stripe {
        let lock = NSLock()
        var slots = [Slot](repeating: .empty, count: Stripe.smallest)
        /// Slots holding an entry, live or stale (an insert into a stale slot adds none).
        var used = 0
        /// Entries neither expired nor forgotten.
        var live = 0
        /// Live entries per second (`ts & mask`), so expiry and eviction never scan.
        var counts: [Int32]
        var secondOf: [Int64]
        /// Every second before `oldest` holds no live entry.
        var oldest = Int64.max
        /// Timestamps before this have expired (the largest `now - window` seen).
        var expiredBefore = Int64.min
        /// Timestamps at or before this were forgotten early (the stripe was full): refused.
        var floor = Int64.min
        /// Signatures forgotten early.
        var forgotten = 0
        static let smallest = 16
        init(seconds: Int) {
            counts = Array(repeating: 0, count: seconds)
            secondOf = Array(repeating: Int64.min, count: seconds)
        }

        func isStale(_ timestamp: Int64) -> Bool { timestamp < expiredBefore || timestamp <= floor }

        func home(_ fingerprint: Fingerprint) -> Int {
            // Both halves: the stripe was chosen by the low bits of `low`.
            let mixed = (fingerprint.high ^ (fingerprint.low >> 6)) &* 0x9E37_79B9_7F4A_7C15
            return Int(truncatingIfNeeded: mixed >> 32) & (slots.count - 1)
        }
    }

    /// Seconds a signature stays acceptable on either side of server time (as `RequestSignature.maximumSkew`).
    let window: Int64
    let capacity: Int
    private let stripes: [Stripe]
    private let perStripe: Int
    private let mask: Int64
    private let seed: (UInt64, UInt64)

    /// `capacity` live entries in all; 2^20 holds 300 s of 3,500 unique signatures per second
    /// (at most 64 MiB, when full).
    public init(capacity: Int = 1 << 20, window: Int64 = 300) {
        self.window = window
        self.capacity = capacity
        let stripeCount = 64
        perStripe = max(1, capacity / stripeCount)
        var seconds = 1
        while seconds < Int(2 * window + 2) { seconds <<= 1 }
        mask = Int64(seconds - 1)
        stripes = (0..<stripeCount).map { _ in Stripe(seconds: seconds) }
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

    /// Table slots in all stripes (32 bytes each): what the memory holds, for tests.
    var tableSlots: Int {
        stripes.reduce(0) { total, stripe in
            stripe.lock.lock()
            defer { stripe.lock.unlock() }
            return total + stripe.slots.count
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
        guard !stripe.isStale(timestamp) else {
            // Forgotten early (signature checks refuse timestamps before the window first).
            throw KMSError(.authFailureSignatureExpire, "The replay memory is full; the request's timestamp is too old.")
        }
        // The entry, or the slot an insert takes: the first stale one on the way, else the empty
        // one that ends the probe (the entry cannot lie beyond it).
        var index = stripe.home(fingerprint)
        var reusable = -1
        let last = stripe.slots.count - 1
        while true {
            let slot = stripe.slots[index]
            if slot.timestamp == Slot.never { break }
            if stripe.isStale(slot.timestamp) {
                if reusable < 0 { reusable = index }
            } else if slot.high == fingerprint.high, slot.low == fingerprint.low {
                guard shape != ReplayMemory.nonceShape, slot.shape == shape else {
                    throw KMSError(.authFailureSignatureFailure, "This signature was already used for another request.")
                }
                return
            }
            index = (index + 1) & last
        }
        if stripe.live >= perStripe {
            evictOldestSecond(stripe)
            guard !stripe.isStale(timestamp) else {
                throw KMSError(.authFailureSignatureExpire, "The replay memory is full; the request's timestamp is too old.")
            }
        }
        // Rebuilt when three quarters used, or when live entries fill less than an eighth of it
        // (a burst has expired: the table shrinks back).
        let sparse = stripe.slots.count > Stripe.smallest && (stripe.live + 1) * 8 < stripe.slots.count
        if sparse || (reusable < 0 && (stripe.used + 1) * 4 > stripe.slots.count * 3) {
            rebuild(stripe)
            index = stripe.home(fingerprint)
            while stripe.slots[index].timestamp != Slot.never { index = (index + 1) & (stripe.slots.count - 1) }
            stripe.used += 1
        } else if reusable >= 0 {
            index = reusable
        } else {
            stripe.used += 1
        }
        stripe.slots[index] = Slot(high: fingerprint.high, low: fingerprint.low, shape: shape, timestamp: timestamp)
        let second = Int(timestamp & mask)
        if stripe.secondOf[second] != timestamp {
            // Only a second with no live entry can hold this place (they span more than the window).
            stripe.secondOf[second] = timestamp
            stripe.counts[second] = 0
        }
        stripe.counts[second] += 1
        stripe.live += 1
        stripe.oldest = min(stripe.oldest, timestamp)
    }

    /// Every second before `cutoff` expires (its signatures are refused as expired anyway).
    private func expire(_ stripe: Stripe, before cutoff: Int64) {
        guard stripe.expiredBefore < cutoff else { return }
        stripe.expiredBefore = cutoff
        guard stripe.oldest < cutoff else { return }
        if stripe.live == 0 {
            stripe.oldest = cutoff
            return
        }
        // Visit each second at most once, however long the stripe sat idle.
        var second = max(stripe.oldest, cutoff - mask - 1)
        while second < cutoff {
            let place = Int(second & mask)
            if stripe.secondOf[place] < cutoff { forgetSecond(stripe, place: place) }
            second += 1
        }
        stripe.oldest = cutoff
    }

    /// The stripe is full of live signatures: forget its oldest second and refuse timestamps up to it.
    private func evictOldestSecond(_ stripe: Stripe) {
        var second = stripe.oldest
        for _ in 0...Int(mask) {
            let place = Int(second & mask)
            if stripe.secondOf[place] == second, stripe.counts[place] > 0 {
                stripe.forgotten += Int(stripe.counts[place])
                forgetSecond(stripe, place: place)
                stripe.floor = max(stripe.floor, second)
                stripe.oldest = second + 1
                return
            }
            second += 1
        }
    }

    /// The second's entries stay in the table, stale, until an insert reuses them or a rebuild drops them.
    private func forgetSecond(_ stripe: Stripe, place: Int) {
        stripe.live -= Int(stripe.counts[place])
        stripe.counts[place] = 0
        stripe.secondOf[place] = Int64.min
    }

    /// A table without stale entries, at most half full after the insert that asked for it.
    private func rebuild(_ stripe: Stripe) {
        var size = Stripe.smallest
        while size < 2 * (stripe.live + 1) { size <<= 1 }
        let old = stripe.slots
        stripe.slots = [Slot](repeating: .empty, count: size)
        stripe.used = 0
        for slot in old where slot.timestamp != Slot.never && !stripe.isStale(slot.timestamp) {
            var index = stripe.home(Fingerprint(high: slot.high, low: slot.low))
            while stripe.slots[index].timestamp != Slot.never { index = (index + 1) & (size - 1) }
            stripe.slots[index] = slot
            stripe.used += 1
        }
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
