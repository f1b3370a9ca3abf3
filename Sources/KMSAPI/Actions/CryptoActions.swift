import KMSCore
import KMSCrypto
import KMSStorage

/// Encrypt, Decrypt, GenerateDataKey, GenerateRandom.
enum CryptoActions {
    static let specs: [ActionSpec] = [
        ActionSpec(name: "Encrypt", parameters: [
            .required("KeyId", .string), .required("Plaintext", .string), .optional("EncryptionContext", .string),
        ], handler: encrypt),
        ActionSpec(name: "Decrypt", parameters: [
            .required("CiphertextBlob", .string), .optional("EncryptionContext", .string),
            .optional("EncryptionPublicKey", .string), .optional("EncryptionAlgorithm", .string),
        ], handler: decrypt),
        ActionSpec(name: "GenerateDataKey", parameters: [
            .required("KeyId", .string), .optional("KeySpec", .string), .optional("NumberOfBytes", .integer),
            .optional("EncryptionContext", .string), .optional("EncryptionPublicKey", .string),
            .optional("EncryptionAlgorithm", .string), .unsupported("IsHostedByKms", .integer),
            .unsupported("DataKeyName", .string), .unsupported("Description", .string),
            .unsupported("HsmClusterId", .string), .unsupported("Tags", .objectArray),
        ], handler: generateDataKey),
        ActionSpec(name: "GenerateRandom", parameters: [.required("NumberOfBytes", .integer)], handler: generateRandom),
        ActionSpec(name: "ReEncrypt", parameters: [
            .required("CiphertextBlob", .string), .optional("DestinationKeyId", .string),
            .optional("SourceEncryptionContext", .string), .optional("DestinationEncryptionContext", .string),
        ], handler: reEncrypt),
    ]

    static let maximumPlaintext = 4096

    static func encrypt(_ ctx: ActionContext, _ p: Parameters) throws -> ResponseFields {
        let id = try KeyActions.lookupID(p)
        guard let plaintext = Base64.decodeSecret(try p.requiredString("Plaintext")),
              (1...maximumPlaintext).contains(plaintext.count) else {
            throw KMSError(.invalidPlaintext, "Plaintext must be Base64 of 1 to \(maximumPlaintext) bytes.")
        }
        let context = try EncryptionContext(parameter: p.string("EncryptionContext"))
        let envelope = try sealUnderCurrentVersion(ctx, id, plaintext, context)
        return [("CiphertextBlob", .string(envelope.base64)), ("KeyId", .string(id.description))]
    }

    static func decrypt(_ ctx: ActionContext, _ p: Parameters) throws -> ResponseFields {
        let envelope = try CiphertextEnvelope(base64: try p.requiredString("CiphertextBlob"))
        ctx.audit.keyID = envelope.keyID
        let context = try EncryptionContext(parameter: p.string("EncryptionContext"))
        let recipient = try OutputRecipient(p)
        let plaintext = try open(ctx, envelope, context)
        return [("KeyId", .string(envelope.keyID.description)), ("Plaintext", .string(try recipient.render(plaintext)))]
    }

    static func reEncrypt(_ ctx: ActionContext, _ p: Parameters) throws -> ResponseFields {
        let envelope = try CiphertextEnvelope(base64: try p.requiredString("CiphertextBlob"))
        ctx.audit.keyID = envelope.keyID
        let sourceContext = try EncryptionContext(parameter: p.string("SourceEncryptionContext"), name: "SourceEncryptionContext")
        let destinationContext = try EncryptionContext(parameter: p.string("DestinationEncryptionContext"),
                                                       name: "DestinationEncryptionContext")
        var destination = envelope.keyID
        if let text = p.string("DestinationKeyId"), !text.isEmpty {
            destination = try KeyActions.parseID(text)
        }
        // The plaintext exists only inside this call, in a zeroing buffer.
        let plaintext = try open(ctx, envelope, sourceContext)
        let target = try loadForEncryption(ctx, destination)
        // Same key, still its newest version, same canonical context: sealing again would only
        // change the nonce, so the caller's blob comes back as it was (Tencent's ReEncrypted false).
        if destination == envelope.keyID && target.version == envelope.materialVersion && sourceContext == destinationContext {
            return [
                ("CiphertextBlob", .string(try p.requiredString("CiphertextBlob"))), ("KeyId", .string(destination.description)),
                ("SourceKeyId", .string(envelope.keyID.description)), ("ReEncrypted", .bool(false)),
            ]
        }
        let sealed = try ctx.keyring.encrypt(plaintext, material: target.material, profile: ctx.profile, keyID: destination,
                                             version: target.version, region: ctx.region, context: destinationContext)
        return [
            ("CiphertextBlob", .string(sealed.base64)), ("KeyId", .string(destination.description)),
            ("SourceKeyId", .string(envelope.keyID.description)), ("ReEncrypted", .bool(true)),
        ]
    }

