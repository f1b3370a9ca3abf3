import KMSCore
import KMSCrypto
import KMSService
import KMSStorage

/// The KMS-hosted data-key actions (SPEC §10, docs/DATA_KEYS.md) but GenerateDataKey, whose
/// hosted form (`IsHostedByKms=1`) is in CryptoActions and stores through `host` here.
enum DataKeyActions {
    static let specs: [ActionSpec] = [
        ActionSpec(name: "ImportDataKey", mutates: true, parameters: [
            .required("DataKeyName", .string), .required("ImportKeyMaterial", .string), .required("ImportType", .integer),
            .optional("Description", .string), .optional("KeyId", .string), .optional("HsmClusterId", .string),
            .optional("Tags", .objectArray),
        ], handler: importDataKey),
        ActionSpec(name: "DescribeDataKey", parameters: [.required("DataKeyId", .string), .unsupported("MemberAccount", .object)],
                   handler: describeDataKey),
        ActionSpec(name: "DescribeDataKeys", parameters: [.required("DataKeyIds", .stringArray), .unsupported("MemberAccount", .object)],
                   handler: describeDataKeys),
        ActionSpec(name: "ListDataKeys", parameters: [
            .optional("Offset", .integer), .optional("Limit", .integer), .optional("Role", .integer), .optional("HsmClusterId", .string),
        ], handler: listDataKeys),
        ActionSpec(name: "ListDataKeyDetail", parameters: [
            .optional("Offset", .integer), .optional("Limit", .integer), .optional("Role", .integer), .optional("OrderType", .integer),
            .optional("KeyState", .integer), .optional("SearchKeyAlias", .string), .optional("Origin", .string),
            .optional("HsmClusterId", .string), .optional("KeyId", .string), .optional("DataKeyLen", .integer),
            .optional("TagFilters", .objectArray), .unsupported("MemberAccounts", .objectArray),
        ], handler: listDataKeyDetail),
        ActionSpec(name: "GetDataKeyPlaintext", parameters: [
            .required("DataKeyId", .string), .optional("EncryptionPublicKey", .string), .optional("EncryptionAlgorithm", .string),
        ], handler: getDataKeyPlaintext),
        ActionSpec(name: "GetDataKeyCiphertextBlob", parameters: [
            .required("DataKeyId", .string), .unsupported("MemberAccount", .object),
        ], handler: getDataKeyCiphertextBlob),
        ActionSpec(name: "UpdateDataKeyName", mutates: true, parameters: [
            .required("DataKeyId", .string), .required("DataKeyName", .string), .unsupported("MemberAccount", .object),
        ], handler: updateDataKeyName),
        ActionSpec(name: "UpdateDataKeyDescription", mutates: true, parameters: [
            .required("DataKeyId", .string), .required("Description", .string), .unsupported("MemberAccount", .object),
        ], handler: updateDataKeyDescription),
        ActionSpec(name: "EnableDataKey", mutates: true, parameters: [
            .required("DataKeyId", .string), .unsupported("MemberAccount", .object),
        ], handler: { try single($0, $1, .enable) }),
        ActionSpec(name: "DisableDataKey", mutates: true, parameters: [
            .required("DataKeyId", .string), .unsupported("MemberAccount", .object),
        ], handler: { try single($0, $1, .disable) }),
        ActionSpec(name: "EnableDataKeys", mutates: true, parameters: [
            .required("DataKeyIds", .stringArray), .unsupported("MemberAccount", .object),
        ], handler: { try batch($0, $1, .enable) }),
        ActionSpec(name: "DisableDataKeys", mutates: true, parameters: [
            .required("DataKeyIds", .stringArray), .unsupported("MemberAccount", .object),
        ], handler: { try batch($0, $1, .disable) }),
        ActionSpec(name: "ScheduleDataKeyDeletion", mutates: true, parameters: [
            .required("DataKeyId", .string), .required("PendingWindowInDays", .integer), .unsupported("MemberAccount", .object),
        ], handler: scheduleDataKeyDeletion),
        ActionSpec(name: "CancelDataKeyDeletion", mutates: true, parameters: [
            .required("DataKeyId", .string), .unsupported("MemberAccount", .object),
        ], handler: cancelDataKeyDeletion),
    ]

    // MARK: Creating

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

