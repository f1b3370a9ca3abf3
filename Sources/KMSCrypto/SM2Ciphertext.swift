/// Converts SM2 ciphertexts between OpenSSL's GM/T 0009 DER
/// (`SEQUENCE { INTEGER x, INTEGER y, OCTET STRING C3, OCTET STRING C2 }`) and the raw
/// C1 || C3 || C2 form Tencent returns for `EncryptionAlgorithm` `SM2`
/// (C1 = 04 || x || y with x, y left-padded to 32 bytes; C3 = 32-byte SM3 hash; C2 = ciphertext).
public enum SM2Ciphertext {
    private static let coordinateSize = 32
    private static let hashSize = 32
    /// 1 + 32 + 32 + 32: a raw ciphertext's length before C2.
    public static let rawOverhead = 1 + 2 * coordinateSize + hashSize

    /// DER → raw C1 || C3 || C2. Throws on anything but exactly one well-formed structure.
    public static func raw(fromDER der: [UInt8]) throws -> [UInt8] {
        var outer = DERReader(der[...])
        var fields = DERReader(try outer.read(tag: 0x30))
        guard outer.isAtEnd else { throw CryptoError("SM2 ciphertext: trailing bytes after the DER structure") }
        let x = try unsignedInteger(try fields.read(tag: 0x02))
        let y = try unsignedInteger(try fields.read(tag: 0x02))
        let hash = try fields.read(tag: 0x04)
        let body = try fields.read(tag: 0x04)
        guard fields.isAtEnd else { throw CryptoError("SM2 ciphertext: unexpected fields in the DER structure") }
        guard hash.count == hashSize else { throw CryptoError("SM2 ciphertext: C3 must be \(hashSize) bytes") }
        return [0x04] + x + y + hash + body
    }

    /// Raw C1 || C3 || C2 → DER, as OpenSSL's SM2 decryption expects it.
    public static func der(fromRaw raw: [UInt8]) throws -> [UInt8] {
        guard raw.count >= rawOverhead, raw[0] == 0x04 else {
            throw CryptoError("SM2 ciphertext: raw form must start with 04 and hold at least \(rawOverhead) bytes")
        }
        let x = raw[1..<33], y = raw[33..<65], hash = raw[65..<97], body = raw[97...]
        let content = integer(x) + integer(y) + element(0x04, hash) + element(0x04, body)
        return element(0x30, content[...])
    }

    /// An INTEGER's content as a 32-byte unsigned big-endian value.
    private static func unsignedInteger(_ content: ArraySlice<UInt8>) throws -> [UInt8] {
        guard let first = content.first, first & 0x80 == 0 else {
            throw CryptoError("SM2 ciphertext: coordinate is not a non-negative INTEGER")
        }
        let magnitude = content.drop { $0 == 0 }
        guard magnitude.count <= coordinateSize else { throw CryptoError("SM2 ciphertext: coordinate too large") }
        return [UInt8](repeating: 0, count: coordinateSize - magnitude.count) + magnitude
    }

    /// A minimal DER INTEGER for an unsigned big-endian value.
    private static func integer(_ value: ArraySlice<UInt8>) -> [UInt8] {
        var magnitude = Array(value.drop { $0 == 0 })
        if magnitude.isEmpty || magnitude[0] & 0x80 != 0 { magnitude.insert(0, at: 0) }
        return element(0x02, magnitude[...])
    }

    /// tag || definite length || content.
    private static func element(_ tag: UInt8, _ content: ArraySlice<UInt8>) -> [UInt8] {
        var out: [UInt8] = [tag]
        if content.count < 0x80 {
            out.append(UInt8(content.count))
        } else {
            var length = content.count
            var lengthBytes: [UInt8] = []
            while length > 0 { lengthBytes.insert(UInt8(length & 0xff), at: 0); length >>= 8 }
            out.append(0x80 | UInt8(lengthBytes.count))
            out += lengthBytes
        }
        return out + content
    }
}

/// Reads DER elements (tag, definite length, content) one after another.
struct DERReader {
    private var rest: ArraySlice<UInt8>

    init(_ bytes: ArraySlice<UInt8>) { rest = bytes }

    var isAtEnd: Bool { rest.isEmpty }

    /// The content of the next element, which must carry `tag`.
    mutating func read(tag: UInt8) throws -> ArraySlice<UInt8> {
        guard rest.count >= 2, rest.first == tag else { throw CryptoError("DER: expected tag \(tag)") }
        var index = rest.startIndex + 1
        var length = Int(rest[index])
        index += 1
        if length & 0x80 != 0 {
            let count = length & 0x7f
            guard count >= 1, count <= 3, rest.endIndex - index >= count else {
                throw CryptoError("DER: unsupported length encoding")
            }
            length = 0
            for byte in rest[index..<index + count] { length = length << 8 | Int(byte) }
            index += count
        }
        guard rest.endIndex - index >= length else { throw CryptoError("DER: element runs past the end") }
        let content = rest[index..<index + length]
        rest = rest[(index + length)...]
        return content
    }
}
