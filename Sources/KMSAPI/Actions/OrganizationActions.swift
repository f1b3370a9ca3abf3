import KMSCore
import KMSService
import KMSStorage

/// Tencent Organization (2021-03-31) for the operator: tenant accounts are the organization's
/// members. CreateOrganizationMember makes one (no credential: CAM's CreateAccessKey with
/// TargetUin issues the first), DescribeOrganizationMembers lists them, DeleteOrganizationMembers
/// disables them (nothing is deleted over HTTP), DescribeOrganization / DescribeOrganizationNodes
/// tell the one root node that CreateOrganizationMember's NodeId must name. Where Tencent's
/// shapes do not fit: docs/OPERATIONS.md "Tenant accounts over HTTP". Only the operator's own root
/// credential gets here (`Service.checkAccess`).
enum OrganizationActions {
    static let specs: [ActionSpec] = [
        ActionSpec(name: "CreateOrganizationMember", mutates: true, parameters: [
            .required("Name", .string), .required("PolicyType", .string), .required("PermissionIds", .integerArray),
            .required("NodeId", .integer), .required("AccountName", .string), .optional("Remark", .string),
            .optional("IdentityRoleID", .integerArray), .unsupported("RecordId", .integer), .unsupported("PayUin", .string),
            .unsupported("AuthRelationId", .integer), .unsupported("Tags", .objectArray),
        ], handler: createMember),
        ActionSpec(name: "DescribeOrganizationMembers", parameters: [
            .optional("Offset", .integer), .optional("Limit", .integer), .optional("Lang", .string),
            .optional("SearchKey", .string), .optional("AuthName", .string), .optional("Product", .string),
            .optional("NodeId", .integer), .optional("NodeName", .string), .unsupported("Tags", .objectArray),
        ], handler: describeMembers),
        ActionSpec(name: "DeleteOrganizationMembers", mutates: true, parameters: [.required("MemberUin", .integerArray)],
                   handler: deleteMembers),
        ActionSpec(name: "DescribeOrganization", parameters: [.optional("Lang", .string), .optional("Product", .string)],
                   handler: describeOrganization),
        ActionSpec(name: "DescribeOrganizationNodes", parameters: [
            .optional("Limit", .integer), .optional("Offset", .integer), .unsupported("Tags", .objectArray),
        ], handler: describeNodes),
    ]

    /// Most Uins one DeleteOrganizationMembers takes.
    static let maximumMemberUins = 100

    static func createMember(_ ctx: ActionContext, _ p: Parameters) throws -> ResponseFields {
        let name = try p.requiredString("Name")
        try OrganizationMember.validateName(name, parameter: "Name")
        // One name per account here: AccountName is checked as Tencent does, and not stored.
        try OrganizationMember.validateName(try p.requiredString("AccountName"), parameter: "AccountName")
        try OrganizationMember.validateFinancialPolicy(type: try p.requiredString("PolicyType"), permissions: p.ints("PermissionIds") ?? [])
        try OrganizationMember.checkNode(p.int("NodeId") ?? 0)
        if let roles = p.ints("IdentityRoleID"), roles.contains(where: { $0 < 1 }) {
            throw KMSError.invalidValue("IdentityRoleID", "must be positive ids")
        }
        let account = try ctx.transaction { try TenantAccounts.create(name: name, in: $0) }
        return [("Uin", .int(account.uin))]
    }

    static func describeMembers(_ ctx: ActionContext, _ p: Parameters) throws -> ResponseFields {
        let offset = try p.int("Offset", default: 0, in: 0...Int64(Int32.max))
        let limit = try p.int("Limit", default: 10, in: 1...50)
        if let node = p.int("NodeId") { try OrganizationMember.checkNode(node) }
        let query = MemberQuery(search: p.string("SearchKey") ?? "", offset: Int(offset), limit: Int(limit))
        let page = try ctx.transaction { try TenantAccounts.list(query, in: $0) }
        return [("Items", .array(page.accounts.map(memberJSON))), ("Total", .int(Int64(page.total)))]
    }

    /// Tencent's OrgMember. PermissionStatus carries the account's state: Confirmed while it is
    /// enabled, UnConfirmed once disabled (its credentials are refused).
    static func memberJSON(_ account: AccountRow) -> JSONValue {
        let created = JSONValue.string(OrganizationMember.timeText(account.createdAt))
        return .object([
            ("MemberUin", .int(account.uin)), ("Name", .string(account.name)), ("MemberType", .string("Create")),
            ("OrgPolicyType", .string(OrganizationMember.policyType)), ("OrgPolicyName", .string("Financial")),
            ("OrgPermission", .array([])), ("NodeId", .int(OrganizationMember.rootNodeId)), ("NodeName", .string("root")),
            ("Remark", .string("")), ("CreateTime", created), ("UpdateTime", created), ("IsAllowQuit", .string("Denied")),
            ("PayUin", .string("")), ("PayName", .string("")), ("OrgIdentity", .array([])), ("BindStatus", .string("Unbound")),
            ("PermissionStatus", .string(account.enabled ? "Confirmed" : "UnConfirmed")),
        ])
    }

    static func deleteMembers(_ ctx: ActionContext, _ p: Parameters) throws -> ResponseFields {
        let uins = p.ints("MemberUin") ?? []
        guard !uins.isEmpty, uins.count <= maximumMemberUins else {
            throw KMSError.invalidValue("MemberUin", "must list 1 to \(maximumMemberUins) Uins")
        }
        try ctx.transaction { try TenantAccounts.setEnabled(false, uins: uins, in: $0) }
        return []
    }

    static func describeOrganization(_ ctx: ActionContext, _ p: Parameters) throws -> ResponseFields {
        let created = try ctx.transaction { try $0.db.run(FindOperatorAccount()) }?.createdAt ?? 0
        return [
            ("OrgId", .int(ctx.caller.appId)), ("HostUin", .int(ctx.caller.uin)), ("NickName", .string("operator")),
            ("OrgType", .int(1)), ("IsManager", .bool(true)), ("OrgPolicyType", .string(OrganizationMember.policyType)),
            ("OrgPolicyName", .string("Financial")), ("OrgPermission", .array([])),
            ("RootNodeId", .int(OrganizationMember.rootNodeId)), ("CreateTime", .string(OrganizationMember.timeText(created))),
            ("JoinTime", .string("")), ("IsAllowQuit", .string("Denied")), ("PayUin", .string("")), ("PayName", .string("")),
            ("IsAssignManager", .bool(false)), ("IsAuthManager", .bool(false)),
        ]
    }

    static func describeNodes(_ ctx: ActionContext, _ p: Parameters) throws -> ResponseFields {
        // Limit is checked as Tencent does (1–50); the one node fits any page.
        _ = try p.int("Limit", default: 10, in: 1...50)
        let offset = try p.int("Offset", default: 0, in: 0...Int64(Int32.max))
        let root = JSONValue.object([
            ("NodeId", .int(OrganizationMember.rootNodeId)), ("Name", .string("root")), ("ParentNodeId", .int(0)),
            ("Remark", .string("")), ("CreateTime", .string("")), ("UpdateTime", .string("")), ("Tags", .array([])),
        ])
        return [("Total", .int(1)), ("Items", .array(offset == 0 ? [root] : []))]
    }
}
