import KMSCore
import KMSCrypto
import KMSStorage

/// A credential as issued: the only moment its secret key exists outside the sealed column.
public struct IssuedCredential {
    /// The account.
    public let appId: Int64
    /// The account's user (creator) id.
    public let uin: Int64
    /// The SecretId.
    public let secretId: String
    /// The secret key, shown once.
    public let secretKey: SecureBytes
    /// Unix seconds.
    public var createdAt: Int64 = 0

    /// The secret key as text, for the one answer or line that shows it (a `String` cannot be
    /// zeroed: make it only there).
    public var shownSecretKey: String { secretKey.withUnsafeBytes { String(decoding: $0, as: UTF8.self) } }
}

/// Creates accounts and credentials (the admin CLI's work). Secrets are sealed under the master
/// key, bound to their SecretId, before they reach the database.
public struct AccountRegistry {
    let sealer: Sealer
    let database: Database

    /// A registry sealing with `sealer`, over an owner connection.
    public init(sealer: Sealer, database: Database) {
        self.sealer = sealer
        self.database = database
    }

    static let alphanumerics = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)

    /// `count` characters drawn uniformly from [A-Za-z0-9] (rejection sampling keeps it unbiased).
    static func randomAlphanumerics(_ count: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(count)
        while out.count < count {
            for byte in Random.bytes(count * 2) where byte < 248 && out.count < count {
                out.append(alphanumerics[Int(byte) % 62])
            }
        }
        return out
    }

    public static func randomNumber(in range: ClosedRange<Int64>) -> Int64 {
        let raw = Random.bytes(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return range.lowerBound + Int64(raw % UInt64(range.upperBound - range.lowerBound + 1))
    }

    /// A new account with one credential. AppId and Uin are random numbers in Tencent's ranges.
    public func createAccount(name: String, now: Int64) throws -> IssuedCredential {
        try database.transaction(tenant: nil) { db in
            let account = try AccountRegistry.insertAccount(name: name, kind: .tenant, now: now, in: db)
            return try issue(appId: account.appId, uin: account.uin, now: now, in: db)
        }
    }

    /// The one place accounts are made (kmsctl's and the Organization API's alike): AppId and Uin
    /// drawn at random in Tencent's ranges, drawn again when taken, inside the caller's transaction.
    public static func insertAccount(name: String, kind: AccountKind, now: Int64, in db: Database) throws -> AccountRow {
        for _ in 0..<5 {
            let account = AccountRow(appId: randomNumber(in: 1_250_000_000...1_399_999_999),
                                     uin: randomNumber(in: 100_000_000_000...199_999_999_999), name: name, createdAt: now,
                                     kind: kind)
            if try db.run(InsertAccountIfFree(account)) { return account }
        }
        throw KMSError(.internalError, "could not allocate an account number")
    }

    /// The operator's account and a new credential of it: the account is made on the first call;
    /// each later call adds a credential (the way back when the secret key was lost). `created`
    /// says which.
    public func createOperatorCredential(now: Int64) throws -> (credential: IssuedCredential, created: Bool) {
        try database.transaction(tenant: nil) { db in
            if let existing = try db.run(FindOperatorAccount()) {
                return (try issue(appId: existing.appId, uin: existing.uin, now: now, in: db), false)
            }
            let account = try AccountRegistry.insertAccount(name: "operator", kind: .operator, now: now, in: db)
            return (try issue(appId: account.appId, uin: account.uin, now: now, in: db), true)
        }
    }

    /// A further credential for an existing account.
    public func createCredential(appId: Int64, now: Int64) throws -> IssuedCredential {
        guard let account = try database.run(ListAccounts()).first(where: { $0.appId == appId }) else {
            throw KMSError(.invalidParameterValue, "no account with AppId \(appId)")
        }
        return try database.transaction(tenant: nil) { try issue(appId: appId, uin: account.uin, now: now, in: $0) }
    }

    private func issue(appId: Int64, uin: Int64, now: Int64, in db: Database) throws -> IssuedCredential {
        try CredentialIssuer(sealer: sealer).issue(appId: appId, uin: uin, now: now, in: db)
    }

    /// Disables (or re-enables) a credential; false if no such SecretId. Needs no master key.
    public static func setCredential(_ secretId: String, enabled: Bool, database: Database) throws -> Bool {
        try database.run(SetCredentialEnabled(secretId: secretId, enabled: enabled))
    }

    /// Disables (or re-enables) a whole account, any kind: its credentials are refused (or accepted
    /// again) by every responder within a second; its keys stay. False if no such AppId.
    public static func setAccount(_ appId: Int64, enabled: Bool, database: Database) throws -> Bool {
        try database.run(SetAccountEnabled(appId: appId, enabled: enabled))
    }

    /// Every account. Needs no master key.
    public static func listing(database: Database) throws -> [AccountRow] { try database.run(ListAccounts()) }
}
