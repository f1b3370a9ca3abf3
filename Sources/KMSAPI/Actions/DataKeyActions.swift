import KMSCore
import KMSCrypto
import KMSService
import KMSStorage

/// The KMS-hosted data-key actions (SPEC §10, docs/DATA_KEYS.md) but GenerateDataKey, whose
/// hosted form (`IsHostedByKms=1`) is in CryptoActions and stores through `host` here: the table
/// and creating here, reading in +Reading, changing in +Changes.
enum DataKeyActions {
    static let specs: [ActionSpec] = [
        ActionSpec(name: "ImportDataKey", mutates: true, parameters: [
            .required("DataKeyName", .string), .required("ImportKeyMaterial", .string), .required("ImportType", .integer),
            .optional("Description", .string), .optional("KeyId", .string), .optional("HsmClusterId", .string),
            .optional("Tags", .objectArray),
        ], handler: importDataKey),
        ActionSpec(name: "DescribeDataKey", parameters: [.required("DataKeyId", .string), .memberAccount("MemberAccount", .object)],
                   handler: describeDataKey),
        ActionSpec(name: "DescribeDataKeys", parameters: [.required("DataKeyIds", .stringArray), .memberAccount("MemberAccount", .object)],
                   handler: describeDataKeys),
        ActionSpec(name: "ListDataKeys", parameters: [
            .optional("Offset", .integer), .optional("Limit", .integer), .optional("Role", .integer), .optional("HsmClusterId", .string),
        ], handler: listDataKeys),
        ActionSpec(name: "ListDataKeyDetail", parameters: [
            .optional("Offset", .integer), .optional("Limit", .integer), .optional("Role", .integer), .optional("OrderType", .integer),
            .optional("KeyState", .integer), .optional("SearchKeyAlias", .string), .optional("Origin", .string),
            .optional("HsmClusterId", .string), .optional("KeyId", .string), .optional("DataKeyLen", .integer),
            .optional("TagFilters", .objectArray), .memberAccount("MemberAccounts", .objectArray),
        ], handler: listDataKeyDetail),
        ActionSpec(name: "GetDataKeyPlaintext", parameters: [
            .required("DataKeyId", .string), .optional("EncryptionPublicKey", .string), .optional("EncryptionAlgorithm", .string),
        ], handler: getDataKeyPlaintext),
        ActionSpec(name: "GetDataKeyCiphertextBlob", parameters: [
            .required("DataKeyId", .string), .memberAccount("MemberAccount", .object),
        ], handler: getDataKeyCiphertextBlob),
        ActionSpec(name: "UpdateDataKeyName", mutates: true, parameters: [
            .required("DataKeyId", .string), .required("DataKeyName", .string), .memberAccount("MemberAccount", .object),
        ], handler: updateDataKeyName),
        ActionSpec(name: "UpdateDataKeyDescription", mutates: true, parameters: [
            .required("DataKeyId", .string), .required("Description", .string), .memberAccount("MemberAccount", .object),
        ], handler: updateDataKeyDescription),
        ActionSpec(name: "EnableDataKey", mutates: true, parameters: [
            .required("DataKeyId", .string), .memberAccount("MemberAccount", .object),
        ], handler: { try single($0, $1, .enable) }),
        ActionSpec(name: "DisableDataKey", mutates: true, parameters: [
            .required("DataKeyId", .string), .memberAccount("MemberAccount", .object),
        ], handler: { try single($0, $1, .disable) }),
        ActionSpec(name: "EnableDataKeys", mutates: true, parameters: [
            .required("DataKeyIds", .stringArray), .memberAccount("MemberAccount", .object),
        ], handler: { try batch($0, $1, .enable) }),
        ActionSpec(name: "DisableDataKeys", mutates: true, parameters: [
            .required("DataKeyIds", .stringArray), .memberAccount("MemberAccount", .object),
        ], handler: { try batch($0, $1, .disable) }),
        ActionSpec(name: "ScheduleDataKeyDeletion", mutates: true, parameters: [
            .required("DataKeyId", .string), .required("PendingWindowInDays", .integer), .memberAccount("MemberAccount", .object),
        ], handler: scheduleDataKeyDeletion),
        ActionSpec(name: "CancelDataKeyDeletion", mutates: true, parameters: [
            .required("DataKeyId", .string), .memberAccount("MemberAccount", .object),
        ], handler: cancelDataKeyDeletion),
    ]

    /// What GenerateDataKey (hosted) and ImportDataKey both take: name, description, tags.
    struct Attributes {
        let name: String
        let description: String
        let tags: [KeyTag]

