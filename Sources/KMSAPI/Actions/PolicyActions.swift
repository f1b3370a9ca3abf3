import KMSCore
import KMSService
import KMSStorage

/// CAM CreatePolicy, GetPolicy, ListPolicies, DeletePolicy, AttachUserPolicy, DetachUserPolicy,
/// ListAttachedUserPolicies: an account's custom policies (CAM syntax 2.0) and their attachments
/// to its sub-users. Tencent's preset policies (`QcloudKMSFullAccess`, …) do not exist here:
/// `Scope=QCS` lists none.
enum PolicyActions {
    static let specs: [ActionSpec] = [
        ActionSpec(name: "CreatePolicy", mutates: true, parameters: [
            .required("PolicyName", .string), .required("PolicyDocument", .string), .optional("Description", .string),
            .unsupported("Tags", .objectArray),
        ], handler: createPolicy),
        ActionSpec(name: "GetPolicy", parameters: [.required("PolicyId", .integer)], handler: getPolicy),
        ActionSpec(name: "ListPolicies", parameters: [
            .optional("Rp", .integer), .optional("Page", .integer), .optional("Scope", .string), .optional("Keyword", .string),
        ], handler: listPolicies),
        ActionSpec(name: "DeletePolicy", mutates: true, parameters: [.required("PolicyId", .integerArray)], handler: deletePolicy),
        ActionSpec(name: "AttachUserPolicy", mutates: true, parameters: [.required("PolicyId", .integer), .required("AttachUin", .integer)],
                   handler: attachUserPolicy),
        ActionSpec(name: "DetachUserPolicy", mutates: true, parameters: [.required("PolicyId", .integer), .required("DetachUin", .integer)],
                   handler: detachUserPolicy),
        ActionSpec(name: "ListAttachedUserPolicies", parameters: [
            .required("TargetUin", .integer), .optional("Page", .integer), .optional("Rp", .integer),
        ], handler: listAttachedUserPolicies),
    ]

    static let policies = Policies()

    /// CAM's paging: `Page` from 1 (at most 200), `Rp` per page 1…200 (default 20); else ParamError.
    static func paging(_ p: Parameters) throws -> (page: Int64, perPage: Int64) {
        let page = p.int("Page") ?? 1, perPage = p.int("Rp") ?? 20
        guard (1...200).contains(page) else { throw KMSError(.camParamError, "Page must be between 1 and 200.") }
        guard (1...200).contains(perPage) else { throw KMSError(.camParamError, "Rp must be between 1 and 200.") }
        return (page, perPage)
    }

    static func createPolicy(_ ctx: ActionContext, _ p: Parameters) throws -> ResponseFields {
        let name = try p.requiredString("PolicyName"), document = try p.requiredString("PolicyDocument")
        let id = try ctx.transaction {
            try policies.create(name: name, document: document, description: p.string("Description") ?? "", in: $0)
        }
        return [("PolicyId", .int(id))]
    }

    static func getPolicy(_ ctx: ActionContext, _ p: Parameters) throws -> ResponseFields {
        let id = p.int("PolicyId") ?? 0
        let policy = try ctx.transaction { try policies.get(id, in: $0) }
        return [
            ("PolicyName", .string(policy.name)), ("Description", .string(policy.description)), ("Type", .int(1)),
            ("AddTime", .string(CAMTime.format(policy.createdAt))), ("UpdateTime", .string(CAMTime.format(policy.updatedAt))),
            ("PolicyDocument", .string(policy.document)), ("PresetAlias", .null), ("IsServiceLinkedRolePolicy", .int(0)),
            ("Tags", .array([])),
        ]
    }

    static func listPolicies(_ ctx: ActionContext, _ p: Parameters) throws -> ResponseFields {
        let (page, perPage) = try paging(p)
        let scope = p.string("Scope") ?? "All"
        guard ["All", "QCS", "Local"].contains(scope) else { throw KMSError(.camScopeError, "Scope must be All, QCS or Local.") }
        let result = scope == "QCS" ? CAMPage(total: 0, items: [])
            : try ctx.transaction { try policies.list(keyword: p.string("Keyword") ?? "", page: page, perPage: perPage, in: $0) }
        return [
            ("TotalNum", .int(result.total)),
            ("List", .array(result.items.map { policy in
                .object([
                    ("PolicyId", .int(policy.policyId)), ("PolicyName", .string(policy.name)),
                    ("AddTime", .string(CAMTime.format(policy.createdAt))), ("Type", .int(1)), ("Description", .string(policy.description)),
                    ("CreateMode", .int(2)), ("Attachments", .int(policy.attachments)), ("ServiceType", .null), ("IsAttached", .null),
                    ("Deactived", .int(0)), ("DeactivedDetail", .array([])), ("IsServiceLinkedPolicy", .int(0)),
                    ("AttachEntityCount", .int(policy.attachments)), ("AttachEntityBoundaryCount", .int(0)),
                    ("UpdateTime", .string(CAMTime.format(policy.updatedAt))), ("Tags", .array([])),
                ])
            })),
            ("ServiceTypeList", .array([])),
        ]
    }

    static func deletePolicy(_ ctx: ActionContext, _ p: Parameters) throws -> ResponseFields {
        let ids = p.ints("PolicyId") ?? []
        try ctx.transaction { try policies.delete(ids, in: $0) }
        return []
    }

    static func attachUserPolicy(_ ctx: ActionContext, _ p: Parameters) throws -> ResponseFields {
        let id = p.int("PolicyId") ?? 0, uin = p.int("AttachUin") ?? 0
        try ctx.transaction { try policies.attach(id, to: uin, in: $0) }
        return []
    }

    static func detachUserPolicy(_ ctx: ActionContext, _ p: Parameters) throws -> ResponseFields {
        let id = p.int("PolicyId") ?? 0, uin = p.int("DetachUin") ?? 0
        try ctx.transaction { try policies.detach(id, from: uin, in: $0) }
        return []
    }

    static func listAttachedUserPolicies(_ ctx: ActionContext, _ p: Parameters) throws -> ResponseFields {
        let (page, perPage) = try paging(p)
        let uin = p.int("TargetUin") ?? 0
        let result = try ctx.transaction { try policies.attached(to: uin, page: page, perPage: perPage, in: $0) }
        return [
            ("TotalNum", .int(result.total)),
            ("List", .array(result.items.map { policy in
                .object([
                    ("PolicyId", .int(policy.policyId)), ("PolicyName", .string(policy.name)),
                    ("AddTime", .string(CAMTime.format(policy.attachedAt))), ("CreateMode", .int(2)), ("PolicyType", .string("User")),
                    ("Remark", .string(policy.description)), ("Deactived", .int(0)), ("DeactivedDetail", .array([])),
                ])
            })),
        ]
    }
}
