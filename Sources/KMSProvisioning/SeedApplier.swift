import KMSCore
import KMSCrypto
import KMSService
import KMSStorage

/// `kmsctl apply` (issue 18): makes a stack hold what a seed file says, through the same key
/// operations as the API (so the same rules, the same rows, the same change notifications that
/// drop every responder's cached copy), with an audit record for each change. All of it
/// is one transaction: a file that fails anywhere changes nothing. What the file does not name is
/// left alone. A dry run is the same run, rolled back, so it shows exactly what a real one does.
public struct SeedApplier {
    let operations: KeyOperations
    let database: Database

    /// An applier sealing with `sealer`, over an owner connection.
    public init(sealer: Sealer, regions: RegionTable, database: Database) {
        operations = KeyOperations(sealer: sealer, regions: regions, keyCache: nil)
        self.database = database
    }

    /// What a run did (or, dry, would do): one line per change, in order, and the credentials it
    /// issued (shown once, like `kmsctl account create`).
    public struct Outcome {
        /// What changed, a line each, in order.
        public var changes: [String] = []
        /// Credentials issued to new accounts the file gave none, with the account's name.
        public var issued: [(account: String, credential: IssuedCredential)] = []
    }

    /// A change refused by the database or the key's rules, named by the file's line.
    public struct Refusal: Error, CustomStringConvertible {
        /// The line of the account or key entry refused.
        public let line: Int
        /// Where (the field's path) and why.
        public let what: String
        /// `line N: what`.
        public var description: String { "line \(line): \(what)" }
    }

    struct RollBack: Error {}

    /// Applies `seed` at `now`, or only works out what that would change (`dryRun`).
    public func apply(_ seed: SeedFile, dryRun: Bool, now: Int64) throws -> Outcome {
        var run = Run(operations: operations, now: now)
        do {
            try database.transaction(tenant: nil) { db in
                for account in seed.accounts { try run.apply(account, db) }
                if !run.records.isEmpty {
                    let lane = AuditLane(sealer: operations.keyring.sealer)
                    try db.run(InsertAuditRecords(lane.chain(run.records).rows))
                }
                if dryRun { throw RollBack() }
            }
        } catch is RollBack {}
        return run.outcome
    }
}

/// One run's state: what it changed so far and the audit records to write with the COMMIT.
struct Run {
    let operations: KeyOperations
    let now: Int64
    var outcome = SeedApplier.Outcome()
    var records: [AuditRecord] = []

    init(operations: KeyOperations, now: Int64) {
        self.operations = operations
        self.now = now
    }

    /// One account of the file: found or created, its fixed credential added, then its keys,
    /// region by region (the transaction re-scoped to each, as the scheduled worker does).
    mutating func apply(_ seeded: SeedFile.Account, _ db: Database) throws {
        let account = try findOrCreate(seeded, db)
        if let secretId = seeded.secretId, let secretKey = seeded.secretKey {
            try credential(secretId, secretKey, of: account, seeded, db)
        }
        for region in seeded.regions {
            let tenant = Tenant(appId: account.appId, region: region.name)
            try db.scope(to: tenant)
            let tx = KeyTransaction(db: db, tenant: tenant, now: now)
            for key in region.keys {
                do {
                    try apply(key, in: region, of: account, tx)
                } catch let error as KMSError {
                    // The key's own rules refused it: named by the file's line and the field at fault.
                    let reason = error.reason.isEmpty ? "" : ": \(error.reason)"
                    throw SeedApplier.Refusal(line: key.line, what: "\(key.path)\(Run.field(of: error)): key \(key.label): "
                                              + "\(error.code.rawValue)\(reason)")
                }
            }
        }
    }

    // MARK: - Accounts

