import COpenSSL
import KMSCore

/// The key pair of an asymmetric CMK (SPEC §9): generation, the public half as Tencent's
/// GetPublicKey returns it, and decryption of what was encrypted to it.
extension PrivateKey {
    /// A fresh key pair of `spec`, from OpenSSL's DRBG.
    public static func generate(_ spec: KeyPairSpec) throws -> PrivateKey {
        switch spec {
        case .rsa2048: return try generateRSA2048()
        case .sm2: return try generateSM2()
        case .eccP256: return try generateEC(group: "P-256")
        case .eccP384: return try generateEC(group: "P-384")
        }
    }

    private static func generateEC(group: String) throws -> PrivateKey {
        let key = try PKeyContext(algorithm: "EC").generate { context in
            try check(EVP_PKEY_CTX_set_group_name(context, group), "set EC group \(group)")
        }
        return PrivateKey(owning: key)
    }

    /// True when the key is of kind `spec` (a stored key is checked against its usage once opened).
    public func isKind(_ spec: KeyPairSpec) -> Bool {
        switch spec {
        case .rsa2048: return isRSA2048
        case .sm2: return isSM2
        case .eccP256: return EVP_PKEY_is_a(key, "EC") == 1 && KeyType.bits(key) == 256 && !isSM2
        case .eccP384: return EVP_PKEY_is_a(key, "EC") == 1 && KeyType.bits(key) == 384
        }
    }

    /// The public half as PEM (`PublicKey.pem(spkiDER:)`).
    public func publicKeyPEM() throws -> String { PublicKey.pem(spkiDER: try publicKeySPKIDER()) }

    /// Decrypts a ciphertext made with the public half (AsymmetricRsaDecrypt, AsymmetricSm2Decrypt).
    /// SM2 takes exactly one GM/T 0009 DER ciphertext (C1C3C2_ASN1) with nothing after it.
    public func decrypt(_ ciphertext: [UInt8], algorithm: AsymmetricDecryption) throws -> SecureBytes {
        let padding: RSAPadding?
        switch algorithm {
        case .rsaesPKCS1v15: padding = .pkcs1v15
        case .rsaesOAEPSHA1: padding = .oaepSHA1
        case .rsaesOAEPSHA256: padding = .oaepSHA256
        case .sm2C1C3C2ASN1: padding = nil
        }
        try KeyType.require(key, rsa: padding != nil)
        if padding == nil { _ = try SM2Ciphertext.raw(fromDER: ciphertext) }
        return try PKeyContext(key: key).decrypt(ciphertext, padding: padding)
    }
}
