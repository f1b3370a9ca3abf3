import KMSCore
import KMSService
import KMSStorage

/// `kmsctl export` (issue 18): a seed file of what a stack holds, so a team can capture a stack's
/// shape and re-create it with `kmsctl apply`. Never material and never a secret: the keys come
/// back with their ids, aliases, descriptions, states, rotation and tags; a second stack given the
/// file gets keys of the same names with material of its own (add `Material` to share ciphertexts).
/// Keys a seed file cannot hold are left out with a comment saying why: asymmetric keys, and keys
/// on their way out (PendingDelete).
public struct SeedExporter {
    let database: Database
    let regions: RegionTable

    /// An exporter over an owner connection (it reads every tenant's keys).
    public init(regions: RegionTable, database: Database) {
        self.regions = regions
        self.database = database
    }

    /// No tenant account of that name.
    public struct NoSuchAccount: Error, CustomStringConvertible {
        /// The name asked for.
        public let name: String
        /// `no account named 'NAME'`.
        public var description: String { "no account named '\(name)'" }
    }

    /// The seed file of every tenant account, or of those named `name`.
    public func export(account name: String? = nil, now: Int64) throws -> String {
        let accounts = try database.run(ListAccounts())
            .filter { $0.kind == .tenant && (name == nil || $0.name == name) }
            .sorted { $0.appId < $1.appId }
        if let name, accounts.isEmpty { throw NoSuchAccount(name: name) }
        var lines = ["# A seed file written by `kmsctl export`: the stack's accounts and keys, never their material",
                     "# or secrets. `scripts/kms ctl apply FILE` makes another stack hold the same.",
                     accounts.isEmpty ? "accounts: []" : "accounts:"]
        try database.transaction(tenant: nil) { db in
            for account in accounts {
                lines += ["  - name: \(quoted(account.name))", "    AppId: \(account.appId)", "    Uin: \(account.uin)"]
                var regionLines: [String] = []
                for region in regions.regions {
                    let tenant = Tenant(appId: account.appId, region: region.name)
                    try db.scope(to: tenant)
                    let keys = try allKeys(tenant, db, now: now)
                    guard !keys.isEmpty else { continue }
                    regionLines += ["      \(region.name):", "        keys:"]
                    for key in keys { regionLines += try self.lines(key, tenant, db, now: now) }
                }
                if !regionLines.isEmpty { lines += ["    regions:"] + regionLines }
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    func allKeys(_ tenant: Tenant, _ db: Database, now: Int64) throws -> [CustomerMasterKey] {
        var keys: [CustomerMasterKey] = []
        while true {
            let page = try db.run(ListKeysPage(tenant: tenant, query: KeyQuery(states: KeyState.allCases, newestFirst: false,
                                                                              offset: keys.count, limit: 1000, now: now)))
            keys += page.keys
            if page.keys.count < 1000 { return keys }
        }
    }

    func lines(_ key: CustomerMasterKey, _ tenant: Tenant, _ db: Database, now: Int64) throws -> [String] {
        guard key.keyUsage == .encryptDecrypt else {
            return ["          # \(key.id) (\(key.alias)): \(key.keyUsage.rawValue) — asymmetric keys are created through the API"]
        }
        guard key.state != .pendingDelete else {
            return ["          # \(key.id) (\(key.alias)): PendingDelete — left out"]
        }
        var lines = ["          - KeyId: \(key.id)", "            Alias: \(quoted(key.alias))"]
        if !key.description.isEmpty { lines.append("            Description: \(quoted(key.description))") }
        if key.origin == .external { lines.append("            Origin: EXTERNAL") }
        // An EXTERNAL key's state follows its material, which the file does not hold.
        if key.origin == .tencentKMS { lines.append("            KeyState: \(key.state.rawValue)") }
        if key.origin == .tencentKMS && key.rotationEnabled {
            lines += ["            KeyRotationEnabled: true", "            RotateDays: \(key.rotateDays)"]
        }
        let tags = try db.run(FindKeyTags(tenant: tenant, keyID: key.id))
        if !tags.isEmpty {
            lines.append("            Tags:")
            for tag in tags { lines.append("              - {TagKey: \(quoted(tag.key)), TagValue: \(quoted(tag.value))}") }
        }
        if key.origin == .external && key.state != .pendingImport {
            lines.append("            # \(key.state.rawValue); add Material (its imported material, hex) and ValidTo: \(key.validTo) to seed it")
        }
        return lines
    }

    /// A YAML double-quoted scalar (JSON's escapes are YAML's).
    func quoted(_ text: String) -> String { JSONValue.string(text).serializedString }
}
