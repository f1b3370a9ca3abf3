import KMSCore
import KMSCrypto
import KMSStorage

/// Who a CAM request comes from, as access-key operations need it.
public struct AccessRequester: Sendable {
    public let appId: Int64
    /// The account's root Uin.
    public let rootUin: Int64
    /// The sub-user signing, or nil for a root credential.
    public let userUin: Int64?
    /// The operator's account may also name a tenant account's root Uin.
    public let isOperator: Bool
    /// The access key that signed the request.
    public let secretId: String

    public init(appId: Int64, rootUin: Int64, userUin: Int64?, isOperator: Bool, secretId: String) {
        self.appId = appId; self.rootUin = rootUin; self.userUin = userUin; self.isOperator = isOperator; self.secretId = secretId
    }
}

/// CAM access keys: create (shown once), list (never the secret), activate/deactivate, delete;
/// for the requester itself, a sub-user of its account (`TargetUin`) or, for the operator, a
/// tenant account's root. A key of anyone else is "not found", never "not yours".
public struct AccessKeys {
    let issuer: CredentialIssuer

    /// Access keys sealed with `sealer`.
    public init(sealer: Sealer) { issuer = CredentialIssuer(sealer: sealer) }

    /// Tencent's limit: two access keys per user (root or sub-user). `kmsctl` is not held to it.
    public static let maximumPerOwner: Int64 = 2
    /// Tencent's Description rule: at most 1024 characters of `[\w+=,.@:/-]`.
    public static let maximumDescriptionLength = 1024

    public static func checkDescription(_ description: String) throws {
        guard description.utf8.count <= maximumDescriptionLength,
              description.utf8.allSatisfy({ CAMName.isAllowed($0) || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: "/") }) else {
            throw KMSError(.camParamError, "Description must be at most \(maximumDescriptionLength) characters of letters, digits and +=,.@_:/-.")
        }
    }

    /// Whose keys `targetUin` names for `requester`, and that owner's root Uin.
    public func owner(_ targetUin: Int64?, _ requester: AccessRequester, in tx: KeyTransaction) throws -> (AccessKeyOwner, rootUin: Int64) {
        let target = targetUin ?? requester.userUin ?? requester.rootUin
        if target == requester.rootUin {
            // A sub-user never reaches its account's root keys (Tencent: OperationDenied.SubUin).
            guard requester.userUin == nil else { throw KMSError(.camSubUin) }
            return (AccessKeyOwner(appId: requester.appId, userUin: nil), requester.rootUin)
        }
        if let user = try tx.db.run(FindCAMUserByUin(uin: target)) {
            return (AccessKeyOwner(appId: user.appId, userUin: user.uin), requester.rootUin)
        }
        // Only the operator's root credentials reach tenants' roots, as only they manage tenant
        // accounts: a sub-user of the operator's account never does, whatever its policies say.
        if requester.isOperator, requester.userUin == nil, let tenant = try tx.db.run(FindTenantAccountByUin(uin: target)) {
            return (AccessKeyOwner(appId: tenant.appId, userUin: nil), tenant.uin)
        }
        throw KMSError(.camUserNotExist, "No user with Uin \(target) in this account.")
    }

    /// A new access key of the target, Active; at most two per owner.
    public func create(target: Int64?, description: String, requester: AccessRequester, in tx: KeyTransaction) throws -> IssuedCredential {
        try AccessKeys.checkDescription(description)
        let (owner, rootUin) = try owner(target, requester, in: tx)
        try tx.db.run(LockPrincipal(key: owner.userUin ?? rootUin))
        guard try tx.db.run(CountAccessKeys(owner: owner)) < AccessKeys.maximumPerOwner else {
            throw KMSError(.camAccessKeyOverLimit, "A user may have at most \(AccessKeys.maximumPerOwner) access keys: delete one first.")
        }
        return try issuer.issue(appId: owner.appId, uin: rootUin, userUin: owner.userUin, description: description, now: tx.now, in: tx.db)
    }

    /// The target's access keys, oldest first, without secrets.
    public func list(target: Int64?, requester: AccessRequester, in tx: KeyTransaction) throws -> [AccessKeyRow] {
        try tx.db.run(ListAccessKeys(owner: try owner(target, requester, in: tx).0))
    }

    /// Activates or deactivates one of the target's keys. Every responder drops it from its cache
    /// on the change's notification, so a deactivated key is refused within a second.
    public func setActive(_ secretId: String, _ active: Bool, target: Int64?, requester: AccessRequester,
                          in tx: KeyTransaction) throws {
        let (owner, _) = try owner(target, requester, in: tx)
        if !active { try AccessKeys.checkNotSigning(secretId, requester) }
        guard try tx.db.run(SetAccessKeyEnabled(owner: owner, secretId: secretId, enabled: active)) else {
            throw KMSError(.camSecretNotExist)
        }
    }

    /// Deletes one of the target's keys.
    public func delete(_ secretId: String, target: Int64?, requester: AccessRequester, in tx: KeyTransaction) throws {
        let (owner, _) = try owner(target, requester, in: tx)
        try AccessKeys.checkNotSigning(secretId, requester)
        guard try tx.db.run(DeleteAccessKey(owner: owner, secretId: secretId)) else { throw KMSError(.camSecretNotExist) }
    }

    /// The key signing the request is not deactivated or deleted through itself: that would lock
    /// the caller out in the middle of a rotation. Use another key (create one first).
    static func checkNotSigning(_ secretId: String, _ requester: AccessRequester) throws {
        guard secretId != requester.secretId else {
            throw KMSError(.camAccessKeyFailed, "The access key signing this request cannot deactivate or delete itself: sign with another key.")
        }
    }
}
