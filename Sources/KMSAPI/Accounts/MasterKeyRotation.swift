import KMSCore
import KMSCrypto
import KMSStorage

/// Re-seals every sealed value (credential secrets, key material, import private keys) under
/// the sealer's newest master key (`kmsctl master-key rotate`). Row by row under row locks, one
/// transaction per tenant, while the service keeps running: responders open both the old and
/// the new key's values, and seal new ones under the newest once they have loaded it.
public struct MasterKeyRotation {
    public struct Counts: Sendable, Equatable {
        public var credentials = 0
        public var materials = 0
        public var importKeys = 0
        /// Values still sealed under an older key (a pass that finds none may retire old keys).
        public var olderLeft = 0
        /// Values that open under no loaded key for their row: damaged, or moved between rows. Left as they are.
        public var unreadable = 0
    }

    let sealer: Sealer
    let database: Database

    public init(sealer: Sealer, database: Database) {
        self.sealer = sealer
        self.database = database
    }

    /// Re-seals what is not under the newest key; with `dryRun` only counts it.
    public func reseal(regions: [String], dryRun: Bool = false) throws -> Counts {
        var counts = Counts()
        let current = sealer.currentKeyId
        func stale(_ sealed: [UInt8]) -> Bool { Sealer.keyId(of: sealed) != current }

        try database.transaction(tenant: nil) { db in
            for row in try db.run(ListSealedCredentials()) where stale(row.sealed) {
                if dryRun { counts.olderLeft += 1; continue }
                let binding = Keyring.credentialBinding(row.id[0])
                guard let secret = try? sealer.open(row.sealed, binding: binding) else { counts.unreadable += 1; continue }
                try db.run(UpdateSealedCredential(secretId: row.id[0], sealed: sealer.seal(secret, binding: binding)))
                counts.credentials += 1
            }
        }
        for account in try database.run(ListAccounts()) {
            for region in regions {
                let tenant = Tenant(appId: account.appId, region: region)
                try database.transaction(tenant: tenant) { db in
                    for row in try db.run(ListSealedMaterial(tenant: tenant)) where stale(row.sealed) {
                        if dryRun { counts.olderLeft += 1; continue }
                        guard let id = KeyID(row.id[0]), let version = UInt32(row.id[1]) else { continue }
                        let binding = Keyring.materialBinding(tenant, id, version)
                        guard let secret = try? sealer.open(row.sealed, binding: binding) else { counts.unreadable += 1; continue }
                        try db.run(UpdateSealedMaterial(tenant: tenant, keyID: row.id[0], version: row.id[1],
                                                        sealed: sealer.seal(secret, binding: binding)))
                        counts.materials += 1
                    }
                    for row in try db.run(ListSealedImportKeys(tenant: tenant)) where stale(row.sealed) {
                        if dryRun { counts.olderLeft += 1; continue }
                        guard let id = KeyID(row.id[0]), let hash = Hex.decode(row.id[1]) else { continue }
                        let binding = ImportActions.parametersBinding(tenant, id, hash)
                        guard let secret = try? sealer.open(row.sealed, binding: binding) else { counts.unreadable += 1; continue }
                        try db.run(UpdateSealedImportKey(tenant: tenant, tokenHashHex: row.id[1], sealed: sealer.seal(secret, binding: binding)))
                        counts.importKeys += 1
                    }
                }
            }
        }
        return counts
    }
}