    /// Stores a new data key whose envelope `sealed` its CMK `cmk` made; answers its id.
    static func host(_ ctx: ActionContext, _ attributes: Attributes, sealed: [UInt8], numberOfBytes: Int, under cmk: KeyID,
                     origin: KeyOrigin, encryptionContext: String) throws -> HostedDataKey {
        let dataKey = HostedDataKey(
            id: KeyID(random: Random.bytes(16)), appId: ctx.caller.appId, region: ctx.region, keyID: cmk, name: attributes.name,
            description: attributes.description, numberOfBytes: numberOfBytes, origin: origin, creatorUin: ctx.caller.uin,
            createTime: ctx.now, sealed: sealed, encryptionContext: encryptionContext)
        ctx.naming(dataKey)
        try renamingRefused { try ctx.transaction { try ctx.operations.storeDataKey(dataKey, tags: attributes.tags, in: $0) } }
        return dataKey
    }

    /// A name another data key of the account holds: `DataKeyNameAlreadyExists`.
    static func renamingRefused<R>(_ body: () throws -> R) throws -> R {
        do {
            return try body()
        } catch let error as StorageError where error.isUniqueViolation {
            throw KMSError(.dataKeyNameAlreadyExists, "Another data key in this region is already named so.")
        }
    }

    static func importDataKey(_ ctx: ActionContext, _ p: Parameters) throws -> ResponseFields {
        let attributes = try Attributes(p)
        try checkNoHsmCluster(p)
        let cmk: KeyID, sealed: [UInt8], length: Int
        switch p.int("ImportType") {
        case 1:
            let envelope = try Parameters.importedCiphertext(p)
            cmk = try Parameters.importedDataKeyCMK(p)
            ctx.request.keyID = cmk
            guard cmk == envelope.keyID else {
                throw KMSError(.invalidKeyId, "The KeyId is not the CMK the CiphertextBlob was made with.")
            }
            // Only an Enabled CMK takes a new data key, as for a plaintext import.
            _ = try ctx.operations.loadForEncryption(cmk, ctx.scope)
            let plaintext: SecureBytes
            do {
                plaintext = try ctx.operations.decrypt(envelope, profile: ctx.profile, context: .empty, ctx.scope)
            } catch let error as KMSError where error.code == .invalidCiphertext {
                throw KMSError(.invalidImportKeyMaterial,
                               "ImportKeyMaterial does not open: not a CiphertextBlob of this region, or one bound to an EncryptionContext.")
            }
            guard DataKeyRules.numberOfBytes.contains(plaintext.count) else {
                throw KMSError(.invalidImportKeyMaterial, "The data key must be 1 to 1024 bytes.")
            }
            (sealed, length) = (envelope.serialized, plaintext.count)
        case 2:
            cmk = try Parameters.importedDataKeyCMK(p)
            ctx.request.keyID = cmk
            guard let plaintext = Base64.decodeSecret(try p.requiredString("ImportKeyMaterial")),
                  DataKeyRules.numberOfBytes.contains(plaintext.count) else {
                throw KMSError(.invalidImportKeyMaterial, "ImportKeyMaterial must be Base64 of a data key of 1 to 1024 bytes.")
            }
            sealed = try ctx.operations.sealDataKey(plaintext, under: cmk, profile: ctx.profile, context: .empty, ctx.scope)
            length = plaintext.count
        default:
            throw KMSError(.invalidType, "ImportType must be 1 (a CiphertextBlob) or 2 (Base64 plaintext).")
        }
        let dataKey = try host(ctx, attributes, sealed: sealed, numberOfBytes: length, under: cmk, origin: .external,
                               encryptionContext: "")
        return [
            ("KeyId", .string(cmk.description)), ("DataKeyId", .string(dataKey.id.description)),
            ("TagCode", .int(0)), ("TagMsg", .string(attributes.tags.isEmpty ? "" : "ok")),
        ]
    }

    // MARK: Reading

    static func describeDataKey(_ ctx: ActionContext, _ p: Parameters) throws -> ResponseFields {
        let dataKey = try read(ctx, p)
        return [("DataKeyMetadata", DataKeyMetadata.json(dataKey))]
    }

