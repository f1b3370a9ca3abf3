import KMSCore
import KMSService
import KMSCrypto
import KMSStorage

/// GetParametersForImport, ImportKeyMaterial, DeleteImportedKeyMaterial (SPEC §5).
enum ImportActions {
    static let specs: [ActionSpec] = [
        ActionSpec(name: "GetParametersForImport", mutates: true, parameters: [
            .required("KeyId", .string), .required("WrappingAlgorithm", .string), .required("WrappingKeySpec", .string),
        ], handler: getParametersForImport),
        ActionSpec(name: "ImportKeyMaterial", mutates: true, parameters: [
            .required("EncryptedKeyMaterial", .string), .required("ImportToken", .string), .required("KeyId", .string),
            .optional("ValidTo", .integer),
        ], handler: importKeyMaterial),
        ActionSpec(name: "DeleteImportedKeyMaterial", mutates: true, parameters: [.required("KeyId", .string)], handler: deleteImportedKeyMaterial),
    ]

    static func getParametersForImport(_ ctx: ActionContext, _ p: Parameters) throws -> ResponseFields {
        let id = try p.keyID()
        let algorithm = try p.requiredString("WrappingAlgorithm")
        let spec = try ImportRules.wrapping(spec: try p.requiredString("WrappingKeySpec"), algorithm: algorithm)
        let issued = try ctx.operations.issueImportParameters(id, spec: spec, algorithm: algorithm, appId: ctx.caller.appId, ctx.scope)
        return [
            ("KeyId", .string(id.description)), ("ImportToken", .string(issued.token)),
            ("PublicKey", .string(Base64.encode(issued.publicKey))), ("ParametersValidTo", .int(issued.validTo)),
        ]
    }

    static func importKeyMaterial(_ ctx: ActionContext, _ p: Parameters) throws -> ResponseFields {
        let id = try p.keyID()
        let validTo = p.int("ValidTo") ?? 0
        try ImportRules.checkValidTo(validTo, now: ctx.now)
        guard let wrapped = Base64.decode(try p.requiredString("EncryptedKeyMaterial")), !wrapped.isEmpty else {
            throw KMSError(.decryptMaterialError, "EncryptedKeyMaterial is not valid Base64.")
        }
        let tokenHash = Digest.sha256(Array(try p.requiredString("ImportToken").utf8))
        try ctx.operations.importMaterial(id, wrapped: wrapped, tokenHash: tokenHash, validTo: validTo, profile: ctx.profile,
                                          appId: ctx.caller.appId, ctx.scope)
        return []
    }

    static func deleteImportedKeyMaterial(_ ctx: ActionContext, _ p: Parameters) throws -> ResponseFields {
        let id = try p.keyID()
        try ctx.transaction { try ctx.operations.destroyImportedMaterial(id, in: $0) }
        return []
    }
}
