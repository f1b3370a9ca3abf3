/// What a CMK is for (`KeyUsage`, SPEC §3, §9): symmetric encryption, or one asymmetric key pair
/// used either to decrypt what was encrypted to its public half or to sign. Raw values are Tencent's.
public enum KeyUsage: String, Sendable, CaseIterable {
    case encryptDecrypt = "ENCRYPT_DECRYPT"
    case asymmetricDecryptRSA2048 = "ASYMMETRIC_DECRYPT_RSA_2048"
    case asymmetricDecryptSM2 = "ASYMMETRIC_DECRYPT_SM2"
    case asymmetricSignVerifySM2 = "ASYMMETRIC_SIGN_VERIFY_SM2"
    case asymmetricSignVerifyRSA2048 = "ASYMMETRIC_SIGN_VERIFY_RSA_2048"
    case asymmetricSignVerifyECC = "ASYMMETRIC_SIGN_VERIFY_ECC"
    case asymmetricSignVerifyECDSA384 = "ASYMMETRIC_SIGN_VERIFY_ECDSA384"

    /// The key pair behind an asymmetric usage; nil for a symmetric key.
    public var keyPair: KeyPairSpec? {
        switch self {
        case .encryptDecrypt: return nil
        case .asymmetricDecryptRSA2048, .asymmetricSignVerifyRSA2048: return .rsa2048
        case .asymmetricDecryptSM2, .asymmetricSignVerifySM2: return .sm2
        case .asymmetricSignVerifyECC: return .eccP256
        case .asymmetricSignVerifyECDSA384: return .eccP384
        }
    }

    public var isAsymmetric: Bool { self != .encryptDecrypt }

    /// True for the usages whose private half decrypts (AsymmetricRsaDecrypt, AsymmetricSm2Decrypt).
    public var decrypts: Bool { self == .asymmetricDecryptRSA2048 || self == .asymmetricDecryptSM2 }

    /// True for the usages whose private half signs (SignByAsymmetricKey, VerifyByAsymmetricKey).
    public var signs: Bool { isAsymmetric && !decrypts }

    /// Whether a region of `profile` offers this usage: SM2 keys in SM regions, RSA and the NIST
    /// curves in FIPS regions, symmetric keys everywhere (with the region's own cipher).
    public func isOffered(in profile: CryptoProfile) -> Bool {
        guard let pair = keyPair else { return true }
        return pair.profile == profile
    }

    /// The signature algorithms a signing key accepts (empty for other usages).
    public var signatureAlgorithms: [SignatureAlgorithm] {
        switch self {
        case .asymmetricSignVerifySM2: return [.sm2DSA]
        case .asymmetricSignVerifyECC: return [.eccP256R1]
        case .asymmetricSignVerifyECDSA384: return [.ecdsa384SHA384]
        case .asymmetricSignVerifyRSA2048: return [.rsaPSSSHA256, .rsaPKCS1SHA256]
        default: return []
        }
    }

    /// The decryption algorithms a decrypting key accepts (empty for other usages).
    public var decryptionAlgorithms: [AsymmetricDecryption] {
        switch self {
        case .asymmetricDecryptRSA2048: return [.rsaesPKCS1v15, .rsaesOAEPSHA1, .rsaesOAEPSHA256]
        case .asymmetricDecryptSM2: return [.sm2C1C3C2ASN1]
        default: return []
        }
    }

    /// The usages a region of `profile` offers, in the order `ListAlgorithms` names them.
    public static func offered(in profile: CryptoProfile) -> [KeyUsage] {
        allCases.filter { $0.isOffered(in: profile) }
    }
}

/// The key pair of an asymmetric CMK.
public enum KeyPairSpec: String, Sendable, CaseIterable {
    case rsa2048 = "RSA_2048"
    case sm2 = "SM2"
    case eccP256 = "ECC"
    /// Tencent's ListAlgorithms names the P-384 keys by their signature algorithm.
    case eccP384 = "ECDSA384_SHA384"

    /// The profile whose regions hold keys of this kind.
    public var profile: CryptoProfile { self == .sm2 ? .sm : .fips }
}

/// `SignByAsymmetricKey`/`VerifyByAsymmetricKey`'s `Algorithm`; raw values are Tencent's.
public enum SignatureAlgorithm: String, Sendable, CaseIterable {
    /// SM2 signature over SM3(Z || M), Z computed with the default ID `1234567812345678`.
    case sm2DSA = "SM2DSA"
    /// ECDSA on P-256 with SHA-256.
    case eccP256R1 = "ECC_P256_R1"
    /// ECDSA on P-384 with SHA-384. Tencent documents no Sign `Algorithm` for P-384 keys; this is
    /// the one name it publishes for them (ListAlgorithms), and what ListAlgorithms lists here.
    case ecdsa384SHA384 = "ECDSA384_SHA384"
    /// RSASSA-PSS with SHA-256, MGF1-SHA-256, a 32-byte salt.
    case rsaPSSSHA256 = "RSA_PSS_SHA_256"
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    case rsaPKCS1SHA256 = "RSA_PKCS1_SHA_256"