    static func describeDataKeys(_ ctx: ActionContext, _ p: Parameters) throws -> ResponseFields {
        let ids = try Parameters.parseDataKeyIDs(p.strings("DataKeyIds") ?? [])
        let found = try ctx.scope.database.query(tenant: ctx.tenant, FindDataKeys(tenant: ctx.tenant, dataKeyIDs: ids))
            .filter { !$0.isDeleted(now: ctx.now) }
        let byID = Dictionary(uniqueKeysWithValues: found.map { ($0.id, $0) })
        // In the order asked; an unknown id fails the whole call, as Tencent's error list has it.
        let dataKeys = try ids.map { id in
            guard let dataKey = byID[id] else { throw KMSError(.dataKeyNotFound, "The data key \(id) does not exist.") }
            return dataKey
        }
        return [("DataKeyMetadatas", .array(dataKeys.map(DataKeyMetadata.json)))]
    }

    static func listDataKeys(_ ctx: ActionContext, _ p: Parameters) throws -> ResponseFields {
        try checkNoHsmCluster(p)
        let (offset, limit) = try KeyActions.page(p)
        let result = try KeyActions.userCreated(p)
            ? try runPage(ctx, DataKeyQuery(offset: offset, limit: limit, now: ctx.now)) : (total: 0, dataKeys: [])
        return [
            ("DataKeys", .array(result.dataKeys.map { .object([("DataKeyId", .string($0.id.description))]) })),
            ("TotalCount", .int(Int64(result.total))),
        ]
    }

    static func listDataKeyDetail(_ ctx: ActionContext, _ p: Parameters) throws -> ResponseFields {
        try checkNoHsmCluster(p)
        let (offset, limit) = try KeyActions.page(p)
        let userKeys = try KeyActions.userCreated(p)
        let order = try p.int("OrderType", default: 0, in: 0...1)
        let stateFilter = try p.int("KeyState", default: 0, in: 0...3)
        var origin: KeyOrigin? = nil
        switch p.string("Origin") ?? "" {
        case "", "ALL": origin = nil
        case let text:
            guard let o = KeyOrigin(rawValue: text) else { throw KMSError.invalidValue("Origin", "must be TENCENT_KMS, EXTERNAL or ALL") }
            origin = o
        }
        var cmk: KeyID? = nil
        if let text = p.string("KeyId"), !text.isEmpty {
            cmk = try Parameters.parseKeyID(text)
        }
        var length: Int? = nil
        if let n = p.int("DataKeyLen") {
            guard DataKeyRules.numberOfBytes.contains(Int(clamping: n)) else {
                throw KMSError.invalidValue("DataKeyLen", "must be between 1 and 1024")
            }
            length = Int(n)
        }
        let search = p.string("SearchKeyAlias") ?? ""
        let tagFilters = try KeyTagFilter.validated(p.elements("TagFilters") ?? [])
        // A CMK filter that names no key of the caller's is CmkNotFound (Tencent's error list).
        if let cmk { _ = try ctx.operations.read(cmk, ctx.scope) }
        let query = DataKeyQuery(states: stateFilter == 0 ? DataKeyState.allCases : [DataKeyState(filterNumber: stateFilter)!],
                                 origin: origin, keyID: cmk, numberOfBytes: length, search: search.isEmpty ? nil : search,
                                 tagFilters: tagFilters, newestFirst: order == 0, offset: offset, limit: limit, now: ctx.now)
        let result = userKeys ? try runPage(ctx, query) : (total: 0, dataKeys: [])
        return [
            ("DataKeyMetadatas", .array(result.dataKeys.map(DataKeyMetadata.json))),
            ("TotalCount", .int(Int64(result.total))),
        ]
    }

    static func runPage(_ ctx: ActionContext, _ query: DataKeyQuery) throws -> (total: Int, dataKeys: [HostedDataKey]) {
        try ctx.scope.database.transaction(tenant: ctx.tenant) { db in
            let page = try db.run(ListDataKeysPage(tenant: ctx.tenant, query: query))
            if page.dataKeys.isEmpty && query.offset > 0 {
                return (try db.run(CountDataKeys(tenant: ctx.tenant, query: query)), [])
            }
            return page
        }
    }

