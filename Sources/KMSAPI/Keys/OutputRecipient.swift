import KMSCore
import KMSCrypto

/// Where a returned Plaintext goes: in the clear (Base64), or encrypted to the caller's public key
/// (`EncryptionPublicKey` + `EncryptionAlgorithm` on GenerateDataKey and Decrypt), so the plaintext
/// never crosses the wire or a proxy's log readable.
struct OutputRecipient {
    let publicKey: PublicKey?
    let algorithm: PublicKeyEncryption

    init(_ p: Parameters) throws {
        let pem = p.string("EncryptionPublicKey") ?? ""
        let algorithmName = p.string("EncryptionAlgorithm") ?? ""
        guard !pem.isEmpty else {
            publicKey = nil
            algorithm = .sm2C1C3C2
            return
        }
        // Tencent's default is SM2 (C1C3C2).
        guard let parsed = PublicKeyEncryption(rawValue: algorithmName.isEmpty ? "SM2" : algorithmName) else {
            throw KMSError.invalidValue("EncryptionAlgorithm", "must be SM2, SM2_C1C3C2_ASN1, RSAES_PKCS1_V1_5, RSAES_OAEP_SHA_1 or RSAES_OAEP_SHA_256")
        }
        let key: PublicKey
        do {
            if pem.contains("-----BEGIN") {
                key = try PublicKey(pem: pem)
            } else if let der = Base64.decode(pem.filter { !$0.isWhitespace }) {
                key = try PublicKey(spkiDER: der)  // Base64 DER without PEM armour, as some clients send
            } else {
                throw KMSError.invalidValue("EncryptionPublicKey", "must be a PEM public key")
            }
        } catch is CryptoError {
            throw KMSError.invalidValue("EncryptionPublicKey", "is not a readable public key")
        }
        // A weak or malformed key (RSA e = 1 or 3, an even modulus, an SM2 point at infinity)
        // is the caller's mistake, refused here, not an InternalError when encryption fails.
        do {
            try key.checkUsableForEncryption()
        } catch is CryptoError {
            throw KMSError.invalidValue("EncryptionPublicKey", "must be an RSA-2048 key with an odd exponent of at least 65537, or a valid SM2 point")
        }
        switch parsed {
        case .sm2C1C3C2, .sm2C1C3C2ASN1:
            guard key.isSM2 else { throw KMSError.invalidValue("EncryptionPublicKey", "must be an SM2 key for \(parsed.rawValue)") }
        case .rsaesPKCS1v15, .rsaesOAEPSHA1, .rsaesOAEPSHA256:
            guard key.isRSA2048 else { throw KMSError.invalidValue("EncryptionPublicKey", "must be an RSA-2048 key for \(parsed.rawValue)") }
        }
        publicKey = key
        algorithm = parsed
    }

    /// The most an RSA-2048 key carries with each padding (k − 11, k − 2·20 − 2, k − 2·32 − 2).
    var maximumPlaintext: Int? {
        switch algorithm {
        case .rsaesPKCS1v15: return 245
        case .rsaesOAEPSHA1: return 214
        case .rsaesOAEPSHA256: return 190
        case .sm2C1C3C2, .sm2C1C3C2ASN1: return nil
        }
    }

    /// The Plaintext field's value.
    func render(_ plaintext: SecureBytes) throws -> String {
        guard let publicKey else { return Base64.encode(plaintext) }
        if let maximum = maximumPlaintext, plaintext.count > maximum {
            throw KMSError.invalidValue("EncryptionPublicKey", "(RSA-2048 with \(algorithm.rawValue)) can carry at most \(maximum) bytes")
        }
        return Base64.encode(try publicKey.encrypt(plaintext, algorithm: algorithm))
    }
}
