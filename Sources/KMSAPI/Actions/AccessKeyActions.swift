import KMSCore
import KMSService
import KMSStorage

/// CAM CreateAccessKey, ListAccessKeys, UpdateAccessKey, DeleteAccessKey: for the caller itself
/// (no TargetUin), a sub-user of its account, or — for the operator — a tenant account's root.
enum AccessKeyActions {
    static let specs: [ActionSpec] = [
        ActionSpec(name: "CreateAccessKey", mutates: true, parameters: [
            .optional("TargetUin", .integer), .optional("Description", .string),
        ], handler: createAccessKey),
        ActionSpec(name: "ListAccessKeys", parameters: [.optional("TargetUin", .integer)], handler: listAccessKeys),
        ActionSpec(name: "UpdateAccessKey", mutates: true, parameters: [
            .required("AccessKeyId", .string), .required("Status", .string), .optional("TargetUin", .integer),
        ], handler: updateAccessKey),
        ActionSpec(name: "DeleteAccessKey", mutates: true, parameters: [
            .required("AccessKeyId", .string), .optional("TargetUin", .integer),
        ], handler: deleteAccessKey),
    ]

    static func keys(_ ctx: ActionContext) -> AccessKeys { AccessKeys(sealer: ctx.operations.keyring.sealer) }

    static func requester(_ ctx: ActionContext) -> AccessRequester {
        AccessRequester(appId: ctx.caller.appId, rootUin: ctx.caller.uin, userUin: ctx.caller.userUin, isOperator: ctx.caller.isOperator,
                        secretId: ctx.caller.secretId)
    }

    static func status(_ enabled: Bool) -> JSONValue { .string(enabled ? "Active" : "Inactive") }

    static func createAccessKey(_ ctx: ActionContext, _ p: Parameters) throws -> ResponseFields {
        let description = p.string("Description") ?? ""
        let key = try ctx.transaction {
            try keys(ctx).create(target: p.int("TargetUin"), description: description, requester: requester(ctx), in: $0)
        }
        return [("AccessKey", .object([
            ("AccessKeyId", .string(key.secretId)),
            ("SecretAccessKey", .string(key.shownSecretKey)),
            ("Status", status(true)), ("CreateTime", .string(CAMTime.format(key.createdAt))), ("Description", .string(description)),
        ]))]
    }

    static func listAccessKeys(_ ctx: ActionContext, _ p: Parameters) throws -> ResponseFields {
        let rows = try ctx.transaction { try keys(ctx).list(target: p.int("TargetUin"), requester: requester(ctx), in: $0) }
        return [("AccessKeys", .array(rows.map { row in
            .object([
                ("AccessKeyId", .string(row.secretId)), ("Status", status(row.enabled)),
                ("CreateTime", .string(CAMTime.format(row.createdAt))), ("Description", .string(row.description)),
            ])
        }))]
    }

    static func updateAccessKey(_ ctx: ActionContext, _ p: Parameters) throws -> ResponseFields {
        let secretId = try p.requiredString("AccessKeyId")
        let active: Bool
        switch try p.requiredString("Status") {
        case "Active": active = true
        case "Inactive": active = false
        default: throw KMSError(.camParamError, "Status must be Active or Inactive.")
        }
        try ctx.transaction {
            try keys(ctx).setActive(secretId, active, target: p.int("TargetUin"), requester: requester(ctx), in: $0)
        }
        return []
    }

    static func deleteAccessKey(_ ctx: ActionContext, _ p: Parameters) throws -> ResponseFields {
        let secretId = try p.requiredString("AccessKeyId")
        try ctx.transaction { try keys(ctx).delete(secretId, target: p.int("TargetUin"), requester: requester(ctx), in: $0) }
        return []
    }
}
