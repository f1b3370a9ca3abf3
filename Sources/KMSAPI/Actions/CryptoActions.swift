import KMSCore
import KMSCrypto
import KMSService
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
        // State-changing when it hosts the data key (IsHostedByKms=1): the key and its audit record commit together.
        ActionSpec(name: "GenerateDataKey", mutates: true, parameters: [
            .required("KeyId", .string), .optional("KeySpec", .string), .optional("NumberOfBytes", .integer),
            .optional("EncryptionContext", .string), .optional("EncryptionPublicKey", .string),
            .optional("EncryptionAlgorithm", .string), .optional("IsHostedByKms", .integer),
            .optional("DataKeyName", .string), .optional("Description", .string),
            .optional("HsmClusterId", .string), .optional("Tags", .objectArray),
        ], handler: generateDataKey),
        ActionSpec(name: "GenerateRandom", parameters: [.required("NumberOfBytes", .integer)], handler: generateRandom),
        ActionSpec(name: "ReEncrypt", parameters: [
            .required("CiphertextBlob", .string), .optional("DestinationKeyId", .string),
            .optional("SourceEncryptionContext", .string), .optional("DestinationEncryptionContext", .string),
        ], handler: reEncrypt),
    ]

    static let maximumPlaintext = 4096

    static func encrypt(_ ctx: ActionContext, _ p: Parameters) throws -> ResponseFields {
        let id = try p.keyID()
        guard let plaintext = Base64.decodeSecret(try p.requiredString("Plaintext")),
              (1...maximumPlaintext).contains(plaintext.count) else {
            throw KMSError(.invalidPlaintext, "Plaintext must be Base64 of 1 to \(maximumPlaintext) bytes.")
        }
        let context = try EncryptionContext(parameter: p.string("EncryptionContext"))
        let envelope = try ctx.operations.encrypt(plaintext, under: id, profile: ctx.profile, context: context, ctx.scope)
        return [("CiphertextBlob", .string(envelope.base64)), ("KeyId", .string(id.description))]
    }

    static func decrypt(_ ctx: ActionContext, _ p: Parameters) throws -> ResponseFields {
        let envelope = try CiphertextEnvelope(base64: try p.requiredString("CiphertextBlob"))
        ctx.request.keyID = envelope.keyID
        let context = try EncryptionContext(parameter: p.string("EncryptionContext"))
        let recipient = try OutputRecipient(p)
        let plaintext = try ctx.operations.decrypt(envelope, profile: ctx.profile, context: context, ctx.scope)
        return [("KeyId", .string(envelope.keyID.description)), ("Plaintext", .string(try recipient.render(plaintext)))]
    }

    static func reEncrypt(_ ctx: ActionContext, _ p: Parameters) throws -> ResponseFields {
        let envelope = try CiphertextEnvelope(base64: try p.requiredString("CiphertextBlob"))
        ctx.request.keyID = envelope.keyID
        let sourceContext = try EncryptionContext(parameter: p.string("SourceEncryptionContext"), name: "SourceEncryptionContext")
        let destinationContext = try EncryptionContext(parameter: p.string("DestinationEncryptionContext"),
                                                       name: "DestinationEncryptionContext")
        var destination = envelope.keyID
        if let text = p.string("DestinationKeyId"), !text.isEmpty {
            destination = try Parameters.parseKeyID(text)
        }
        // The plaintext exists only inside this call, in a zeroing buffer.
        let plaintext = try ctx.operations.decrypt(envelope, profile: ctx.profile, context: sourceContext, ctx.scope)
        let target = try ctx.operations.loadForEncryption(destination, ctx.scope)
        // Same key, still its newest version, same canonical context: sealing again would only
        // change the nonce, so the caller's blob comes back as it was (Tencent's ReEncrypted false).
        if destination == envelope.keyID && target.version == envelope.materialVersion && sourceContext == destinationContext {
            return [
                ("CiphertextBlob", .string(try p.requiredString("CiphertextBlob"))), ("KeyId", .string(destination.description)),
                ("SourceKeyId", .string(envelope.keyID.description)), ("ReEncrypted", .bool(false)),
            ]
        }
        let sealed = try ctx.operations.keyring.encrypt(plaintext, material: target.material, profile: ctx.profile, keyID: destination,
                                             version: target.version, region: ctx.region, context: destinationContext)
        return [
            ("CiphertextBlob", .string(sealed.base64)), ("KeyId", .string(destination.description)),
            ("SourceKeyId", .string(envelope.keyID.description)), ("ReEncrypted", .bool(true)),
        ]
    }

    static func generateDataKey(_ ctx: ActionContext, _ p: Parameters) throws -> ResponseFields {
        let id = try p.keyID()
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
        // Hosted (docs/DATA_KEYS.md): DataKeyName, Description and Tags count only then, as Tencent documents.
        let hosted: DataKeyActions.Attributes?
        switch p.int("IsHostedByKms") ?? 0 {
        case 0: hosted = nil
        case 1:
            hosted = try DataKeyActions.Attributes(p)
            try DataKeyActions.checkNoHsmCluster(p)
        default: throw KMSError.invalidValue("IsHostedByKms", "must be 0 or 1")
        }
        let dataKey = Random.secret(length)
        let envelope = try ctx.operations.encrypt(dataKey, under: id, profile: ctx.profile, context: context, ctx.scope)
        let plaintext = try recipient.render(dataKey)
        guard let hosted else {
            return [("KeyId", .string(id.description)), ("Plaintext", .string(plaintext)), ("CiphertextBlob", .string(envelope.base64))]
        }
        let stored = try DataKeyActions.host(ctx, hosted, ciphertext: envelope.serialized, numberOfBytes: length, under: id,
                                             origin: .tencentKMS, encryptionContext: p.string("EncryptionContext") ?? "")
        return [
            ("KeyId", .string(id.description)), ("Plaintext", .string(plaintext)), ("CiphertextBlob", .string(envelope.base64)),
            ("DataKeyId", .string(stored.id.description)), ("TagCode", .int(0)), ("TagMsg", .string(hosted.tags.isEmpty ? "" : "ok")),
        ]
    }

    static func generateRandom(_ ctx: ActionContext, _ p: Parameters) throws -> ResponseFields {
        let n = try p.int("NumberOfBytes", default: 0, in: 1...1024)
        return [("Plaintext", .string(Base64.encode(Random.secret(Int(n)))))]
    }
}
