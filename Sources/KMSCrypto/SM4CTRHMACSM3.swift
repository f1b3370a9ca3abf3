import KMSCore

/// The SM profile's CMK cipher (SPEC §2): SM4-CTR, then HMAC-SM3 over the result (encrypt-then-MAC).
///
/// Debian 12's OpenSSL 3.0 has no SM4-GCM, so this builds an AEAD with the same interface from
/// SM4-CTR and HMAC-SM3. From the 16-byte CMK material:
/// - encKey = first 16 bytes of HMAC-SM3(material, "kms/sm4-ctr/enc")
/// - macKey = HMAC-SM3(material, "kms/hmac-sm3/mac") (32 bytes)
/// - counter block = nonce (12) || 00000001 (big-endian)
/// - tag = first 16 bytes of HMAC-SM3(macKey, u64be(aad.count) || aad || nonce || ciphertext)
public struct SM4CTRHMACSM3: AEAD {
    /// 12 bytes.
    public static let nonceSize = 12
    /// 16 bytes.
    public static let tagSize = 16
    /// 16 bytes of CMK material.
    public static let keySize = 16

    private static let encLabel = Array("kms/sm4-ctr/enc".utf8)
    private static let macLabel = Array("kms/hmac-sm3/mac".utf8)

    private let material: SecureBytes

    /// Throws unless `key` is 16 bytes of CMK material.
    public init(key: SecureBytes) throws {
        guard key.count == Self.keySize else {
            throw CryptoError("SM4-CTR-HMAC-SM3 key must be \(Self.keySize) bytes, got \(key.count)")
        }
        material = key
    }

    /// Encrypts with SM4-CTR, then tags `aad`, `nonce` and the ciphertext with HMAC-SM3.
    public func seal(_ plaintext: SecureBytes, nonce: [UInt8], aad: [UInt8]) throws -> (ciphertext: [UInt8], tag: [UInt8]) {
        try Self.checkSizes(nonce: nonce)
        var ciphertext = [UInt8](repeating: 0, count: plaintext.count)
        do {
            // The sub-key lives only in this scope; its storage is zeroed when it is released.
            let encKey = encryptionKey()
            try plaintext.withUnsafeBytes { input in
                try ciphertext.withUnsafeMutableBytes { output in
                    try SM4.ctr(key: encKey, counter: Self.counterBlock(nonce), input: input, into: output)
                }
            }
        }
        return (ciphertext, tag(ciphertext: ciphertext, nonce: nonce, aad: aad))
    }

    /// Checks the tag in constant time first and only then decrypts; a mismatch throws.
    public func open(_ ciphertext: [UInt8], tag: [UInt8], nonce: [UInt8], aad: [UInt8]) throws -> SecureBytes {
        try Self.checkSizes(nonce: nonce, tag: tag)
        let expected = self.tag(ciphertext: ciphertext, nonce: nonce, aad: aad)
        guard ConstantTime.equals(expected, tag) else {
            throw CryptoError("SM4-CTR-HMAC-SM3 authentication failed")
        }
        var plaintext = SecureBytes(zeros: ciphertext.count)
        let encKey = encryptionKey()
        try ciphertext.withUnsafeBytes { input in
            try plaintext.withUnsafeMutableBytes { output in
                try SM4.ctr(key: encKey, counter: Self.counterBlock(nonce), input: input, into: output)
            }
        }
        return plaintext
    }

    /// First 16 bytes of HMAC-SM3(material, "kms/sm4-ctr/enc").
    private func encryptionKey() -> SecureBytes {
        HMAC.secret("SM3", key: material, data: Self.encLabel).prefix(SM4.blockSize)
    }

    /// First 16 bytes of HMAC-SM3(macKey, u64be(aad.count) || aad || nonce || ciphertext).
    /// The length prefix keeps the aad/nonce boundary unambiguous.
    private func tag(ciphertext: [UInt8], nonce: [UInt8], aad: [UInt8]) -> [UInt8] {
        let macKey = HMAC.secret("SM3", key: material, data: Self.macLabel)
        var input: [UInt8] = []
        input.reserveCapacity(8 + aad.count + nonce.count + ciphertext.count)
        withUnsafeBytes(of: UInt64(aad.count).bigEndian) { input.append(contentsOf: $0) }
        input.append(contentsOf: aad)
        input.append(contentsOf: nonce)
        input.append(contentsOf: ciphertext)
        return Array(HMAC.sm3(key: macKey, data: input).prefix(Self.tagSize))
    }

    /// nonce || 00 00 00 01: the initial SM4-CTR counter block.
    private static func counterBlock(_ nonce: [UInt8]) -> [UInt8] {
        nonce + [0, 0, 0, 1]
    }
}