    static func generateDataKey(_ ctx: ActionContext, _ p: Parameters) throws -> ResponseFields {
        let id = try KeyActions.lookupID(p)
        let length: Int
        if let n = p.int("NumberOfBytes") {
            guard (1...1024).contains(n) else { throw KMSError.invalidValue("NumberOfBytes", "must be between 1 and 1024") }
            length = Int(n)
        } else if let spec = p.string("KeySpec") {
            switch spec {
            case "AES_128": length = 16
            case "AES_256": length = 32
            default: throw KMSError.invalidValue("KeySpec", "must be AES_128 or AES_256")
            }
        } else {
            throw KMSError(.missingParameter, "Either KeySpec or NumberOfBytes is required.")
        }
        let context = try EncryptionContext(parameter: p.string("EncryptionContext"))
        let recipient = try OutputRecipient(p)
        let dataKey = Random.secret(length)
        let envelope = try sealUnderCurrentVersion(ctx, id, dataKey, context)
        return [
            ("KeyId", .string(id.description)), ("Plaintext", .string(try recipient.render(dataKey))),
            ("CiphertextBlob", .string(envelope.base64)),
        ]
    }

    static func generateRandom(_ ctx: ActionContext, _ p: Parameters) throws -> ResponseFields {
        let n = try p.int("NumberOfBytes", default: 0, in: 1...1024)
        return [("Plaintext", .string(Base64.encode(Random.secret(Int(n)))))]
    }

    /// The key with the opened material of `version` (newest when nil): from the cache, or
    /// loaded in one tenant-scoped read (one round trip) and cached. Nil when the key is not the
    /// caller's; a nil material when that version does not exist (or the material was destroyed).
    static func loadKey(_ ctx: ActionContext, _ id: KeyID, version: UInt32?) throws
        -> (status: KeyStatus, version: UInt32, material: SecureBytes?)? {
        if let cached = ctx.keyCache.lookup(ctx.tenant, id, version: version) { return (cached.status, cached.version, cached.material) }
        let generation = ctx.keyCache.currentGeneration
        guard let loaded = try ctx.database.query(tenant: ctx.tenant, FindKeyWithMaterial(tenant: ctx.tenant, keyID: id, version: version)) else {
            return nil
        }
        guard let sealed = loaded.sealed else { return (loaded.key.status, loaded.version, nil) }
        let material = try ctx.keyring.openMaterial(sealed, tenant: ctx.tenant, keyID: id, version: loaded.version)
        ctx.keyCache.store(loaded.key, version: loaded.version, material: material, generation: generation)
        return (loaded.key.status, loaded.version, material)
    }

    /// Loads the key with its newest material, checks it may encrypt, and seals `plaintext`.
    static func sealUnderCurrentVersion(_ ctx: ActionContext, _ id: KeyID, _ plaintext: SecureBytes,
                                        _ context: EncryptionContext) throws -> CiphertextEnvelope {
        let target = try loadForEncryption(ctx, id)
        return try ctx.keyring.encrypt(plaintext, material: target.material, profile: ctx.profile, keyID: id,
                                       version: target.version, region: ctx.region, context: context)
    }

    /// The key's newest version and its material, once the key is checked to be able to encrypt.
    static func loadForEncryption(_ ctx: ActionContext, _ id: KeyID) throws -> (version: UInt32, material: SecureBytes) {
        guard let loaded = try loadKey(ctx, id, version: nil) else { throw KMSError.notFound() }
        try loaded.status.lifecycle(now: ctx.now).checkCanEncrypt()
        guard let material = loaded.material else { throw KMSError(.cmkStateNotSupport) }
        return (loaded.version, material)
    }

    /// Loads the envelope's key and material version, checks it may decrypt, and opens it.
    static func open(_ ctx: ActionContext, _ envelope: CiphertextEnvelope, _ context: EncryptionContext) throws -> SecureBytes {
        // A blob of the other profile was never made in this region.
        guard envelope.profile == ctx.profile else { throw KMSError(.invalidCiphertext, "The ciphertext was not made in this region.") }
        guard let loaded = try loadKey(ctx, envelope.keyID, version: envelope.materialVersion) else { throw KMSError.notFound() }
        try loaded.status.lifecycle(now: ctx.now).checkCanDecrypt()
        guard let material = loaded.material else {
            throw KMSError(.invalidCiphertext, "The ciphertext names a key version that does not exist.")
        }
        return try ctx.keyring.decrypt(envelope, material: material, region: ctx.region, context: context)
    }
}
