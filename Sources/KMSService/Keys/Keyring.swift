import KMSCore
import KMSCrypto

/// Key material at rest and in use: generation, sealing under the master key with each value
/// bound to its row, and envelope encryption with a CMK's material version.
public struct Keyring: Sendable {
    /// Seals and opens every value at rest under the master key ring.
    public let sealer: Sealer

    /// A keyring sealing with `sealer`.
    public init(sealer: Sealer) { self.sealer = sealer }

    /// Fresh material of the profile's length from OpenSSL's DRBG.
    public func generateMaterial(_ profile: CryptoProfile) -> SecureBytes { Random.secret(profile.materialLength) }

    /// A fresh key pair of `spec` for an asymmetric CMK, as the PKCS#8 material that is sealed and stored.
    public func generateKeyPair(_ spec: KeyPairSpec) throws -> SecureBytes {
        try PrivateKey.generate(spec).pkcs8DER()
    }

    /// An asymmetric CMK's opened material as its private key, checked to be of the key's kind.
    public func openKeyPair(_ material: SecureBytes, spec: KeyPairSpec) throws -> PrivateKey {
        let key = try PrivateKey(pkcs8DER: material)
        guard key.isKind(spec) else { throw KMSError(.internalError, "stored key pair is not of kind \(spec.rawValue)") }
        return key
    }

    /// Seals one material version for its row.
    public func sealMaterial(_ material: SecureBytes, tenant: Tenant, keyID: KeyID, version: UInt32) -> [UInt8] {
        sealer.seal(material, for: .keyMaterial(tenant, keyID, version: version))
    }

    /// Opens one material version sealed for its row.
    public func openMaterial(_ sealed: [UInt8], tenant: Tenant, keyID: KeyID, version: UInt32) throws -> SecureBytes {
        try sealer.open(sealed, for: .keyMaterial(tenant, keyID, version: version))
    }

    /// Opens a credential's secret key sealed for its SecretId.
    public func openCredentialSecret(_ sealed: [UInt8], secretId: String) throws -> SecureBytes {
        try sealer.open(sealed, for: .credentialSecret(secretId))
    }

    /// Encrypts `plaintext` under one material version into a CiphertextEnvelope.
    public func encrypt(_ plaintext: SecureBytes, material: SecureBytes, profile: CryptoProfile, keyID: KeyID, version: UInt32,
                 region: String, context: EncryptionContext) throws -> CiphertextEnvelope {
        let nonce = Random.bytes(CiphertextEnvelope.nonceSize)
        let aad = CiphertextEnvelope.associatedData(profile: profile, keyID: keyID, materialVersion: version,
                                                    region: region, context: context)
        let sealed = try makeAEAD(profile: profile, key: material).seal(plaintext, nonce: nonce, aad: aad)
        return CiphertextEnvelope(profile: profile, keyID: keyID, materialVersion: version, nonce: nonce,
                                  ciphertext: sealed.ciphertext, tag: sealed.tag)
    }

    /// Opens an envelope; any authentication failure is `InvalidCiphertext`.
    public func decrypt(_ envelope: CiphertextEnvelope, material: SecureBytes, region: String, context: EncryptionContext) throws -> SecureBytes {
        let aad = CiphertextEnvelope.associatedData(profile: envelope.profile, keyID: envelope.keyID,
                                                    materialVersion: envelope.materialVersion, region: region, context: context)
        do {
            return try makeAEAD(profile: envelope.profile, key: material)
                .open(envelope.ciphertext, tag: envelope.tag, nonce: envelope.nonce, aad: aad)
        } catch is CryptoError {
            throw KMSError(.invalidCiphertext, "The ciphertext does not authenticate with this key and encryption context.")
        }
    }
}
