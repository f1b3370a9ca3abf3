import KMSCore
import KMSCrypto
import KMSStorage

/// Using a key: its material loaded (from the cache when it can be) and checked for the use.
extension KeyOperations {
    /// The key with the opened material of `version` (newest when nil): from the cache, or
    /// loaded in one tenant-scoped read (one round trip) and cached. Nil when the key is not the
    /// caller's; a nil material when that version does not exist (or the material was destroyed).
    /// An asymmetric key's material comes parsed as well (`keyPair`).
    public func load(_ id: KeyID, version: UInt32?, _ scope: KeyScope) throws
        -> (status: KeyStatus, version: UInt32, material: SecureBytes?, keyPair: PrivateKey?)? {
        if let cached = keyCache?.lookup(scope.tenant, id, version: version) {
            return (cached.status, cached.version, cached.material, cached.keyPair)
        }
        let generation = keyCache?.currentGeneration ?? 0
        guard let loaded = try scope.database.query(tenant: scope.tenant, FindKeyWithMaterial(tenant: scope.tenant, keyID: id,
                                                                                              version: version)) else {
            return nil
        }
        guard let sealed = loaded.sealed else { return (loaded.key.status, loaded.version, nil, nil) }
        let material = try keyring.openMaterial(sealed, tenant: scope.tenant, keyID: id, version: loaded.version)
        let keyPair = try loaded.key.keyUsage.keyPair.map { try keyring.openKeyPair(material, spec: $0) }
        keyCache?.store(loaded.key, version: loaded.version, material: material, keyPair: keyPair, generation: generation)
        return (loaded.key.status, loaded.version, material, keyPair)
    }

    /// The key's newest version and its material, once the key is checked to be able to encrypt.
    public func loadForEncryption(_ id: KeyID, _ scope: KeyScope) throws -> (version: UInt32, material: SecureBytes) {
        guard let loaded = try load(id, version: nil, scope) else { throw KMSError.notFound() }
        try loaded.status.lifecycle(now: scope.now).checkCanEncrypt()
        guard let material = loaded.material else { throw KMSError(.cmkStateNotSupport) }
        return (loaded.version, material)
    }

    /// Seals `plaintext` under the key's newest version (Encrypt, GenerateDataKey).
    public func encrypt(_ plaintext: SecureBytes, under id: KeyID, profile: CryptoProfile, context: EncryptionContext,
                        _ scope: KeyScope) throws -> CiphertextEnvelope {
        let target = try loadForEncryption(id, scope)
        return try keyring.encrypt(plaintext, material: target.material, profile: profile, keyID: id, version: target.version,
                                   region: scope.tenant.region, context: context)
    }

    /// Opens an envelope with its key's material version, once the key is checked to be able to
    /// decrypt and the version to be one that still decrypts (Decrypt, ReEncrypt's source). `usable`
    /// is the rule the key's state must meet: Decrypt's unless the caller's use has its own (a
    /// hosted data key's, an imported blob's).
    public func decrypt(_ envelope: CiphertextEnvelope, profile: CryptoProfile, context: EncryptionContext, _ scope: KeyScope,
                        usable: (KeyLifecycle) throws -> Void = { try $0.checkCanDecrypt() }) throws -> SecureBytes {
        // A blob of the other profile was never made in this region.
        guard envelope.profile == profile else { throw KMSError(.invalidCiphertext, "The ciphertext was not made in this region.") }
        guard let loaded = try load(envelope.keyID, version: envelope.materialVersion, scope) else { throw KMSError.notFound() }
        try usable(loaded.status.lifecycle(now: scope.now))
        try loaded.status.versions.checkDecryptable(envelope.materialVersion)
        guard let material = loaded.material else {
            throw KMSError(.invalidCiphertext, "The ciphertext names a key version that does not exist.")
        }
        return try keyring.decrypt(envelope, material: material, region: scope.tenant.region, context: context)
    }
}
