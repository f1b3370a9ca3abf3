import KMSCore
import KMSCrypto
import KMSStorage

/// CAM sub-users of one account: add (optionally with a first access key), read, list, delete.
/// Every operation runs in the caller's transaction, scoped to the account, so row-level
/// security keeps other accounts' users invisible.
public struct SubUsers {
    let issuer: CredentialIssuer

    /// Sub-users whose access keys are sealed with `sealer`.
    public init(sealer: Sealer) { issuer = CredentialIssuer(sealer: sealer) }

    /// Tencent's default quota of sub-users per account.
    public static let maximumPerAccount: Int64 = 1000
    /// The longest name and remark accepted.
    public static let maximumNameLength = 64
    public static let maximumRemarkLength = 256
    /// Sub-user Uins (016_cam.sql's CHECK) and Uids.
    static let uinRange: ClosedRange<Int64> = 200_000_000_000...299_999_999_999
    static let uidRange: ClosedRange<Int64> = 10_000_000...99_999_999

    /// A name Tencent accepts: 1–64 characters of letters, digits and `+=,.@_-`.
    public static func checkName(_ name: String) throws {
        guard CAMName.isValid(name, maximumLength: maximumNameLength) else {
            throw KMSError(.camUserNameIllegal, "The name must be 1 to \(maximumNameLength) characters of letters, digits and +=,.@_-.")
        }
    }

    /// A remark: at most 256 characters, no control characters.
    public static func checkRemark(_ remark: String) throws {
        guard remark.unicodeScalars.count <= maximumRemarkLength,
              !remark.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw KMSError(.camParamError, "Remark must be at most \(maximumRemarkLength) characters without control characters.")
        }
    }

    /// A new sub-user of the transaction's account (root Uin `rootUin`) and, when `withAccessKey`,
    /// its first access key. Name taken → `SubUserNameInUse`; quota reached → `SubUserFull`.
    public func add(name: String, remark: String, consoleLogin: Bool, withAccessKey: Bool, rootUin: Int64,
                    in tx: KeyTransaction) throws -> (CAMUserRow, IssuedCredential?) {
        try SubUsers.checkName(name)
        try SubUsers.checkRemark(remark)
        let appId = tx.tenant.appId
        try tx.db.run(LockPrincipal(key: appId))
        guard try tx.db.run(FindCAMUserByName(name: name)) == nil else { throw KMSError(.camSubUserNameInUse) }
        guard try tx.db.run(CountCAMUsers()) < SubUsers.maximumPerAccount else {
            throw KMSError(.camSubUserFull, "An account may have at most \(SubUsers.maximumPerAccount) sub-users.")
        }
        for _ in 0..<8 {
            let user = CAMUserRow(appId: appId, uin: AccountRegistry.randomNumber(in: SubUsers.uinRange),
                                  uid: AccountRegistry.randomNumber(in: SubUsers.uidRange), name: name, remark: remark,
                                  consoleLogin: consoleLogin, createdAt: tx.now)
            // A conflict here is a Uin or Uid drawn before (the name was checked under the lock): draw again.
            guard try tx.db.run(InsertCAMUser(user)) else { continue }
            let key = withAccessKey
                ? try issuer.issue(appId: appId, uin: rootUin, userUin: user.uin, now: tx.now, in: tx.db) : nil
            return (user, key)
        }
        throw KMSError(.internalError, "could not allocate a sub-user Uin")
    }

    /// The sub-user of this name, or `ResourceNotFound.UserNotExist`.
    public func get(name: String, in tx: KeyTransaction) throws -> CAMUserRow {
        guard let user = try tx.db.run(FindCAMUserByName(name: name)) else { throw KMSError(.camUserNotExist) }
        return user
    }

    /// Every sub-user of the account, oldest first.
    public func list(in tx: KeyTransaction) throws -> [CAMUserRow] { try tx.db.run(ListCAMUsers()) }

    /// Deletes the sub-user of this name with its attachments. Its access keys go with it only when
    /// `force`; otherwise a user that still has one is refused (`OperationDenied.HaveKeys`), as Tencent does.
    public func delete(name: String, force: Bool, in tx: KeyTransaction) throws {
        let user = try get(name: name, in: tx)
        try tx.db.run(LockPrincipal(key: user.uin))
        let owner = AccessKeyOwner(appId: user.appId, userUin: user.uin)
        if !force, try tx.db.run(CountAccessKeys(owner: owner)) > 0 {
            throw KMSError(.camHaveKeys, "The sub-user `\(name)` still has access keys: delete them, or pass Force=1.")
        }
        guard try tx.db.run(DeleteCAMUser(uin: user.uin)) else { throw KMSError(.camUserNotExist) }
    }

    /// The sub-user with this Uin in the transaction's account, or nil.
    public func find(uin: Int64, in tx: KeyTransaction) throws -> CAMUserRow? { try tx.db.run(FindCAMUserByUin(uin: uin)) }
}
