import KMSCrypto
import KMSStorage
#if canImport(Glibc)
import Glibc
#endif

/// Which master key files the database needs and which of them are absent (`kmsctl master-key
/// check`, run by `scripts/kms up`, `backup` and `restore`). A restored stack with `master.key`
/// but without a rotated `master.key.N` used to start and then answer `InternalError` to every
/// request that touched a value sealed under key N; this names the missing file first.
public struct KeyRingCheck: Sendable, Equatable {
    /// A master key the database needs, with what is sealed under it.
    public struct Requirement: Sendable, Equatable {
        /// The master key id (1 is `master.key`, N is `master.key.N`).
        public let id: UInt8
        /// Sealed values under this key, in every table and column the census found.
        public let values: Int64
    }

    /// The keys the database needs, ids ascending.
    public let required: [Requirement]
    /// Sealed columns the census cannot count across tenants (no `owner_maintenance` policy):
    /// they might need any key, so the check cannot vouch for them.
    public let uncountable: [String]

    /// The requirement a census implies. Key 1 is needed as soon as anything is sealed: the
    /// credential fingerprint and audit keys derive from it even when no value is sealed under it.
    public init(census: [(table: String, column: String, masterKeyId: Int, count: Int64)]) {
        var counts: [UInt8: Int64] = [:]
        var uncountable: [String] = []
        for row in census where row.count > 0 {
            if row.masterKeyId == SealedValueCount.uncountable {
                uncountable.append("\(row.table).\(row.column)")
            } else if (1...255).contains(row.masterKeyId) {
                counts[UInt8(row.masterKeyId), default: 0] += row.count
            }
        }
        if !counts.isEmpty || !uncountable.isEmpty { counts[1, default: 0] += 0 }
        required = counts.keys.sorted().map { Requirement(id: $0, values: counts[$0]!) }
        self.uncountable = uncountable
    }

    /// Reads the census of every sealed value (maintenance mode, owner connection). A database
    /// without the census function (no migrations applied yet) holds nothing sealed.
    public init(database: Database) throws {
        let census = try database.transaction(tenant: nil) { db -> [SealedValueCount] in
            guard try db.run(SealedValueCensusExists()) else { return [] }
            try db.run(EnterMaintenanceMode())
            return try db.run(CountSealedValues())
        }
        self.init(census: census.map { ($0.table, $0.column, $0.masterKeyId, $0.count) })
    }

    /// The required keys whose file is absent from the ring at `ringBase`, with its path.
    public func missing(ringBase: String) -> [(requirement: Requirement, path: String)] {
        required.compactMap { requirement in
            let path = MasterKeyRing.path(ringBase, id: requirement.id)
            return access(path, F_OK) == 0 ? nil : (requirement, path)
        }
    }
}
