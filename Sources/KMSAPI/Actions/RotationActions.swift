import KMSCore
import KMSService
import KMSCrypto
import KMSStorage

/// EnableKeyRotation, DisableKeyRotation, GetKeyRotationStatus, RotateKey — service-generated keys only.
enum RotationActions {
    static let specs: [ActionSpec] = [
        ActionSpec(name: "EnableKeyRotation", mutates: true, parameters: [
            .required("KeyId", .string), .optional("RotateDays", .integer), .memberAccount("MemberAccount", .object),
        ], handler: enableKeyRotation),
        ActionSpec(name: "DisableKeyRotation", mutates: true, parameters: [.required("KeyId", .string), .memberAccount("MemberAccount", .object)],
                   handler: disableKeyRotation),
        ActionSpec(name: "GetKeyRotationStatus", parameters: [.required("KeyId", .string), .memberAccount("MemberAccount", .object)],
                   handler: getKeyRotationStatus),
        ActionSpec(name: "RotateKey", mutates: true, parameters: [.required("KeyId", .string), .memberAccount("MemberAccount", .object)],
                   handler: rotateKey),
    ]

    static func enableKeyRotation(_ ctx: ActionContext, _ p: Parameters) throws -> ResponseFields {
        let id = try p.keyID()
        let days = p.int("RotateDays") ?? KeySchedule.defaultRotateDays
        try KeySchedule.checkRotateDays(days)
        try ctx.transaction { try ctx.operations.enableRotation(id, days: Int(days), in: $0) }
        return []
    }

    static func disableKeyRotation(_ ctx: ActionContext, _ p: Parameters) throws -> ResponseFields {
        let id = try p.keyID()
        try ctx.transaction { try ctx.operations.disableRotation(id, in: $0) }
        return []
    }

    static func getKeyRotationStatus(_ ctx: ActionContext, _ p: Parameters) throws -> ResponseFields {
        let id = try p.keyID()
        let enabled = try ctx.transaction { try ctx.operations.rotationEnabled(id, in: $0) }
        return [("KeyRotationEnabled", .bool(enabled))]
    }

    /// Rotates now. The automatic schedule is unchanged; LastRotateTime becomes now.
    static func rotateKey(_ ctx: ActionContext, _ p: Parameters) throws -> ResponseFields {
        let id = try p.keyID()
        try ctx.transaction { try ctx.operations.rotate(id, profile: ctx.profile, in: $0) }
        return [("TaskId", .string(ctx.request.requestId))]
    }
}
