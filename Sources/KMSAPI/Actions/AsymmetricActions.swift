import KMSCore
import KMSCrypto
import KMSService

/// GetPublicKey, AsymmetricRsaDecrypt, AsymmetricSm2Decrypt, SignByAsymmetricKey,
/// VerifyByAsymmetricKey (SPEC §9). Parameters are checked here, the key and its usage in
/// `KeyOperations`; a bad parameter is `InvalidParameter`, the one code every one of these
/// actions' Tencent documentation lists for it.
enum AsymmetricActions {
    static let specs: [ActionSpec] = [
        ActionSpec(name: "GetPublicKey", parameters: [.required("KeyId", .string)], handler: getPublicKey),
        ActionSpec(name: "AsymmetricRsaDecrypt", parameters: [
            .required("KeyId", .string), .required("Ciphertext", .string), .required("Algorithm", .string),
        ], handler: rsaDecrypt),
        ActionSpec(name: "AsymmetricSm2Decrypt", parameters: [.required("KeyId", .string), .required("Ciphertext", .string)],
                   handler: sm2Decrypt),
        ActionSpec(name: "SignByAsymmetricKey", parameters: [
            .required("Algorithm", .string), .required("Message", .string), .required("KeyId", .string),
            .optional("MessageType", .string),
        ], handler: sign),
        ActionSpec(name: "VerifyByAsymmetricKey", parameters: [
            .required("KeyId", .string), .required("SignatureValue", .string), .required("Message", .string),
            .required("Algorithm", .string), .optional("MessageType", .string),
        ], handler: verify),
    ]

    /// The most raw bytes AsymmetricSm2Decrypt takes (Tencent: 原始密文长度不能超过256字节).
    static let maximumSM2Ciphertext = 256

    static func getPublicKey(_ ctx: ActionContext, _ p: Parameters) throws -> ResponseFields {
        let id = try p.keyID()
        let publicKey = try ctx.operations.publicKey(of: id, ctx.scope)
        return [("KeyId", .string(id.description)), ("PublicKey", .string(Base64.encode(publicKey.der))),
                ("PublicKeyPem", .string(publicKey.pem))]
    }

    static func rsaDecrypt(_ ctx: ActionContext, _ p: Parameters) throws -> ResponseFields {
        let id = try p.keyID()
        let ciphertext = try bytes(p, "Ciphertext")
        let name = try p.requiredString("Algorithm")
        guard let algorithm = AsymmetricDecryption(rawValue: name), algorithm != .sm2C1C3C2ASN1 else {
            throw KMSError.invalid("Algorithm", "must be RSAES_PKCS1_V1_5, RSAES_OAEP_SHA_1 or RSAES_OAEP_SHA_256")
        }
        let plaintext = try ctx.operations.decrypt(ciphertext, algorithm: algorithm, with: id, ctx.scope)
        return [("KeyId", .string(id.description)), ("Plaintext", .string(Base64.encode(plaintext)))]
    }

    static func sm2Decrypt(_ ctx: ActionContext, _ p: Parameters) throws -> ResponseFields {
        let id = try p.keyID()
        // Only SM regions hold SM2 keys (Tencent lists this code for the action).
        guard KeyUsage.asymmetricDecryptSM2.isOffered(in: ctx.profile) else {
            throw KMSError(.unsupportedKeyUsageInCurrentRegion, "The region \(ctx.region) holds no SM2 keys.")
        }
        let ciphertext = try bytes(p, "Ciphertext")
        guard ciphertext.count <= maximumSM2Ciphertext else {
            throw KMSError.invalid("Ciphertext", "must be at most \(maximumSM2Ciphertext) bytes before Base64")
        }
        let plaintext = try ctx.operations.decrypt(ciphertext, algorithm: .sm2C1C3C2ASN1, with: id, ctx.scope)
        return [("KeyId", .string(id.description)), ("Plaintext", .string(Base64.encode(plaintext)))]
    }

    static func sign(_ ctx: ActionContext, _ p: Parameters) throws -> ResponseFields {
        let id = try p.keyID()
        let (algorithm, type, message) = try signedMessage(p)
        let signature = try ctx.operations.sign(message, type: type, algorithm: algorithm, with: id, ctx.scope)
        return [("Signature", .string(Base64.encode(signature)))]
    }

    static func verify(_ ctx: ActionContext, _ p: Parameters) throws -> ResponseFields {
        let id = try p.keyID()
        let (algorithm, type, message) = try signedMessage(p)
        let signature = try bytes(p, "SignatureValue", allowEmpty: true)
        let valid = try ctx.operations.verify(signature, of: message, type: type, algorithm: algorithm, with: id, ctx.scope)
        return [("SignatureValid", .bool(valid))]
    }

    /// Sign's and Verify's Algorithm, MessageType and Message, checked against each other: a
    /// RAW message of at most 4096 bytes, or a digest exactly as long as the algorithm's hash.
    static func signedMessage(_ p: Parameters) throws -> (SignatureAlgorithm, SignedMessageType, [UInt8]) {
        let name = try p.requiredString("Algorithm")
        guard let algorithm = SignatureAlgorithm(rawValue: name) else {
            throw KMSError.invalid("Algorithm", "must be one of \(SignatureAlgorithm.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let typeName = p.string("MessageType").flatMap { $0.isEmpty ? nil : $0 } ?? SignedMessageType.raw.rawValue
        guard let type = SignedMessageType(rawValue: typeName) else { throw KMSError.invalid("MessageType", "must be RAW or DIGEST") }
        let message = try bytes(p, "Message", allowEmpty: type == .raw)
        switch type {
        case .raw:
            guard message.count <= SignedMessageType.maximumRawLength else {
                throw KMSError.invalid("Message", "must be at most \(SignedMessageType.maximumRawLength) bytes before Base64 (sign a DIGEST of longer messages)")
            }
        case .digest:
            guard message.count == algorithm.digestLength else {
                throw KMSError.invalid("Message", "must be a \(algorithm.digestLength)-byte digest for \(algorithm.rawValue) with MessageType DIGEST")
            }
        }
        return (algorithm, type, message)
    }

    /// A Base64 parameter's bytes; not Base64 (or empty, unless allowed) is `InvalidParameter`.
    static func bytes(_ p: Parameters, _ name: String, allowEmpty: Bool = false) throws -> [UInt8] {
        guard let bytes = Base64.decode(try p.requiredString(name)), allowEmpty || !bytes.isEmpty else {
            throw KMSError.invalid(name, "must be Base64 of \(allowEmpty ? "" : "at least one byte of ")data")
        }
        return bytes
    }
}
