/// An IPv4 or IPv6 address as 128 bits (IPv4 in the low 32), and a CIDR block of them.
/// Parsed without Foundation or libc, over bytes, so that a request's address costs no allocation.
struct IPAddress: Sendable, Equatable {
    let isV6: Bool
    let high: UInt64
    let low: UInt64

    /// Parses a dotted IPv4 address or an RFC 4291 IPv6 address (`::` compression, an IPv4 tail).
    /// An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) is read as the IPv4 address it maps, so a
    /// dual-stack listener's view of an IPv4 client still matches IPv4 rules.
    static func parse(_ text: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> IPAddress? {
        guard !range.isEmpty, range.count <= 45 else { return nil }
        if let v4 = parseV4(text, range) { return IPAddress(isV6: false, high: 0, low: UInt64(v4)) }
        guard let (high, low) = parseV6(text, range) else { return nil }
        if high == 0, low >> 32 == 0xFFFF { return IPAddress(isV6: false, high: 0, low: low & 0xFFFF_FFFF) }
        return IPAddress(isV6: true, high: high, low: low)
    }

    static func parse(_ text: String) -> IPAddress? {
        var copy = text
        return copy.withUTF8 { parse($0, 0..<$0.count) }
    }

    static func parseV4(_ text: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> UInt32? {
        var value: UInt32 = 0
        var octets = 0
        var index = range.lowerBound
        while index < range.upperBound {
            let start = index
            var octet: UInt32 = 0
            while index < range.upperBound, text[index] &- 48 < 10, index - start < 3 {
                octet = octet * 10 + UInt32(text[index] &- 48)
                index += 1
            }
            // No empty octet, no leading zero (it would read as octal elsewhere), nothing above 255.
            guard index > start, octet <= 255, !(index - start > 1 && text[start] == UInt8(ascii: "0")) else { return nil }
            value = value << 8 | octet
            octets += 1
            if index == range.upperBound { break }
            guard text[index] == UInt8(ascii: "."), octets < 4 else { return nil }
            index += 1
            guard index < range.upperBound else { return nil }
        }
        return octets == 4 ? value : nil
    }

    static func parseV6(_ text: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> (UInt64, UInt64)? {
        withUnsafeTemporaryAllocation(of: UInt16.self, capacity: 8) { groups -> (UInt64, UInt64)? in
            var count = 0
            var gap = -1
            var index = range.lowerBound
            let end = range.upperBound
            if text[index] == UInt8(ascii: ":") {
                guard end - index >= 2, text[index + 1] == UInt8(ascii: ":") else { return nil }
                gap = 0
                index += 2
            }
            while index < end {
                let start = index
                var group: UInt32 = 0
                while index < end, let digit = hexValue(text[index]), index - start < 4 {
                    group = group << 4 | UInt32(digit)
                    index += 1
                }
                if index < end, text[index] == UInt8(ascii: ".") {
                    // An IPv4 tail takes the last two groups.
                    guard count <= 6, let v4 = parseV4(text, start..<end) else { return nil }
                    groups[count] = UInt16(v4 >> 16)
                    groups[count + 1] = UInt16(v4 & 0xFFFF)
                    count += 2
                    index = end
                    break
                }
                guard index > start, count < 8 else { return nil }
                groups[count] = UInt16(group)
                count += 1
                if index == end { break }
                guard text[index] == UInt8(ascii: ":") else { return nil }
                index += 1
                guard index < end else { return nil }
                if text[index] == UInt8(ascii: ":") {
                    guard gap == -1 else { return nil }
                    gap = count
                    index += 1
                }
            }
            if gap == -1 { guard count == 8 else { return nil } } else { guard count <= 7 else { return nil } }
            var high: UInt64 = 0
            var low: UInt64 = 0
            let zeros = 8 - count
            var slot = 0
            for g in 0..<count {
                if g == gap { slot += zeros }
                let value = UInt64(groups[g])
                if slot < 4 { high |= value << (16 * UInt64(3 - slot)) } else { low |= value << (16 * UInt64(7 - slot)) }
                slot += 1
            }
            return (high, low)
        }
    }

    @inline(__always)
    static func hexValue(_ byte: UInt8) -> UInt8? {
        if byte &- 48 < 10 { return byte &- 48 }
        let lower = byte | 0x20
        if lower &- 97 < 6 { return lower &- 87 }
        return nil
    }
}

/// A CIDR block (`10.0.0.0/8`, `2001:db8::/32`) or a single address (a full-length prefix).
/// Host bits below the prefix are ignored, as Tencent's own example `10.217.182.3/24` needs.
struct IPAddressRange: Sendable, Equatable {
    let isV6: Bool
    let maskHigh: UInt64
    let maskLow: UInt64
    let networkHigh: UInt64
    let networkLow: UInt64

    init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress.parse(String(parts[0])) else { return nil }
        let width = address.isV6 ? 128 : 32
        var prefix = width
        if parts.count == 2 {
            guard let p = Int(parts[1]), parts[1].allSatisfy({ $0.isASCII && $0.isNumber }), p >= 0, p <= width,
                  parts[1].count <= 3 else { return nil }
            prefix = p
        }
        // IPv4 lives in the low 32 bits: its mask covers bits 31...(32 - prefix).
        let bits = address.isV6 ? prefix : 96 + prefix
        maskHigh = bits >= 64 ? UInt64.max : (bits == 0 ? 0 : UInt64.max << UInt64(64 - bits))
        maskLow = bits <= 64 ? 0 : (bits == 128 ? UInt64.max : UInt64.max << UInt64(128 - bits))
        isV6 = address.isV6
        networkHigh = address.high & maskHigh
        networkLow = address.low & maskLow
    }

    @inline(__always)
    func contains(_ address: IPAddress) -> Bool {
        address.isV6 == isV6 && address.high & maskHigh == networkHigh && address.low & maskLow == networkLow
    }
}