    /// Length of the digest a `MessageType` DIGEST message must have.
    public var digestLength: Int { self == .ecdsa384SHA384 ? 48 : 32 }
}

/// `MessageType` of SignByAsymmetricKey/VerifyByAsymmetricKey.
public enum SignedMessageType: String, Sendable {
    /// The message itself, at most 4096 bytes; the service hashes it.
    case raw = "RAW"
    /// The message's digest, as the algorithm's hash would make it.
    case digest = "DIGEST"

    /// The most bytes a RAW message may have.
    public static let maximumRawLength = 4096
}

/// The `Algorithm` of AsymmetricRsaDecrypt (and the format AsymmetricSm2Decrypt reads); raw
/// values are Tencent's.
public enum AsymmetricDecryption: String, Sendable, CaseIterable {
    /// RSA PKCS#1 v1.5 encryption.
    case rsaesPKCS1v15 = "RSAES_PKCS1_V1_5"
    /// RSA-OAEP with SHA-1 (OAEP and MGF1).
    case rsaesOAEPSHA1 = "RSAES_OAEP_SHA_1"
    /// RSA-OAEP with SHA-256 for both the OAEP hash and MGF1.
    case rsaesOAEPSHA256 = "RSAES_OAEP_SHA_256"
    /// SM2, the GM/T 0009 DER ciphertext (C1C3C2_ASN1) that `openssl pkeyutl -encrypt` writes.
    case sm2C1C3C2ASN1 = "SM2_C1C3C2_ASN1"
}

/// Which actions a key's usage allows (SPEC §9): each misuse is refused before any material is
/// touched, with a message naming what the key is for. The code is the one each action's Tencent
/// documentation lists: `InvalidParameterValue.InvalidKeyUsage` where it is listed (encrypting,
/// asymmetric decryption), otherwise `ResourceUnavailable.CmkStateNotSupport` (GetPublicKey, Sign,
/// Verify, rotation).
extension KeyUsage {
    /// Encrypt, GenerateDataKey and ReEncrypt's destination: symmetric keys only. (A ciphertext
    /// naming an asymmetric key was never made by this service: Decrypt answers InvalidCiphertext.)
    public func checkSymmetric() throws {
        guard self == .encryptDecrypt else {
            throw KMSError(.invalidKeyUsage, "The key's KeyUsage is \(rawValue); this action needs an ENCRYPT_DECRYPT key.")
        }
    }

    /// Rotation: symmetric keys only; asymmetric keys do not rotate.
    public func checkRotatable() throws {
        guard self == .encryptDecrypt else {
            throw KMSError(.cmkStateNotSupport, "The key's KeyUsage is \(rawValue); asymmetric keys do not rotate.")
        }
    }

    /// GetPublicKey: any asymmetric key.
    public func checkAsymmetric() throws {
        guard isAsymmetric else {
            throw KMSError(.cmkStateNotSupport, "The key's KeyUsage is ENCRYPT_DECRYPT; only asymmetric keys have a public key.")
        }
    }

    /// AsymmetricRsaDecrypt and AsymmetricSm2Decrypt: a decrypting key of the algorithm's kind.
    public func checkDecrypts(_ algorithm: AsymmetricDecryption) throws {
        guard decrypts, decryptionAlgorithms.contains(algorithm) else {
            let wanted = algorithm == .sm2C1C3C2ASN1 ? KeyUsage.asymmetricDecryptSM2 : .asymmetricDecryptRSA2048
            throw KMSError(.invalidKeyUsage, "The key's KeyUsage is \(rawValue); this action needs an \(wanted.rawValue) key.")
        }
    }

    /// SignByAsymmetricKey and VerifyByAsymmetricKey: a signing key, and an algorithm it signs with.
    public func checkSigns(_ algorithm: SignatureAlgorithm) throws {
        guard signs else {
            throw KMSError(.cmkStateNotSupport, "The key's KeyUsage is \(rawValue); signing needs an ASYMMETRIC_SIGN_VERIFY key.")
        }
        guard signatureAlgorithms.contains(algorithm) else {
            throw KMSError.invalid("Algorithm", "is \(algorithm.rawValue), which \(rawValue) keys do not sign with (they use \(signatureAlgorithms.map(\.rawValue).joined(separator: ", ")))")
        }
    }
}
