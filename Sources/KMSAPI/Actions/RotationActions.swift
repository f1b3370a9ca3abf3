import KMSCore
import KMSService
import KMSCrypto
import KMSStorage

/// EnableKeyRotation, DisableKeyRotation, GetKeyRotationStatus, RotateKey — service-generated keys only.
enum RotationActions {
    static let specs: [ActionSpec] = [
        ActionSpec(name: "EnableKeyRotation", mutates: true, parameters: [
            .required("KeyId", .string), .optional("RotateDays", .integer), .unsupported("MemberAccount", .object),
        ], handler: enableKeyRotation),
        ActionSpec(name: "DisableKeyRotation", mutates: true, parameters: [.required("KeyId", .string), .unsupported("MemberAccount", .object)],
                   handler: disableKeyRotation),
        ActionSpec(name: "GetKeyRotationStatus", parameters: [.required("KeyId", .string), .unsupported("MemberAccount", .object)],
                   handler: getKeyRotationStatus),
        ActionSpec(name: "RotateKey", mutates: true, parameters: [.required("KeyId", .string), .unsupported("MemberAccount", .object)],
                   handler: rotateKey),
    ]

    /// Rotation is for keys whose material the service made, and not for keys on their way out.
    static func checkRotatable(_ key: CustomerMasterKey, now: Int64) throws {
        guard key.origin == .tencentKMS else { throw KMSError(.externalCmkCanNotRotate) }
        if key.lifecycle(now: now).state == .pendingDelete { throw KMSError(.cmkStateNotSupport) }
    }

    static func enableKeyRotation(_ ctx: ActionContext, _ p: Parameters) throws -> ResponseFields {
        let id = try KeyActions.lookupID(p)
        let days = p.int("RotateDays") ?? KeySchedule.defaultRotateDays
        try KeySchedule.checkRotateDays(days)
        try ctx.transaction { db in
            var key = try ctx.findKey(id, in: db, forUpdate: true)
            try checkRotatable(key, now: ctx.now)
            key.rotationEnabled = true
            key.rotateDays = Int(days)
            try KeyVersions.scheduleNextRotation(&key, now: ctx.now, in: db)
            _ = try db.run(UpdateKey(key))
        }
        return []
    }

    static func disableKeyRotation(_ ctx: ActionContext, _ p: Parameters) throws -> ResponseFields {
        let id = try KeyActions.lookupID(p)
        try ctx.transaction { db in
            var key = try ctx.findKey(id, in: db, forUpdate: true)
            // An EXTERNAL key never rotates, so disabling its rotation is a no-op success (as Tencent).
            if key.origin == .external { return }
            try checkRotatable(key, now: ctx.now)
            key.rotationEnabled = false
            key.nextRotateTime = 0
            _ = try db.run(UpdateKey(key))
            try db.run(CancelJob(.rotateKey, tenant: ctx.tenant, keyID: id))
        }
        return []
    }

    static func getKeyRotationStatus(_ ctx: ActionContext, _ p: Parameters) throws -> ResponseFields {
        let id = try KeyActions.lookupID(p)
        let key = try ctx.transaction { try ctx.findKey(id, in: $0) }
        // EXTERNAL keys answer false: they never rotate.
        return [("KeyRotationEnabled", .bool(key.origin == .tencentKMS && key.rotationEnabled))]
    }

    /// Rotates now. The automatic schedule is unchanged; LastRotateTime becomes now.
    static func rotateKey(_ ctx: ActionContext, _ p: Parameters) throws -> ResponseFields {
        let id = try KeyActions.lookupID(p)
        try ctx.transaction { db in
            var key = try ctx.findKey(id, in: db, forUpdate: true)
            try checkRotatable(key, now: ctx.now)
            try key.lifecycle(now: ctx.now).checkCanEncrypt()
            try KeySchedule.checkManualRotation(rotationEnabled: key.rotationEnabled, lastRotateTime: key.lastRotateTime, now: ctx.now)
            try KeyVersions.rotate(&key, profile: ctx.profile, keyring: ctx.keyring, now: ctx.now, in: db)
            _ = try db.run(UpdateKey(key))
        }
        return [("TaskId", .string(ctx.requestId))]
    }
}
