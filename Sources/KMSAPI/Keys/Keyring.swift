import KMSCore
import KMSCrypto

/// Key material at rest and in use: generation, sealing under the master key with each value
/// bound to its row, and envelope encryption with a CMK's material version.
struct Keyring {
    let sealer: Sealer

    /// Binds sealed material to (account, region, key, version): a value copied to any other row fails to open.
    static func materialBinding(_ tenant: Tenant, _ keyID: KeyID, _ version: UInt32) -> String {
        "key_material|\(tenant.appId)|\(tenant.region)|\(keyID)|\(version)"
    }

    /// Binds a sealed credential secret to its SecretId.
    static func credentialBinding(_ secretId: String) -> String { "credential|\(secretId)" }

    func generateMaterial(_ profile: CryptoProfile) -> SecureBytes { Random.secret(profile.materialLength) }

    func sealMaterial(_ material: SecureBytes, tenant: Tenant, keyID: KeyID, version: UInt32) -> [UInt8] {
        sealer.seal(material, binding: Keyring.materialBinding(tenant, keyID, version))
    }

    func openMaterial(_ sealed: [UInt8], tenant: Tenant, keyID: KeyID, version: UInt32) throws -> SecureBytes {
        try sealer.open(sealed, binding: Keyring.materialBinding(tenant, keyID, version))
    }

    func openCredentialSecret(_ sealed: [UInt8], secretId: String) throws -> SecureBytes {
        try sealer.open(sealed, binding: Keyring.credentialBinding(secretId))
    }

    /// Encrypts `plaintext` under one material version into a CiphertextEnvelope.
    func encrypt(_ plaintext: SecureBytes, material: SecureBytes, profile: CryptoProfile, keyID: KeyID, version: UInt32,
                 region: String, context: EncryptionContext) throws -> CiphertextEnvelope {
        let nonce = Random.bytes(CiphertextEnvelope.nonceSize)
        let aad = CiphertextEnvelope.associatedData(profile: profile, keyID: keyID, materialVersion: version,
                                                    region: region, context: context)
        let sealed = try makeAEAD(profile: profile, key: material).seal(plaintext, nonce: nonce, aad: aad)
        return CiphertextEnvelope(profile: profile, keyID: keyID, materialVersion: version, nonce: nonce,
                                  ciphertext: sealed.ciphertext, tag: sealed.tag)
    }

    /// Opens an envelope; any authentication failure is `InvalidCiphertext`.
    func decrypt(_ envelope: CiphertextEnvelope, material: SecureBytes, region: String, context: EncryptionContext) throws -> SecureBytes {
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
