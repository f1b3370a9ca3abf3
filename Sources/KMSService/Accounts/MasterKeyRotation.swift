import KMSCore
import KMSCrypto
import KMSStorage

/// Re-seals every sealed value (credential secrets, key material, import private keys) under
/// the sealer's newest master key (`kmsctl master-key rotate`). Row by row under row locks, one
/// transaction per tenant, while the service keeps running: responders open both the old and
/// the new key's values, and seal new ones under the newest once they have loaded it.
///
/// Every tenant in the database is re-sealed, found in the data itself (maintenance mode, migration
/// 009), not in the configured region list: a region no longer served still holds values. Retiring
/// old keys counts every sealed value of every table first and refuses while any is under a key
/// it would delete.
public struct MasterKeyRotation {
    /// What a pass re-sealed, by kind, and what it left.
    public struct Counts: Sendable, Equatable {
        /// Credential secrets re-sealed.
        public var credentials = 0
        /// Material versions re-sealed.
        public var materials = 0
        /// Import private keys re-sealed.
        public var importKeys = 0
        /// Values still sealed under an older key (a pass that finds none may retire old keys).
        public var olderLeft = 0
        /// Values that open under no loaded key for their row: damaged, or moved between rows. Left as they are.
        public var unreadable = 0
    }

    let sealer: Sealer
    let database: Database

    /// Rotation with the loaded master keys of `sealer`, over an owner connection.
    public init(sealer: Sealer, database: Database) {
        self.sealer = sealer
        self.database = database
    }

    /// Re-seals what is not under the newest key, in every account and region that holds any;
    /// with `dryRun` only counts it.
    public func reseal(dryRun: Bool = false) throws -> Counts {
        var counts = Counts()
        try database.transaction(tenant: nil) { db in
            try reseal(try db.run(ListSealedCredentials()), counting: \.credentials, in: &counts, dryRun: dryRun,
                binding: { .credentialSecret($0.id[0]) },
                update: { row, sealed in try db.enqueue(UpdateSealedCredential(secretId: row.id[0], sealed: sealed)) })
        }
        let tenants = try database.transaction(tenant: nil) { db in
            try db.run(EnterMaintenanceMode())
            return try db.run(ListSealedTenants())
        }
        for tenant in tenants {
            try database.transaction(tenant: tenant) { db in
                try reseal(try db.run(ListSealedMaterial(tenant: tenant)), counting: \.materials, in: &counts, dryRun: dryRun,
                    binding: { row in
                        guard let id = KeyID(row.id[0]), let version = UInt32(row.id[1]) else { return nil }
                        return .keyMaterial(tenant, id, version: version)
                    },
                    update: { row, sealed in
                        try db.enqueue(UpdateSealedMaterial(tenant: tenant, keyID: row.id[0], version: row.id[1], sealed: sealed))
                    })
                try reseal(try db.run(ListSealedImportKeys(tenant: tenant)), counting: \.importKeys, in: &counts, dryRun: dryRun,
                    binding: { row in
                        guard let id = KeyID(row.id[0]), let hash = Hex.decode(row.id[1]) else { return nil }
                        return .importPrivateKey(tenant, id, tokenHash: hash)
                    },
                    update: { row, sealed in
                        try db.enqueue(UpdateSealedImportKey(tenant: tenant, tokenHashHex: row.id[1], sealed: sealed))
                    })
            }
        }
        return counts
    }

    /// The sealed values, by table and column, still under one of the master keys `retiring`:
    /// every column of every table the census finds, every tenant (maintenance mode). A sealed
    /// column the census cannot count across tenants (id -2) is listed too: it might hold any key.
    public func valuesUnder(_ retiring: Set<UInt8>) throws -> [SealedValueCount] {
        let census = try database.transaction(tenant: nil) { db in
            try db.run(EnterMaintenanceMode())
            return try db.run(CountSealedValues())
        }
        return census.filter { row in
            row.count > 0 && (row.masterKeyId == SealedValueCount.uncountable
                || (0...255).contains(row.masterKeyId) && retiring.contains(UInt8(row.masterKeyId)))
        }
    }

    /// Deletes the key files of the ring at `ringBase` other than key 1 and `keep`, but only when
    /// no value in the database is sealed under any of them; otherwise deletes nothing and throws
    /// `RetirementRefused` naming what is left. Returns the retired ids.
    @discardableResult
    public func retire(ringBase: String, keep: UInt8) throws -> [UInt8] {
        let retiring = try MasterKeyRing.load(base: ringBase).map(\.id).filter { $0 != Sealer.masterKeyId && $0 != keep }
        let left = try valuesUnder(Set(retiring))
        guard left.isEmpty else { throw RetirementRefused(left: left) }
        try MasterKeyRing.retire(base: ringBase, keep: keep)
        return retiring
    }

    /// Retiring was refused: these values are still sealed under a key it would delete.
    public struct RetirementRefused: Error, CustomStringConvertible {
        /// What is still sealed under a key that would be retired.
        public let left: [SealedValueCount]
        /// The refusal, naming each table and column left.
        public var description: String {
            "not retiring: values remain under older master keys (nothing deleted): "
                + left.map { row in
                    row.masterKeyId == SealedValueCount.uncountable
                        ? "\(row.table).\(row.column) cannot be counted across tenants (no owner_maintenance policy)"
                        : "\(row.table).\(row.column) under key \(row.masterKeyId): \(row.count)"
                }.joined(separator: ", ")
        }
    }

    /// Re-seals the rows not under the newest key, counting each in `field`. A dry run only
    /// counts them (`olderLeft`); a row whose identity does not parse is skipped, one that does
    /// not open for its row is counted as `unreadable` and left as it is. The updates go out with
    /// the transaction's COMMIT.
    private func reseal(_ rows: [SealedRow], counting field: WritableKeyPath<Counts, Int>, in counts: inout Counts,
                        dryRun: Bool, binding: (SealedRow) -> SealBinding?,
                        update: (SealedRow, [UInt8]) throws -> Void) throws {
        let current = sealer.currentKeyId
        for row in rows where Sealer.keyId(of: row.sealed) != current {
            if dryRun { counts.olderLeft += 1; continue }
            guard let binding = binding(row) else { continue }
            guard let secret = try? sealer.open(row.sealed, for: binding) else { counts.unreadable += 1; continue }
            try update(row, sealer.seal(secret, for: binding))
            counts[keyPath: field] += 1
        }
    }
}
