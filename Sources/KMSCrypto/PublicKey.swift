import COpenSSL
import KMSCore

/// A caller's public key (RSA or SM2), to which an output plaintext is encrypted.
/// Owns its `EVP_PKEY`; `deinit` frees it. Never mutated after creation.
public final class PublicKey: @unchecked Sendable {
    let key: OpaquePointer

    /// Parses a PEM `-----BEGIN PUBLIC KEY-----` (SubjectPublicKeyInfo) block.
    public init(pem: String) throws {
        let text = Array(pem.utf8)
        key = try text.withUnsafeBytes { buffer in
            // A read-only memory BIO that borrows `buffer`; it is freed before the borrow ends.
            guard let bio = BIO_new_mem_buf(buffer.baseAddress, Int32(buffer.count)) else {
                throw CryptoError.openSSL("BIO_new_mem_buf failed")
            }
            defer { BIO_free(bio) }
            guard let key = PEM_read_bio_PUBKEY(bio, nil, nil, nil) else {
                throw CryptoError.openSSL("not a PEM public key")
            }
            return key
        }
    }

    /// Parses SubjectPublicKeyInfo DER.
    public init(spkiDER: [UInt8]) throws {
        key = try spkiDER.withUnsafeBytes { der in
            try decodeDER("SubjectPublicKeyInfo", der, { d2i_PUBKEY(nil, $0, $1) }, free: { EVP_PKEY_free($0) })
        }
    }

    deinit { EVP_PKEY_free(key) }

    /// True for an RSA key of exactly 2048 bits.
    public var isRSA2048: Bool { KeyType.isRSA2048(key) }

    /// True for an SM2 key.
    public var isSM2: Bool { KeyType.isSM2(key) }

    /// The key as SubjectPublicKeyInfo DER.
    public func spkiDER() throws -> [UInt8] {
        try encodeDER("i2d_PUBKEY") { i2d_PUBKEY(key, $0) }
    }

    /// Encrypts `plaintext` to this key; the algorithm must match the key type.
    public func encrypt(_ plaintext: SecureBytes, algorithm: PublicKeyEncryption) throws -> [UInt8] {
        let padding = algorithm.rsaPadding
        try KeyType.require(key, rsa: padding != nil)
        let ciphertext = try PKeyContext(key: key).encrypt(plaintext, padding: padding)
        return algorithm == .sm2C1C3C2 ? try SM2Ciphertext.raw(fromDER: ciphertext) : ciphertext
    }
}
