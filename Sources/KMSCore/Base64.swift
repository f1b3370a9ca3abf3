/// Standard Base64 (RFC 4648 §4, with padding), strict on decode: any character outside the
/// alphabet, bad padding or a wrong length is refused, so garbage never reaches a parser.
public enum Base64 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    static let decodeTable: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (i, c) in alphabet.enumerated() { table[Int(c)] = UInt8(i) }
        return table
    }()

    public static func encode<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        Array(bytes).withUnsafeBytes { encode(buffer: $0) }
    }

    /// Encodes a secret straight from its zeroing storage: no plain copy of it is made.
    public static func encode(_ secret: SecureBytes) -> String {
        secret.withUnsafeBytes { encode(buffer: $0) }
    }

    static func encode(buffer input: UnsafeRawBufferPointer) -> String {
        var out = [UInt8]()
        out.reserveCapacity((input.count + 2) / 3 * 4)
        var i = 0
        while i + 3 <= input.count {
            let n = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8 | UInt32(input[i + 2])
            out.append(alphabet[Int(n >> 18 & 63)]); out.append(alphabet[Int(n >> 12 & 63)])
            out.append(alphabet[Int(n >> 6 & 63)]); out.append(alphabet[Int(n & 63)])
            i += 3
        }
        let rest = input.count - i
        if rest > 0 {
            let n = UInt32(input[i]) << 16 | (rest == 2 ? UInt32(input[i + 1]) << 8 : 0)
            out.append(alphabet[Int(n >> 18 & 63)]); out.append(alphabet[Int(n >> 12 & 63)])
            out.append(rest == 2 ? alphabet[Int(n >> 6 & 63)] : UInt8(ascii: "="))
            out.append(UInt8(ascii: "="))
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Nil for anything that is not canonical padded Base64.
    public static func decode(_ text: String) -> [UInt8]? {
        var text = text
        return text.withUTF8 { utf8 in
            let input = UnsafeRawBufferPointer(utf8)
            guard let count = decodedCount(input) else { return nil }
            var valid = false
            let out = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
                valid = decode(input, into: UnsafeMutableRawBufferPointer(buffer))
                initialized = valid ? count : 0
            }
            return valid ? out : nil
        }
    }

    /// `decode` straight into zeroing storage, for a secret that arrives as Base64 (a plaintext):
    /// it never passes through a plain array.
    public static func decodeSecret(_ text: String) -> SecureBytes? {
        var text = text
        return text.withUTF8 { utf8 in
            let input = UnsafeRawBufferPointer(utf8)
            guard let count = decodedCount(input) else { return nil }
            var out = SecureBytes(zeros: count)
            return out.withUnsafeMutableBytes { decode(input, into: $0) } ? out : nil
        }
    }

    /// How many bytes `input` decodes to, from its length and padding alone; nil when its length
    /// is not a multiple of 4. `decode(_:into:)` checks the rest.
    static func decodedCount(_ input: UnsafeRawBufferPointer) -> Int? {
        guard input.count % 4 == 0 else { return nil }
        guard input.count > 0 else { return 0 }
        let padding = input[input.count - 1] != UInt8(ascii: "=") ? 0 : input[input.count - 2] == UInt8(ascii: "=") ? 2 : 1
        return input.count / 4 * 3 - padding
    }

    /// Decodes `input` into `out`, which holds exactly `decodedCount(input)` bytes; false for
    /// anything that is not canonical padded Base64.
    static func decode(_ input: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer) -> Bool {
        var i = 0, o = 0
        while i < input.count {
            let last = i + 4 == input.count
            let c0 = decodeTable[Int(input[i])], c1 = decodeTable[Int(input[i + 1])]
            guard c0 != 0xFF, c1 != 0xFF else { return false }
            let p2 = input[i + 2] == UInt8(ascii: "="), p3 = input[i + 3] == UInt8(ascii: "=")
            if p2 || p3 {
                // Padding only at the very end, and "=x" is never valid.
                guard last, p3 else { return false }
                if p2 {
                    guard c1 & 0x0F == 0, o + 1 <= out.count else { return false }
                    out[o] = c0 << 2 | c1 >> 4
                    o += 1
                } else {
                    let c2 = decodeTable[Int(input[i + 2])]
                    guard c2 != 0xFF, c2 & 0x03 == 0, o + 2 <= out.count else { return false }
                    out[o] = c0 << 2 | c1 >> 4; out[o + 1] = c1 << 4 | c2 >> 2
                    o += 2
                }
            } else {
                let c2 = decodeTable[Int(input[i + 2])], c3 = decodeTable[Int(input[i + 3])]
                guard c2 != 0xFF, c3 != 0xFF, o + 3 <= out.count else { return false }
                out[o] = c0 << 2 | c1 >> 4; out[o + 1] = c1 << 4 | c2 >> 2; out[o + 2] = c2 << 6 | c3
                o += 3
            }
            i += 4
        }
        return o == out.count
    }
}
