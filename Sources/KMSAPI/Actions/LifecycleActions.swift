import KMSCore
import KMSCrypto
import KMSService
import KMSStorage

/// ScheduleKeyDeletion, CancelKeyDeletion, ArchiveKey, CancelKeyArchive, EnableKeys, DisableKeys.
enum LifecycleActions {
    static let specs: [ActionSpec] = [
        ActionSpec(name: "ScheduleKeyDeletion", mutates: true, parameters: [
            .required("KeyId", .string), .required("PendingWindowInDays", .integer), .memberAccount("MemberAccount", .object),
        ], handler: scheduleKeyDeletion),
        ActionSpec(name: "CancelKeyDeletion", mutates: true, parameters: [.required("KeyId", .string), .memberAccount("MemberAccount", .object)],
                   handler: cancelKeyDeletion),
        ActionSpec(name: "ArchiveKey", mutates: true, parameters: [.required("KeyId", .string), .memberAccount("MemberAccount", .object)],
                   handler: { try single($0, $1, .archive) }),
        ActionSpec(name: "CancelKeyArchive", mutates: true, parameters: [.required("KeyId", .string), .memberAccount("MemberAccount", .object)],
                   handler: { try single($0, $1, .cancelArchive) }),
        ActionSpec(name: "EnableKeys", mutates: true, parameters: [.required("KeyIds", .stringArray), .memberAccount("MemberAccount", .object)],
                   handler: { try batch($0, $1, .enable) }),
        ActionSpec(name: "DisableKeys", mutates: true, parameters: [.required("KeyIds", .stringArray), .memberAccount("MemberAccount", .object)],
                   handler: { try batch($0, $1, .disable) }),
    ]

    static func scheduleKeyDeletion(_ ctx: ActionContext, _ p: Parameters) throws -> ResponseFields {
        let id = try p.keyID()
        let days = p.int("PendingWindowInDays") ?? 0
        try KeySchedule.checkPendingWindow(days)
        let deletionDate = ctx.now + days * KeySchedule.day
        try ctx.transaction { try ctx.operations.scheduleDeletion(id, at: deletionDate, in: $0) }
        return [("DeletionDate", .int(deletionDate)), ("KeyId", .string(id.description))]
    }

    static func cancelKeyDeletion(_ ctx: ActionContext, _ p: Parameters) throws -> ResponseFields {
        let id = try p.keyID()
        try ctx.transaction { try ctx.operations.cancelDeletion(id, in: $0) }
        return [("KeyId", .string(id.description))]
    }

    /// One key through `transition`.
    static func single(_ ctx: ActionContext, _ p: Parameters, _ transition: KeyTransition) throws -> ResponseFields {
        let id = try p.keyID()
        try ctx.transaction { try ctx.operations.transition(id, transition, in: $0) }
        return []
    }

    /// All or nothing, in one transaction: one key that is not the caller's, or not in a state
    /// the transition allows, changes none of them.
    static func batch(_ ctx: ActionContext, _ p: Parameters, _ transition: KeyTransition) throws -> ResponseFields {
        let ids = try Parameters.parseKeyIDs(p.strings("KeyIds") ?? [])
        try ctx.transaction { try ctx.operations.transition(ids, transition, in: $0) }
        return []
    }
}
