import KMSCore
import KMSCrypto
import KMSService
import KMSStorage

/// DescribeDataKey(s), ListDataKeys, ListDataKeyDetail, GetDataKeyPlaintext, GetDataKeyCiphertextBlob.
extension DataKeyActions {
    static func describeDataKey(_ ctx: ActionContext, _ p: Parameters) throws -> ResponseFields {
        let dataKey = try read(ctx, p)
        return [("DataKeyMetadata", DataKeyMetadata.json(dataKey))]
    }

    static func describeDataKeys(_ ctx: ActionContext, _ p: Parameters) throws -> ResponseFields {
        let ids = try Parameters.parseDataKeyIDs(p.strings("DataKeyIds") ?? [])
        // In the order asked; an unknown id fails the whole call, as Tencent's error list has it.
        let dataKeys = try ctx.operations.readDataKeys(ids, ctx.scope)
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
        let origin = try KeyActions.originFilter(p)
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
        return [("CiphertextBlob", .string(Base64.encode(dataKey.ciphertext)))]
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
}
