import KMSCore
import KMSService
import KMSStorage

/// CAM AddUser, GetUser, ListUsers, DeleteUser: an account's sub-users; GetUserAppId: who is calling. There is no console here:
/// `ConsoleLogin` is stored and reported, but no password is ever set or kept (a non-empty
/// `Password`, `NeedResetPassword=1` or contact details are refused as unsupported).
enum UserActions {
    static let specs: [ActionSpec] = [
        ActionSpec(name: "AddUser", mutates: true, parameters: [
            .required("Name", .string), .optional("Remark", .string), .optional("ConsoleLogin", .integer), .optional("UseApi", .integer),
            .unsupported("Password", .string), .unsupported("NeedResetPassword", .integer), .unsupported("PhoneNum", .string),
            .unsupported("CountryCode", .string), .unsupported("Email", .string),
        ], handler: addUser),
        ActionSpec(name: "GetUser", parameters: [.required("Name", .string)], handler: getUser),
        ActionSpec(name: "ListUsers", parameters: [], handler: listUsers),
        ActionSpec(name: "DeleteUser", mutates: true, parameters: [.required("Name", .string), .optional("Force", .integer)],
                   handler: deleteUser),
        ActionSpec(name: "GetUserAppId", parameters: [], handler: getUserAppId),
    ]

    static func users(_ ctx: ActionContext) -> SubUsers { SubUsers(sealer: ctx.operations.keyring.sealer) }

    /// A 0/1 flag as CAM passes them (ConsoleLogin, UseApi, Force).
    static func flag(_ p: Parameters, _ name: String) throws -> Bool {
        switch p.int(name) ?? 0 {
        case 0: return false
        case 1: return true
        default: throw KMSError(.camParamError, "\(name) must be 0 or 1.")
        }
    }

    static func addUser(_ ctx: ActionContext, _ p: Parameters) throws -> ResponseFields {
        let name = try p.requiredString("Name")
        let consoleLogin = try flag(p, "ConsoleLogin"), useApi = try flag(p, "UseApi")
        let (user, key) = try ctx.transaction {
            try users(ctx).add(name: name, remark: p.string("Remark") ?? "", consoleLogin: consoleLogin, withAccessKey: useApi,
                               rootUin: ctx.caller.uin, in: $0)
        }
        var fields: ResponseFields = [("Uin", .int(user.uin)), ("Name", .string(user.name)), ("Uid", .int(user.uid))]
        if let key {
            fields.append(("SecretId", .string(key.secretId)))
            fields.append(("SecretKey", .string(key.shownSecretKey)))
        }
        return fields
    }

    static func getUser(_ ctx: ActionContext, _ p: Parameters) throws -> ResponseFields {
        let name = try p.requiredString("Name")
        let user = try ctx.transaction { try users(ctx).get(name: name, in: $0) }
        return [
            ("Uin", .int(user.uin)), ("Name", .string(user.name)), ("Uid", .int(user.uid)), ("Remark", .string(user.remark)),
            ("ConsoleLogin", .int(user.consoleLogin ? 1 : 0)), ("PhoneNum", .string("")), ("CountryCode", .string("")),
            ("Email", .string("")), ("RecentlyLoginIP", .string("")), ("RecentlyLoginTime", .string("")),
        ]
    }

    static func listUsers(_ ctx: ActionContext, _ p: Parameters) throws -> ResponseFields {
        let rows = try ctx.transaction { try users(ctx).list(in: $0) }
        return [("Data", .array(rows.map { user in
            .object([
                ("Uin", .int(user.uin)), ("Name", .string(user.name)), ("Uid", .int(user.uid)), ("Remark", .string(user.remark)),
                ("ConsoleLogin", .int(user.consoleLogin ? 1 : 0)), ("PhoneNum", .string("")), ("CountryCode", .string("")),
                ("Email", .string("")), ("CreateTime", .string(CAMTime.format(user.createdAt))), ("NickName", .string(user.name)),
            ])
        }))]
    }

    static func deleteUser(_ ctx: ActionContext, _ p: Parameters) throws -> ResponseFields {
        let name = try p.requiredString("Name")
        let force = try flag(p, "Force")
        try ctx.transaction { try users(ctx).delete(name: name, force: force, in: $0) }
        return []
    }

    /// The caller's own Uin (a sub-user's, or the root's), its account's root Uin (`OwnerUin`, what
    /// key resource names spell) and AppId: what a script needs to write a policy for its keys.
    static func getUserAppId(_ ctx: ActionContext, _ p: Parameters) throws -> ResponseFields {
        [("Uin", .int(ctx.caller.principalUin)), ("OwnerUin", .int(ctx.caller.uin)), ("AppId", .int(ctx.caller.appId))]
    }
}
