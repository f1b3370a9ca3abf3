import COpenSSL
import KMSCore

/// AES-256-GCM (NIST SP 800-38D) with a 12-byte nonce and a 16-byte tag: the FIPS profile's CMK cipher.
public struct AES256GCM: AEAD {
    /// 12 bytes.
    public static let nonceSize = 12
    /// 16 bytes.
    public static let tagSize = 16
    /// 32 bytes.
    public static let keySize = 32

    private let key: SecureBytes

    /// Throws unless `key` is 32 bytes.
    public init(key: SecureBytes) throws {
        guard key.count == Self.keySize else {
            throw CryptoError("AES-256-GCM key must be \(Self.keySize) bytes, got \(key.count)")
        }
        self.key = key
    }

    /// Encrypts `plaintext` under `nonce`, authenticating `aad` too. Never reuse a nonce with one key.
    public func seal(_ plaintext: SecureBytes, nonce: [UInt8], aad: [UInt8]) throws -> (ciphertext: [UInt8], tag: [UInt8]) {
        try Self.checkSizes(nonce: nonce)
        let context = try key.withUnsafeBytes {
            try CipherContext(Algorithms.aes256GCM, encrypt: true, key: $0, iv: nonce, aeadIVLength: Self.nonceSize)
        }
        try context.authenticate(aad)
        var ciphertext = [UInt8](repeating: 0, count: plaintext.count)
        let written = try plaintext.withUnsafeBytes { input in
            try ciphertext.withUnsafeMutableBytes { try context.update(input, into: $0) }
        }
        precondition(written == plaintext.count, "GCM wrote an unexpected length")
        try context.finish()
        return (ciphertext, try context.tag(count: Self.tagSize))
    }

    /// Verifies `tag` over `aad` and `ciphertext` and returns the plaintext; throws on any mismatch.
    public func open(_ ciphertext: [UInt8], tag: [UInt8], nonce: [UInt8], aad: [UInt8]) throws -> SecureBytes {
        try Self.checkSizes(nonce: nonce, tag: tag)
        let context = try key.withUnsafeBytes {
            try CipherContext(Algorithms.aes256GCM, encrypt: false, key: $0, iv: nonce, aeadIVLength: Self.nonceSize)
        }
        try context.authenticate(aad)
        // Decrypted bytes land in zeroing storage; on a tag mismatch they are dropped (and zeroed).
        var plaintext = SecureBytes(zeros: ciphertext.count)
        _ = try ciphertext.withUnsafeBytes { input in
            try plaintext.withUnsafeMutableBytes { try context.update(input, into: $0) }
        }
        try context.expectTag(tag)
        try context.finish(failure: "AES-256-GCM authentication failed")
        return plaintext
    }
}
