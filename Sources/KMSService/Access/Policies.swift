import KMSAccess
import KMSCore
import KMSStorage

/// CAM custom policies of one account and their attachments to its sub-users. A document is
/// parsed and validated (`KMSAccess.PolicyDocument`) before anything is written, so a bad one
/// changes nothing; what is stored is its normalised text. Other accounts' policies and users are
/// invisible (row-level security): naming one answers "not found".
public struct Policies {
    public init() {}

    /// Tencent's quotas and limits.
    public static let maximumPerAccount: Int64 = 1500
    public static let maximumAttachedPerUser: Int64 = 200
    public static let maximumNameLength = 128
    public static let maximumDescriptionBytes = 300
    public static let maximumKeywordLength = 128
    public static let maximumDeletedAtOnce = 200

    public static func checkName(_ name: String) throws {
        guard CAMName.isValid(name, maximumLength: maximumNameLength) else {
            throw KMSError(.camPolicyNameError, "PolicyName must be 1 to \(maximumNameLength) characters of letters, digits and +=,.@_-.")
        }
    }

    public static func checkDescription(_ description: String) throws {
        guard description.utf8.count <= maximumDescriptionBytes else {
            throw KMSError(.camDescriptionLengthOverlimit, "Description must be at most \(maximumDescriptionBytes) bytes.")
        }
        guard !description.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw KMSError(.camParamError, "Description must not contain control characters.")
        }
    }

    static func checkId(_ id: Int64) throws {
        guard id > 0 else { throw KMSError(.camPolicyIdError, "PolicyId must be a positive integer.") }
    }

    /// A new custom policy; its PolicyId. The document is validated first: nothing is written for a bad one.
    public func create(name: String, document text: String, description: String, in tx: KeyTransaction) throws -> Int64 {
        try Policies.checkName(name)
        try Policies.checkDescription(description)
        let document = try PolicyDocument.parse(text)
        try tx.db.run(LockPrincipal(key: tx.tenant.appId))
        guard try tx.db.run(CountCAMPolicies()) < Policies.maximumPerAccount else {
            throw KMSError(.camPolicyFull, "An account may have at most \(Policies.maximumPerAccount) custom policies.")
        }
        guard let id = try tx.db.run(InsertCAMPolicy(appId: tx.tenant.appId, name: name, description: description,
                                                     document: document.normalizedText, now: tx.now)) else {
            throw KMSError(.camPolicyNameInUse, "A policy named `\(name)` already exists.")
        }
        return id
    }

    /// The policy, or `ResourceNotFound.PolicyIdNotFound`.
    public func get(_ id: Int64, in tx: KeyTransaction) throws -> CAMPolicyRow {
        try Policies.checkId(id)
        guard let policy = try tx.db.run(FindCAMPolicy(policyId: id)) else { throw KMSError(.camPolicyIdNotFound) }
        return policy
    }

    /// One page (1-based) of the account's policies whose name contains `keyword`.
    public func list(keyword: String, page: Int64, perPage: Int64, in tx: KeyTransaction) throws -> CAMPage<CAMPolicyRow> {
        guard keyword.unicodeScalars.count <= Policies.maximumKeywordLength else {
            throw KMSError(.camSearchKeywordLengthError, "Keyword must be at most \(Policies.maximumKeywordLength) characters.")
        }
        let result = try tx.db.run(ListCAMPolicies(keyword: keyword, limit: perPage, offset: (page - 1) * perPage))
        if result.items.isEmpty { return CAMPage(total: try tx.db.run(CountCAMPoliciesMatching(keyword: keyword)), items: []) }
        return result
    }

    /// Deletes all of these policies or, when one is not the account's, none of them.
    public func delete(_ ids: [Int64], in tx: KeyTransaction) throws {
        guard !ids.isEmpty else { throw KMSError.missing("PolicyId") }
        guard ids.count <= Policies.maximumDeletedAtOnce else {
            throw KMSError(.camOperatePoliciesOverLimit, "At most \(Policies.maximumDeletedAtOnce) policies per request.")
        }
        for id in ids { try Policies.checkId(id) }
        let wanted = Set(ids)
        let existing = try tx.db.run(ExistingCAMPolicyIds(policyIds: Array(wanted)))
        if let missing = wanted.subtracting(existing).min() {
            throw KMSError(.camPolicyIdNotExist, "No policy with PolicyId \(missing).")
        }
        _ = try tx.db.run(DeleteCAMPolicies(policyIds: Array(wanted)))
    }

    /// Attaches a policy to a sub-user (again: no change). Policies attach to sub-users only: the
    /// root credential of an account can do everything in it anyway.
    public func attach(_ id: Int64, to uin: Int64, in tx: KeyTransaction) throws {
        _ = try get(id, policyCode: .camPolicyIdNotExist, in: tx)
        let user = try subUser(uin, in: tx)
        try tx.db.run(LockPrincipal(key: user.uin))
        guard try tx.db.run(CountCAMAttachments(userUin: user.uin)) < Policies.maximumAttachedPerUser else {
            throw KMSError(.camAttachmentFull, "A sub-user may have at most \(Policies.maximumAttachedPerUser) policies attached.")
        }
        _ = try tx.db.run(InsertCAMAttachment(appId: tx.tenant.appId, policyId: id, userUin: user.uin, now: tx.now))
    }

    /// Detaches a policy from a sub-user (not attached: no change).
    public func detach(_ id: Int64, from uin: Int64, in tx: KeyTransaction) throws {
        _ = try get(id, policyCode: .camPolicyIdNotExist, in: tx)
        let user = try subUser(uin, in: tx)
        _ = try tx.db.run(DeleteCAMAttachment(policyId: id, userUin: user.uin))
    }

    /// One page (1-based) of the policies attached to a sub-user.
    public func attached(to uin: Int64, page: Int64, perPage: Int64, in tx: KeyTransaction) throws -> CAMPage<CAMAttachedPolicyRow> {
        let user = try subUser(uin, in: tx)
        let result = try tx.db.run(ListCAMAttachedPolicies(userUin: user.uin, limit: perPage, offset: (page - 1) * perPage))
        if result.items.isEmpty { return CAMPage(total: try tx.db.run(CountCAMAttachments(userUin: user.uin)), items: []) }
        return result
    }

    func get(_ id: Int64, policyCode: KMSError.Code, in tx: KeyTransaction) throws -> CAMPolicyRow {
        try Policies.checkId(id)
        guard let policy = try tx.db.run(FindCAMPolicy(policyId: id)) else { throw KMSError(policyCode, "No policy with PolicyId \(id).") }
        return policy
    }

    func subUser(_ uin: Int64, in tx: KeyTransaction) throws -> CAMUserRow {
        guard let user = try tx.db.run(FindCAMUserByUin(uin: uin)) else {
            throw KMSError(.camInvalidUserNotExist, "No sub-user with Uin \(uin) in this account (policies attach to sub-users only).")
        }
        return user
    }
}
