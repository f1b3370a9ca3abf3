/// A CMK's identifier: a random UUID, written lower-case with hyphens (36 characters).
public struct KeyID: Hashable, Sendable, CustomStringConvertible {
    /// The 16 bytes as two big-endian words: no heap storage, cheap to hash and compare
    /// (key ids are the keys of the in-memory key cache).
    let high: UInt64
    let low: UInt64

    /// The 16 raw bytes, as stored in a ciphertext envelope.
    public var bytes: [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: high >> (56 - 8 * $0)) } + (0..<8).map { UInt8(truncatingIfNeeded: low >> (56 - 8 * $0)) }
    }

    public init?(bytes: [UInt8]) {
        guard bytes.count == 16 else { return nil }
        self.init(words: bytes)
    }

    init(words bytes: [UInt8]) {
        high = bytes[0..<8].reduce(0) { $0 << 8 | UInt64($1) }
        low = bytes[8..<16].reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// Parses the 8-4-4-4-12 form; upper-case hex is accepted and normalised.
    public init?(_ text: String) {
        let utf8 = Array(text.utf8)
        guard utf8.count == 36 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(16)
        var high: UInt8? = nil
        for (i, c) in utf8.enumerated() {
            if i == 8 || i == 13 || i == 18 || i == 23 {
                guard c == UInt8(ascii: "-") else { return nil }
                continue
            }
            guard let nibble = Hex.value(c) else { return nil }
            if let h = high { out.append(h << 4 | nibble); high = nil } else { high = nibble }
        }
        self.init(words: out)
    }

    /// A fresh identifier from 16 random bytes (version 4, variant 1 bits set).
    public init(random: [UInt8]) {
        precondition(random.count == 16)
        var b = random
        b[6] = b[6] & 0x0F | 0x40
        b[8] = b[8] & 0x3F | 0x80
        self.init(words: b)
    }

    public var description: String {
        // Straight from the two words into the string's storage (this runs several times a request).
        String(unsafeUninitializedCapacity: 36) { out in
            var i = 0
            for nibble in 0..<32 {
                if nibble == 8 || nibble == 12 || nibble == 16 || nibble == 20 { out[i] = UInt8(ascii: "-"); i += 1 }
                let word = nibble < 16 ? high : low
                let value = UInt8(truncatingIfNeeded: word >> (60 - 4 * UInt64(nibble % 16))) & 0xF
                out[i] = Hex.digit(value)
                i += 1
            }
            return i
        }
    }
}
