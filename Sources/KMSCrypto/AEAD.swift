import KMSCore

/// Authenticated encryption with associated data, one interface for both crypto profiles:
/// a 12-byte nonce and a 16-byte tag.
public protocol AEAD: Sendable {
    /// Nonce length in bytes (12).
    static var nonceSize: Int { get }
    /// Tag length in bytes (16).
    static var tagSize: Int { get }
    /// Keys the AEAD; a key of the wrong length throws `CryptoError`.
    init(key: SecureBytes) throws
    /// Encrypts and authenticates `plaintext`, and authenticates `aad`.
    func seal(_ plaintext: SecureBytes, nonce: [UInt8], aad: [UInt8]) throws -> (ciphertext: [UInt8], tag: [UInt8])
    /// Verifies and decrypts; any authentication failure throws `CryptoError`.
    func open(_ ciphertext: [UInt8], tag: [UInt8], nonce: [UInt8], aad: [UInt8]) throws -> SecureBytes
}

/// The CMK cipher of a profile (SPEC §2): `.fips` → AES-256-GCM, `.sm` → SM4-CTR + HMAC-SM3.
public func makeAEAD(profile: CryptoProfile, key: SecureBytes) throws -> any AEAD {
    switch profile {
    case .fips: return try AES256GCM(key: key)
    case .sm: return try SM4CTRHMACSM3(key: key)
    }
}

extension AEAD {
    /// Throws unless `nonce` and (when given) `tag` have this AEAD's sizes.
    static func checkSizes(nonce: [UInt8], tag: [UInt8]? = nil) throws {
        guard nonce.count == nonceSize else {
            throw CryptoError("nonce must be \(nonceSize) bytes, got \(nonce.count)")
        }
        if let tag, tag.count != tagSize {
            throw CryptoError("tag must be \(tagSize) bytes, got \(tag.count)")
        }
    }
}