    static func getDataKeyPlaintext(_ ctx: ActionContext, _ p: Parameters) throws -> ResponseFields {
        let id = try p.dataKeyID()
        let recipient = try OutputRecipient(p)
        let dataKey = try read(ctx, id)
        let plaintext = try ctx.operations.openDataKey(dataKey, ctx.scope)
        return [("Plaintext", .string(try recipient.render(plaintext)))]
    }

    static func getDataKeyCiphertextBlob(_ ctx: ActionContext, _ p: Parameters) throws -> ResponseFields {
        let dataKey = try read(ctx, p)
        try dataKey.checkCiphertextReadable()
        return [("CiphertextBlob", .string(Base64.encode(dataKey.sealed)))]
    }

    /// The request's data key; `DataKeyNotFound` unless it is the caller's.
    static func read(_ ctx: ActionContext, _ p: Parameters) throws -> HostedDataKey {
        try read(ctx, try p.dataKeyID())
    }

    static func read(_ ctx: ActionContext, _ id: KeyID) throws -> HostedDataKey {
        ctx.naming(dataKeyID: id)
        let dataKey = try ctx.operations.readDataKey(id, ctx.scope)
        ctx.naming(dataKey)
        return dataKey
    }

    // MARK: Changing

    static func updateDataKeyName(_ ctx: ActionContext, _ p: Parameters) throws -> ResponseFields {
        let id = try p.dataKeyID()
        let name = try p.requiredString("DataKeyName")
        try DataKeyRules.validateName(name)
        ctx.naming(dataKeyID: id)
        try renamingRefused { try ctx.transaction { try ctx.operations.renameDataKey(id, to: name, in: $0) } }
        return []
    }

    static func updateDataKeyDescription(_ ctx: ActionContext, _ p: Parameters) throws -> ResponseFields {
        let id = try p.dataKeyID()
        let description = try p.requiredString("Description")
        try DataKeyRules.validateDescription(description)
        ctx.naming(dataKeyID: id)
        try ctx.transaction { try ctx.operations.describeDataKey(id, as: description, in: $0) }
        return []
    }

    static func single(_ ctx: ActionContext, _ p: Parameters, _ transition: DataKeyTransition) throws -> ResponseFields {
        let id = try p.dataKeyID()
        ctx.naming(dataKeyID: id)
        try ctx.transaction { tx in ctx.naming(try ctx.operations.transition(dataKeys: [id], transition, in: tx)[0]) }
        return []
    }

    /// All or nothing, in one transaction.
    static func batch(_ ctx: ActionContext, _ p: Parameters, _ transition: DataKeyTransition) throws -> ResponseFields {
        let ids = try Parameters.parseDataKeyIDs(p.strings("DataKeyIds") ?? [])
        _ = try ctx.transaction { try ctx.operations.transition(dataKeys: ids, transition, in: $0) }
        return []
    }

    static func scheduleDataKeyDeletion(_ ctx: ActionContext, _ p: Parameters) throws -> ResponseFields {
        let id = try p.dataKeyID()
        let days = p.int("PendingWindowInDays") ?? 0
        try KeySchedule.checkPendingWindow(days)
        let deletionDate = ctx.now + days * KeySchedule.day
        ctx.naming(dataKeyID: id)
        try ctx.transaction { tx in
            ctx.naming(try ctx.operations.transition(dataKeys: [id], .scheduleDeletion, deletionDate: deletionDate, in: tx)[0])
        }
        return [("DataKeyId", .string(id.description)), ("DeletionDate", .int(deletionDate))]
    }

    static func cancelDataKeyDeletion(_ ctx: ActionContext, _ p: Parameters) throws -> ResponseFields {
        let id = try p.dataKeyID()
        ctx.naming(dataKeyID: id)
        try ctx.transaction { tx in ctx.naming(try ctx.operations.transition(dataKeys: [id], .cancelDeletion, in: tx)[0]) }
        return [("DataKeyId", .string(id.description))]
    }
}

extension ActionContext {
    /// Names the data key a request acts on in its audit record.
    func naming(dataKeyID: KeyID) {
        _ = dataKeyID  // the audit record's data key (i16-audit) is set here
    }

    /// Names the data key and its CMK in the request's audit record.
    func naming(_ dataKey: HostedDataKey) {
        naming(dataKeyID: dataKey.id)
        request.keyID = dataKey.keyID
    }
}