    /// The account the entry names (AppId, else name), created when there is none.
    mutating func findOrCreate(_ seeded: SeedFile.Account, _ db: Database) throws -> AccountRow {
        let accounts = try db.run(ListAccounts())
        if let appId = seeded.appId {
            if let found = accounts.first(where: { $0.appId == appId }) {
                guard found.kind == .tenant, found.name == seeded.name, seeded.uin.map({ $0 == found.uin }) ?? true else {
                    throw SeedApplier.Refusal(line: seeded.line, what: "AppId \(appId) is the account '\(found.name)' (Uin \(found.uin)), "
                                              + "not '\(seeded.name)'\(seeded.uin.map { " (Uin \($0))" } ?? "")")
                }
                return found
            }
        } else {
            let named = accounts.filter { $0.kind == .tenant && $0.name == seeded.name }
            guard named.count <= 1 else {
                throw SeedApplier.Refusal(line: seeded.line, what: "\(named.count) accounts are named '\(seeded.name)': give its AppId")
            }
            if let found = named.first {
                if let uin = seeded.uin, uin != found.uin {
                    throw SeedApplier.Refusal(line: seeded.line, what: "the account '\(seeded.name)' has Uin \(found.uin), not \(uin)")
                }
                return found
            }
        }
        let account: AccountRow
        if let appId = seeded.appId {
            let uin = seeded.uin ?? AccountRegistry.randomNumber(in: 100_000_000_000...199_999_999_999)
            account = AccountRow(appId: appId, uin: uin, name: seeded.name, createdAt: now)
            guard try db.run(InsertAccountIfFree(account)) else {
                throw SeedApplier.Refusal(line: seeded.line, what: "the Uin \(uin) is another account's")
            }
        } else {
            account = try AccountRegistry.insertAccount(name: seeded.name, kind: .tenant, now: now, in: db)
        }
        record(account, "CreateAccount", "\(seeded.name): create the account (AppId \(account.appId), Uin \(account.uin))")
        if seeded.secretId == nil {
            // Usable at once, as `kmsctl account create` makes it: one credential, shown once.
            let issued = try CredentialIssuer(sealer: operations.keyring.sealer).issue(appId: account.appId, uin: account.uin,
                                                                                      now: now, in: db)
            outcome.issued.append((seeded.name, issued))
            record(account, "CreateCredential", "\(seeded.name): issue a credential (\(issued.secretId))", secretId: issued.secretId)
        }
        return account
    }

    /// The fixed credential: added, or found to be this account's root credential with this SecretKey.
    mutating func credential(_ secretId: String, _ secretKey: SecureBytes, of account: AccountRow, _ seeded: SeedFile.Account,
                             _ db: Database) throws {
        if let found = try db.run(FindCredential(secretId: secretId)) {
            let kept = try operations.keyring.openCredentialSecret(found.secretKeySealed, secretId: secretId)
            // SecureBytes' == is constant-time and copies neither secret.
            guard found.appId == account.appId, found.userUin == nil, kept == secretKey else {
                throw SeedApplier.Refusal(line: seeded.line, what: "the SecretId is already another credential (another account's, "
                                          + "a sub-user's, or with another SecretKey)")
            }
            return
        }
        let sealed = operations.keyring.sealer.seal(secretKey, for: .credentialSecret(secretId))
        try db.run(InsertCredential(secretId: secretId, appId: account.appId, sealed: sealed, createdAt: now, userUin: nil,
                                    description: "seed file"))
        record(account, "CreateCredential", "\(seeded.name): add the credential \(secretId)", secretId: secretId)
    }

    /// A change to a key: said, and audited as the API action it stands for.
    mutating func change(_ account: AccountRow, _ region: SeedFile.Region, _ keyID: KeyID, _ action: String, _ line: String) {
        record(account, action, line, region: region.name, keyID: keyID)
    }

    /// A change, said and audited (client `kmsctl apply`, the account's root as caller; an account's
    /// own changes have no region, as the Organization API's).
    mutating func record(_ account: AccountRow, _ action: String, _ line: String, region: String = "", keyID: KeyID? = nil,
                         secretId: String? = nil) {
        outcome.changes.append(line)
        records.append(AuditRecord(atMilliseconds: now * 1000, requestId: KeyID(random: Random.bytes(16)).description,
                                   appId: account.appId, secretId: secretId, region: region, action: action, keyID: keyID,
                                   result: "Success", client: "kmsctl apply", latencyMicroseconds: 0, callerUin: account.uin))
    }
}