        init(_ p: Parameters) throws {
            guard let name = p.string("DataKeyName"), !name.isEmpty else { throw KMSError.missing("DataKeyName") }
            try DataKeyRules.validateName(name)
            let description = p.string("Description") ?? ""
            try DataKeyRules.validateDescription(description)
            self.name = name
            self.description = description
            tags = try KeyTag.validated(p.elements("Tags") ?? [])
        }
    }

    /// There are no HSM clusters here: any HsmClusterId names none of them.
    static func checkNoHsmCluster(_ p: Parameters) throws {
        if let id = p.string("HsmClusterId"), !id.isEmpty {
            throw KMSError(.invalidHsmClusterId, "This service has no HSM cluster `\(FormDecoding.sanitized(id))`.")
        }
    }

    /// Stores a new data key whose envelope `ciphertext` its CMK `cmk` made; answers it.
    static func host(_ ctx: ActionContext, _ attributes: Attributes, ciphertext: [UInt8], numberOfBytes: Int, under cmk: KeyID,
                     origin: KeyOrigin, encryptionContext: String) throws -> HostedDataKey {
        let dataKey = HostedDataKey(
            id: KeyID(random: Random.bytes(16)), appId: ctx.caller.appId, region: ctx.region, keyID: cmk, name: attributes.name,
            description: attributes.description, numberOfBytes: numberOfBytes, origin: origin, creatorUin: ctx.caller.uin,
            createTime: ctx.now, ciphertext: ciphertext, encryptionContext: encryptionContext)
        ctx.naming(dataKey)
        try namingUniquely { try ctx.transaction { try ctx.operations.storeDataKey(dataKey, tags: attributes.tags, in: $0) } }
        return dataKey
    }

    /// A name another data key of the account holds: `DataKeyNameAlreadyExists`.
    static func namingUniquely<R>(_ body: () throws -> R) throws -> R {
        do {
            return try body()
        } catch let error as StorageError where error.isUniqueViolation {
            throw KMSError(.dataKeyNameAlreadyExists, "Another data key in this region is already named so.")
        }
    }

    static func importDataKey(_ ctx: ActionContext, _ p: Parameters) throws -> ResponseFields {
        let attributes = try Attributes(p)
        try checkNoHsmCluster(p)
        let cmk: KeyID, ciphertext: [UInt8], length: Int
        switch p.int("ImportType") {
        case 1:
            let envelope = try Parameters.importedCiphertext(p)
            cmk = try Parameters.importedDataKeyCMK(p)
            ctx.request.keyID = cmk
            guard cmk == envelope.keyID else {
                throw KMSError(.invalidKeyId, "The KeyId is not the CMK the CiphertextBlob was made with.")
            }
            // Opened as Decrypt opens it, but only under a CMK that could seal a new data key (Enabled,
            // ENCRYPT_DECRYPT), as for a plaintext import. A blob of the other profile, or one that
            // does not open, is not ImportKeyMaterial; one naming a CMK this region does not have
            // is CmkNotFound, as for Decrypt.
            let plaintext: SecureBytes
            do {
                plaintext = try ctx.operations.decrypt(envelope, profile: ctx.profile, context: .empty, ctx.scope,
                                                       usable: { try $0.checkCanEncrypt() })
            } catch let error as KMSError where error.code == .invalidCiphertext {
                throw KMSError(.invalidImportKeyMaterial,
                               "ImportKeyMaterial does not open: not a CiphertextBlob of this region, or one bound to an EncryptionContext.")
            }
            guard DataKeyRules.numberOfBytes.contains(plaintext.count) else {
                throw KMSError(.invalidImportKeyMaterial, "The data key must be 1 to 1024 bytes.")
            }
            (ciphertext, length) = (envelope.serialized, plaintext.count)
        case 2:
            cmk = try Parameters.importedDataKeyCMK(p)
            ctx.request.keyID = cmk
            guard let plaintext = Base64.decodeSecret(try p.requiredString("ImportKeyMaterial")),
                  DataKeyRules.numberOfBytes.contains(plaintext.count) else {
                throw KMSError(.invalidImportKeyMaterial, "ImportKeyMaterial must be Base64 of a data key of 1 to 1024 bytes.")
            }
            ciphertext = try ctx.operations.encrypt(plaintext, under: cmk, profile: ctx.profile, context: .empty, ctx.scope).serialized
            length = plaintext.count
        default:
            throw KMSError(.invalidType, "ImportType must be 1 (a CiphertextBlob) or 2 (Base64 plaintext).")
        }
        let dataKey = try host(ctx, attributes, ciphertext: ciphertext, numberOfBytes: length, under: cmk, origin: .external,
                               encryptionContext: "")
        return [
            ("KeyId", .string(cmk.description)), ("DataKeyId", .string(dataKey.id.description)),
            ("TagCode", .int(0)), ("TagMsg", .string(attributes.tags.isEmpty ? "" : "ok")),
        ]
    }
}
