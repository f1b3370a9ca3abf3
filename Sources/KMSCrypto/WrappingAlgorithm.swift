/// How key material is wrapped for `ImportKeyMaterial` (SPEC §5); raw values are Tencent's names.
public enum WrappingAlgorithm: String, Sendable, CaseIterable {
    /// RSA PKCS#1 v1.5 encryption.
    case rsaesPKCS1v15 = "RSAES_PKCS1_V1_5"
    /// RSA-OAEP with SHA-1 (OAEP and MGF1).
    case rsaesOAEPSHA1 = "RSAES_OAEP_SHA_1"
    /// RSA-OAEP with SHA-256 for both the OAEP hash and MGF1.
    case rsaesOAEPSHA256 = "RSAES_OAEP_SHA_256"
    /// SM2 public-key encryption, GM/T 0009 DER ciphertext (what `openssl pkeyutl -encrypt` writes).
    case sm2PKE = "SM2PKE"

    /// The RSA padding, or nil for SM2.
    var rsaPadding: RSAPadding? {
        switch self {
        case .rsaesPKCS1v15: return .pkcs1v15
        case .rsaesOAEPSHA1: return .oaepSHA1
        case .rsaesOAEPSHA256: return .oaepSHA256
        case .sm2PKE: return nil
        }
    }
}

/// How a plaintext is encrypted to a caller's public key (`EncryptionAlgorithm`, SPEC §4).
public enum PublicKeyEncryption: String, Sendable, CaseIterable {
    /// RSA PKCS#1 v1.5 encryption.
    case rsaesPKCS1v15 = "RSAES_PKCS1_V1_5"
    /// RSA-OAEP with SHA-1 (OAEP and MGF1).
    case rsaesOAEPSHA1 = "RSAES_OAEP_SHA_1"
    /// RSA-OAEP with SHA-256 for both the OAEP hash and MGF1.
    case rsaesOAEPSHA256 = "RSAES_OAEP_SHA_256"
    /// SM2 as raw C1 || C3 || C2 (C1 = 04 || x || y, 65 bytes; C3 = SM3 hash, 32 bytes).
    case sm2C1C3C2 = "SM2"
    /// SM2 as the GM/T 0009 DER that OpenSSL writes.
    case sm2C1C3C2ASN1 = "SM2_C1C3C2_ASN1"

    /// The RSA padding, or nil for SM2.
    var rsaPadding: RSAPadding? {
        switch self {
        case .rsaesPKCS1v15: return .pkcs1v15
        case .rsaesOAEPSHA1: return .oaepSHA1
        case .rsaesOAEPSHA256: return .oaepSHA256
        case .sm2C1C3C2, .sm2C1C3C2ASN1: return nil
        }
    }
}
