import COpenSSL
import KMSCore

/// A caller's public key (RSA or SM2), to which an output plaintext is encrypted.
/// Owns its `EVP_PKEY`; `deinit` frees it. Never mutated after creation.
public final class PublicKey: @unchecked Sendable {
    let key: OpaquePointer

    /// Parses exactly one PEM `-----BEGIN PUBLIC KEY-----` (SubjectPublicKeyInfo) block with
    /// nothing but whitespace around it. OpenSSL's PEM reader would skip text and other blocks
    /// before the one it wants and ignore what follows, so the armour is taken apart here and
    /// the DER goes through the strict decoder (every byte consumed).
    public convenience init(pem: String) throws {
        let begin = Self.pemBegin, end = Self.pemEnd
        var text = Substring(pem)
        while text.first?.isWhitespace == true { text.removeFirst() }
        while text.last?.isWhitespace == true { text.removeLast() }
        guard text.hasPrefix(begin), text.hasSuffix(end), text.count > begin.count + end.count else {
            throw CryptoError("not exactly one PEM PUBLIC KEY block")
        }
        let body = text.dropFirst(begin.count).dropLast(end.count)
        // No second BEGIN/END and no RFC 1421 headers ("Proc-Type: …"): only Base64 and whitespace.
        guard let der = Base64.decode(String(body.filter { !$0.isWhitespace })), !der.isEmpty else {
            throw CryptoError("PEM PUBLIC KEY block does not hold Base64 DER")
        }
        try self.init(spkiDER: der)
    }

    static let pemBegin = "-----BEGIN PUBLIC KEY-----", pemEnd = "-----END PUBLIC KEY-----"

    /// SubjectPublicKeyInfo DER as one PEM `PUBLIC KEY` block (64-character lines), as
    /// `openssl pkey -pubout` writes it: what `init(pem:)` reads.
    public static func pem(spkiDER der: [UInt8]) -> String {
        var lines = [pemBegin]
        var rest = Substring(Base64.encode(der))
        while !rest.isEmpty {
            lines.append(String(rest.prefix(64)))
            rest = rest.dropFirst(64)
        }
        lines.append(pemEnd)
        return lines.joined(separator: "\n") + "\n"
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

    /// Throws unless the key is safe to encrypt a secret to (SPEC §6): RSA of exactly 2048 bits
    /// with an odd modulus and an odd exponent 65537 ≤ e < 2^256 (SP 800-56B's range; e = 1 or
    /// 3 would make the "encrypted" secret readable), or an SM2 point on the curve, of the
    /// group's order, not at infinity. Cheap: no primality test on the modulus.
    public func checkUsableForEncryption() throws {
        if EVP_PKEY_is_a(key, "RSA") == 1 {
            guard KeyType.isRSA2048(key) else { throw CryptoError("RSA public key is not 2048 bits") }
            let n = try bigNumber("n"), e = try bigNumber("e")
            defer { BN_free(n); BN_free(e) }
            guard BN_is_odd(n) == 1 else { throw CryptoError("RSA modulus is even") }
            guard BN_is_odd(e) == 1, BN_num_bits(e) <= 256, BN_get_word(e) >= 65537, BN_cmp(e, n) < 0 else {
                throw CryptoError("RSA public exponent must be odd, at least 65537 and below 2^256")
            }
        } else if KeyType.isSM2(key) {
            guard try PKeyContext(key: key).publicCheck() else {
                throw CryptoError("SM2 public key is not a valid curve point")
            }
        } else {
            throw CryptoError("public key is neither RSA nor SM2")
        }
    }

    /// A copy of one of the key's integer parameters ("n", "e"); the caller frees it.
    private func bigNumber(_ name: String) throws -> OpaquePointer {
        var value: OpaquePointer? = nil
        guard EVP_PKEY_get_bn_param(key, name, &value) == 1, let value else {
            throw CryptoError.openSSL("RSA parameter \(name) is unreadable")
        }
        return value
    }

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
