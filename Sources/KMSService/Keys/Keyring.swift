import KMSCore
import KMSCrypto

/// Key material at rest and in use: generation, sealing under the master key with each value
/// bound to its row, and envelope encryption with a CMK's material version.
public struct Keyring: Sendable {
    /// Seals and opens every value at rest under the master key ring.
    public let sealer: Sealer

    /// A keyring sealing with `sealer`.
    public init(sealer: Sealer) { self.sealer = sealer }

    /// Binds sealed material to (account, region, key, version): a value copied to any other row fails to open.
    public static func materialBinding(_ tenant: Tenant, _ keyID: KeyID, _ version: UInt32) -> String {
        "key_material|\(tenant.appId)|\(tenant.region)|\(keyID)|\(version)"
    }

    /// Binds a sealed credential secret to its SecretId.
    public static func credentialBinding(_ secretId: String) -> String { "credential|\(secretId)" }

    /// Binds an import token's sealed private key to its key and token.
    public static func parametersBinding(_ tenant: Tenant, _ keyID: KeyID, _ tokenHash: [UInt8]) -> String {
        "import_parameters|\(tenant.appId)|\(tenant.region)|\(keyID)|\(Hex.encode(tokenHash))"
    }

    /// Binds a key's material fingerprint to the key.
    public static func fingerprintBinding(_ tenant: Tenant, _ keyID: KeyID) -> String {
        "material_fingerprint|\(tenant.appId)|\(tenant.region)|\(keyID)"
    }

    /// Fresh material of the profile's length from OpenSSL's DRBG.
    public func generateMaterial(_ profile: CryptoProfile) -> SecureBytes { Random.secret(profile.materialLength) }

    /// Seals one material version for its row.
    public func sealMaterial(_ material: SecureBytes, tenant: Tenant, keyID: KeyID, version: UInt32) -> [UInt8] {
        sealer.seal(material, binding: Keyring.materialBinding(tenant, keyID, version))
    }

    /// Opens one material version sealed for its row.
    public func openMaterial(_ sealed: [UInt8], tenant: Tenant, keyID: KeyID, version: UInt32) throws -> SecureBytes {
        try sealer.open(sealed, binding: Keyring.materialBinding(tenant, keyID, version))
    }

    /// Opens a credential's secret key sealed for its SecretId.
    public func openCredentialSecret(_ sealed: [UInt8], secretId: String) throws -> SecureBytes {
        try sealer.open(sealed, binding: Keyring.credentialBinding(secretId))
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
