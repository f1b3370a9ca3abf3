/// Hexadecimal text for bytes, the one spelling of it in the service: signatures, MACs and token
/// hashes, bytea text, key ids and percent escapes all go through here. Encodes lower case,
/// decodes either case.
public enum Hex {
    /// `prefix` and then the lower-case hex of `bytes`, two characters per byte, written straight
    /// into the string (bytea text, `\\x…`, is made this way for every audit record).
    public static func encode<D: Collection>(_ bytes: D, prefix: StaticString = "") -> String where D.Element == UInt8 {
        if let text = bytes.withContiguousStorageIfAvailable({ encode(UnsafeRawBufferPointer($0), prefix: prefix) }) { return text }
        return Array(bytes).withUnsafeBytes { encode($0, prefix: prefix) }
    }

    /// Lower-case hex of `bytes` as ASCII bytes.
    public static func encodeBytes<D: Collection>(_ bytes: D) -> [UInt8] where D.Element == UInt8 {
        if let hex = bytes.withContiguousStorageIfAvailable({ encodeBytes(UnsafeRawBufferPointer($0)) }) { return hex }
        return Array(bytes).withUnsafeBytes { encodeBytes($0) }
    }

    // The entry points above are generic and not specialised for callers in other modules, where a
    // generic loop costs hundreds of instructions per byte: they hand raw bytes to these.
    static func encode(_ bytes: UnsafeRawBufferPointer, prefix: StaticString) -> String {
        String(unsafeUninitializedCapacity: prefix.utf8CodeUnitCount + bytes.count * 2) { out in
            prefix.withUTF8Buffer { UnsafeMutableRawBufferPointer(out).copyMemory(from: UnsafeRawBufferPointer($0)) }
            return write(bytes, into: out, at: prefix.utf8CodeUnitCount)
        }
    }

    static func encodeBytes(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: bytes.count * 2) { out, count in count = write(bytes, into: out, at: 0) }
    }

    /// The loop itself: two digits per byte into `out` from `start`; returns the end.
    private static func write(_ bytes: UnsafeRawBufferPointer, into out: UnsafeMutableBufferPointer<UInt8>, at start: Int) -> Int {
        var i = start
        for byte in bytes {
            out[i] = digit(byte >> 4)
            out[i + 1] = digit(byte & 0x0f)
            i += 2
        }
        return i
    }

    /// The lower-case digit for a nibble (0…15).
    @inlinable @inline(__always)
    public static func digit(_ nibble: UInt8) -> UInt8 { nibble < 10 ? 0x30 + nibble : 0x57 + nibble }

    /// The value of one hex digit of either case, or nil for any other byte.
    @inlinable
    public static func value(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return digit - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// The bytes spelled by `text` (either case, no separators), or nil if it is not hex.
    public static func decode(_ text: String) -> [UInt8]? { decode(text.utf8) }

    /// The bytes spelled by ASCII `digits` (either case, no separators), or nil if they are not hex.
    public static func decode<D: Collection>(_ digits: D) -> [UInt8]? where D.Element == UInt8 {
        if let bytes = digits.withContiguousStorageIfAvailable({ decode(UnsafeRawBufferPointer($0)) }) { return bytes }
        return Array(digits).withUnsafeBytes { decode($0) }
    }

    /// The decoding loop over raw bytes (not generic, for the reason `encodeBytes` gives).
    static func decode(_ digits: UnsafeRawBufferPointer) -> [UInt8]? {
        guard digits.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(digits.count / 2)
        var i = 0
        while i < digits.count {
            guard let high = value(digits[i]), let low = value(digits[i + 1]) else { return nil }
            out.append(high << 4 | low)
            i += 2
        }
        return out
    }
}
