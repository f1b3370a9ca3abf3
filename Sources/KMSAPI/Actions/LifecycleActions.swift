import KMSCore
import KMSCrypto
import KMSService
import KMSStorage

/// ScheduleKeyDeletion, CancelKeyDeletion, ArchiveKey, CancelKeyArchive, EnableKeys, DisableKeys.
enum LifecycleActions {
    static let specs: [ActionSpec] = [
        ActionSpec(name: "ScheduleKeyDeletion", mutates: true, parameters: [
            .required("KeyId", .string), .required("PendingWindowInDays", .integer), .unsupported("MemberAccount", .object),
        ], handler: scheduleKeyDeletion),
        ActionSpec(name: "CancelKeyDeletion", mutates: true, parameters: [.required("KeyId", .string), .unsupported("MemberAccount", .object)],
                   handler: cancelKeyDeletion),
        ActionSpec(name: "ArchiveKey", mutates: true, parameters: [.required("KeyId", .string), .unsupported("MemberAccount", .object)],
                   handler: { try KeyActions.transition($0, $1, .archive) }),
        ActionSpec(name: "CancelKeyArchive", mutates: true, parameters: [.required("KeyId", .string), .unsupported("MemberAccount", .object)],
                   handler: { try KeyActions.transition($0, $1, .cancelArchive) }),
        ActionSpec(name: "EnableKeys", mutates: true, parameters: [.required("KeyIds", .stringArray), .unsupported("MemberAccount", .object)],
                   handler: { try batch($0, $1, .enable) }),
        ActionSpec(name: "DisableKeys", mutates: true, parameters: [.required("KeyIds", .stringArray), .unsupported("MemberAccount", .object)],
                   handler: { try batch($0, $1, .disable) }),
    ]

    static func scheduleKeyDeletion(_ ctx: ActionContext, _ p: Parameters) throws -> ResponseFields {
        let id = try KeyActions.lookupID(p)
        let days = p.int("PendingWindowInDays") ?? 0
        try KeySchedule.checkPendingWindow(days)
        let deletionDate = ctx.now + days * KeySchedule.day
        try ctx.transaction { db in
            var key = try ctx.findKey(id, in: db, forUpdate: true)
            key.state = try key.lifecycle(now: ctx.now).applying(.scheduleDeletion)
            key.deletionDate = deletionDate
            _ = try db.run(UpdateKey(key))
            try db.run(ScheduleJob(ScheduledJob(kind: .deleteKey, tenant: ctx.tenant, keyID: id, dueAt: deletionDate)))
        }
        return [("DeletionDate", .int(deletionDate)), ("KeyId", .string(id.description))]
    }

    static func cancelKeyDeletion(_ ctx: ActionContext, _ p: Parameters) throws -> ResponseFields {
        let id = try KeyActions.lookupID(p)
        try ctx.transaction { db in
            var key = try ctx.findKey(id, in: db, forUpdate: true)
            key.state = try key.lifecycle(now: ctx.now).applying(.cancelDeletion)
            key.deletionDate = 0
            _ = try db.run(UpdateKey(key))
            try db.run(CancelJob(.deleteKey, tenant: ctx.tenant, keyID: id))
        }
        return [("KeyId", .string(id.description))]
    }

    /// All or nothing, in one transaction: one key that is not the caller's, or not in a state
    /// the transition allows, changes none of them.
    static func batch(_ ctx: ActionContext, _ p: Parameters, _ transition: KeyTransition) throws -> ResponseFields {
        var ids = try KeyActions.parseIDs(p.strings("KeyIds") ?? [])
        // Locking in one order keeps two overlapping batches from deadlocking.
        ids.sort { $0.description < $1.description }
        try ctx.transaction { db in
            for id in ids {
                var key = try ctx.findKey(id, in: db, forUpdate: true)
                let state = try key.lifecycle(now: ctx.now).applying(transition)
                // A key already in the target state is left as it is (no-op, as EnableKey/DisableKey).
                guard state != key.state else { continue }
                key.state = state
                _ = try db.run(UpdateKey(key))
            }
        }
        return []
    }
}
