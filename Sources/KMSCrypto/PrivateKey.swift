import COpenSSL
import KMSCore

/// An asymmetric private key: the BYOK import wrapping key (RSA-2048, SM2), or the key pair of
/// an asymmetric CMK (RSA-2048, SM2, ECDSA P-256/P-384; `PrivateKey+KeyPair.swift`).
/// Owns its `EVP_PKEY`; `deinit` frees it (OpenSSL cleanses private components on free).
/// The key is never mutated after creation, which makes concurrent use safe.
public final class PrivateKey: @unchecked Sendable {
    let key: OpaquePointer

    /// Takes ownership of `key`.
    init(owning key: OpaquePointer) { self.key = key }

    deinit { EVP_PKEY_free(key) }

    /// A fresh RSA-2048 key pair.
    public static func generateRSA2048() throws -> PrivateKey {
        let key = try PKeyContext(algorithm: "RSA").generate { context in
            try check(EVP_PKEY_CTX_set_rsa_keygen_bits(context, 2048), "set RSA key size")
        }
        return PrivateKey(owning: key)
    }

    /// A fresh SM2 key pair (an `EVP_PKEY` of type SM2, usable for SM2 encryption).
    public static func generateSM2() throws -> PrivateKey {
        PrivateKey(owning: try PKeyContext(algorithm: "SM2").generate())
    }

    /// Parses a PKCS#8 `PrivateKeyInfo` DER (unencrypted).
    public init(pkcs8DER: SecureBytes) throws {
        let info = try pkcs8DER.withUnsafeBytes { der in
            try decodeDER("PKCS#8 private key", der, { d2i_PKCS8_PRIV_KEY_INFO(nil, $0, $1) },
                          free: { PKCS8_PRIV_KEY_INFO_free($0) })
        }
        // The intermediate structure holds the key bytes; its free cleanses them.
        defer { PKCS8_PRIV_KEY_INFO_free(info) }
        guard let key = EVP_PKCS82PKEY(info) else { throw CryptoError.openSSL("PKCS#8 private key is not usable") }
        self.key = key
    }

    /// The private key as PKCS#8 `PrivateKeyInfo` DER, in zeroing storage (seal it before storing).
    public func pkcs8DER() throws -> SecureBytes {
        guard let info = EVP_PKEY2PKCS8(key) else { throw CryptoError.openSSL("EVP_PKEY2PKCS8 failed") }
        defer { PKCS8_PRIV_KEY_INFO_free(info) }
        return try encodeSecretDER("i2d_PKCS8_PRIV_KEY_INFO") { i2d_PKCS8_PRIV_KEY_INFO(info, $0) }
    }

    /// The public half as SubjectPublicKeyInfo DER (what GetParametersForImport returns, Base64'd).
    public func publicKeySPKIDER() throws -> [UInt8] {
        try encodeDER("i2d_PUBKEY") { i2d_PUBKEY(key, $0) }
    }

    /// True for an RSA key of exactly 2048 bits.
    public var isRSA2048: Bool { KeyType.isRSA2048(key) }

    /// True for an SM2 key.
    public var isSM2: Bool { KeyType.isSM2(key) }

    /// Unwraps `ciphertext`; the algorithm must match the key type. Any failure throws.
    public func decrypt(_ ciphertext: [UInt8], padding: WrappingAlgorithm) throws -> SecureBytes {
        let padding = padding.rsaPadding
        try KeyType.require(key, rsa: padding != nil)
        if padding == nil {
            // OpenSSL's SM2 decryption reads the first DER structure and ignores what follows:
            // require exactly one well-formed GM/T 0009 ciphertext, nothing trailing.
            _ = try SM2Ciphertext.raw(fromDER: ciphertext)
        }
        return try PKeyContext(key: key).decrypt(ciphertext, padding: padding)
    }
}

/// Key-type checks shared by `PrivateKey` and `PublicKey`.
enum KeyType {
    static func isRSA2048(_ key: OpaquePointer) -> Bool {
        EVP_PKEY_is_a(key, "RSA") == 1 && EVP_PKEY_get_bits(key) == 2048
    }

    static func bits(_ key: OpaquePointer) -> Int32 { EVP_PKEY_get_bits(key) }

    static func isSM2(_ key: OpaquePointer) -> Bool {
        EVP_PKEY_is_a(key, "SM2") == 1
    }

    /// Throws unless the key is RSA (`rsa`) or SM2 (`!rsa`), so an algorithm never meets the wrong key.
    static func require(_ key: OpaquePointer, rsa: Bool) throws {
        if rsa {
            guard EVP_PKEY_is_a(key, "RSA") == 1 else { throw CryptoError("an RSA algorithm needs an RSA key") }
        } else {
            guard isSM2(key) else { throw CryptoError("an SM2 algorithm needs an SM2 key") }
        }
    }
}
