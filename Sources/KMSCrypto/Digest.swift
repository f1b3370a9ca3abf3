import COpenSSL

/// One-shot message digests.
public enum Digest {
    /// SHA-256 of any byte collection (`[UInt8]`, `ArraySlice<UInt8>`, `String.UTF8View`, ...).
    public static func sha256<D: Collection>(_ data: D) -> [UInt8] where D.Element == UInt8 {
        digest(Algorithms.sha256, data)
    }

    /// Lower-case hex of the SHA-256 of `bytes` (TC3 signing hashes payloads this way).
    public static func sha256Hex(_ bytes: [UInt8]) -> String {
        Hex.encode(sha256(bytes))
    }

    /// Lower-case hex of the SHA-256 of any byte collection (e.g. `string.utf8`).
    public static func sha256Hex<D: Collection>(_ data: D) -> String where D.Element == UInt8 {
        Hex.encode(sha256(data))
    }

    /// SM3 (GB/T 32905) of `data`.
    public static func sm3(_ data: [UInt8]) -> [UInt8] {
        digest(Algorithms.sm3, data)
    }

    private static func digest<D: Collection>(_ md: OpaquePointer?, _ data: D) -> [UInt8]
    where D.Element == UInt8 {
        if let result = data.withContiguousStorageIfAvailable({ digest(md, UnsafeRawBufferPointer($0)) }) {
            return result
        }
        return Array(data).withUnsafeBytes { digest(md, $0) }
    }

    private static func digest(_ md: OpaquePointer?, _ data: UnsafeRawBufferPointer) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        // EVP_Digest writes at most EVP_MAX_MD_SIZE bytes into `out` and reports how many.
        let status = data.withNonNullBase { input in
            EVP_Digest(input.baseAddress, input.count, &out, &length, md, nil)
        }
        guard status == 1 else {
            fatalError("\(CryptoError.openSSL("EVP_Digest failed"))")
        }
        return Array(out.prefix(Int(length)))
    }
}

/// Lower-case hexadecimal text for bytes.
public enum Hex {
    /// Lower-case hex of `bytes`, two characters per byte.
    public static func encode<D: Collection>(_ bytes: D) -> String where D.Element == UInt8 {
        String(decoding: encodeBytes(bytes), as: UTF8.self)
    }

    /// Lower-case hex of `bytes` as ASCII bytes.
    public static func encodeBytes<D: Collection>(_ bytes: D) -> [UInt8] where D.Element == UInt8 {
        if let hex = bytes.withContiguousStorageIfAvailable({ encodeBytes(UnsafeRawBufferPointer($0)) }) { return hex }
        return Array(bytes).withUnsafeBytes { encodeBytes($0) }
    }

    /// The loop itself, over raw bytes (the generic entry point above is not specialised for
    /// callers in other modules, and a generic loop costs hundreds of instructions per byte).
    static func encodeBytes(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: bytes.count * 2) { out, count in
            var i = 0
            for byte in bytes {
                out[i] = hexDigit(byte >> 4)
                out[i + 1] = hexDigit(byte & 0x0f)
                i += 2
            }
            count = i
        }
    }

    @inline(__always)
    private static func hexDigit(_ nibble: UInt8) -> UInt8 { nibble < 10 ? 0x30 + nibble : 0x57 + nibble }

    /// The bytes spelled by `text` (either case, no separators), or nil if it is not hex.
    public static func decode(_ text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count / 2)
        var index = 0
        while index < chars.count {
            guard let high = value(chars[index]), let low = value(chars[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }

    private static func value(_ char: UInt8) -> UInt8? {
        switch char {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return char - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return char - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return char - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

extension UnsafeRawBufferPointer {
    /// Calls `body` with a buffer whose base address is never nil: OpenSSL treats a NULL
    /// input pointer as "no input" in some functions even when the length is 0.
    func withNonNullBase<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        if baseAddress != nil { return try body(self) }
        var placeholder: UInt8 = 0
        return try withUnsafeBytes(of: &placeholder) { try body(UnsafeRawBufferPointer(start: $0.baseAddress, count: 0)) }
    }
}
