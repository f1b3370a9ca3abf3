import KMSCore
import KMSCrypto
import KMSService
import KMSStorage

/// UpdateDataKeyName, UpdateDataKeyDescription, Enable/DisableDataKey(s), Schedule/CancelDataKeyDeletion.
extension DataKeyActions {
    static func updateDataKeyName(_ ctx: ActionContext, _ p: Parameters) throws -> ResponseFields {
        let id = try p.dataKeyID()
        // Empty is missing, as on GenerateDataKey and ImportDataKey (DataKeyActions.Attributes).
        let name = try p.requiredString("DataKeyName")
        guard !name.isEmpty else { throw KMSError.missing("DataKeyName") }
        try DataKeyRules.validateName(name)
        ctx.naming(dataKeyID: id)
        try namingUniquely { try ctx.transaction { try ctx.operations.renameDataKey(id, to: name, in: $0) } }
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
        request.dataKeyID = dataKeyID
    }

    /// Names the data key and its CMK in the request's audit record.
    func naming(_ dataKey: HostedDataKey) {
        naming(dataKeyID: dataKey.id)
        request.keyID = dataKey.keyID
    }
}
