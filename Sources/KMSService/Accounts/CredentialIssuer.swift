import KMSCore
import KMSCrypto
import KMSStorage

/// The one place a credential (an access key) is made: `kmsctl account create`/`credential create`
/// and CAM's `AddUser`/`CreateAccessKey` all come here. The secret key is random, sealed under the
/// master key bound to its SecretId (`.credentialSecret`), and exists in clear only in the
/// returned `IssuedCredential`, shown once.
public struct CredentialIssuer {
    let sealer: Sealer

    /// An issuer sealing with `sealer`.
    public init(sealer: Sealer) { self.sealer = sealer }

    /// Inserts a new credential of account `appId` (root Uin `uin`), for its sub-user `userUin`
    /// or, when nil, for the account's root; inside the caller's transaction `db`.
    public func issue(appId: Int64, uin: Int64, userUin: Int64? = nil, description: String = "", now: Int64,
                      in db: Database) throws -> IssuedCredential {
        let secretId = "AKID" + String(decoding: AccountRegistry.randomAlphanumerics(32), as: UTF8.self)
        let secretKey = SecureBytes(AccountRegistry.randomAlphanumerics(32))
        let sealed = sealer.seal(secretKey, for: .credentialSecret(secretId))
        try db.run(InsertCredential(secretId: secretId, appId: appId, sealed: sealed, createdAt: now, userUin: userUin,
                                    description: description))
        return IssuedCredential(appId: appId, uin: uin, secretId: secretId, secretKey: secretKey, createdAt: now)
    }
}
