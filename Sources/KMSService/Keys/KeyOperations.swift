import KMSCore
import KMSCrypto
import KMSStorage

/// Every operation on a key, in one place: load, create, transition, rotate, import and destroy
/// material, schedule and cancel deletion. The API's handlers, the scheduled worker and
/// maintenance commands all call these, so each rule and each write is made once.
///
/// An operation that changes a key does it inside a `KeyTransaction` and names the key there;
/// its cache entry is dropped when the transaction is over.
public struct KeyOperations: @unchecked Sendable {
    /// Material generation, sealing, envelope encryption.
    public let keyring: Keyring
    /// Keys with their opened material; nil where nothing is cached (maintenance commands).
    public let keyCache: KeyCache?
    /// The served regions and their profiles.
    public let regions: RegionTable
    /// Pre-generated import wrapping keys.
    public let wrappingKeys: WrappingKeyPool
    /// The per-account CPU budget that public-key operations (key-pair generation, unwrapping, asymmetric keys) draw on.
    public let cpuBudget: CPUBudget
    /// Hosted data keys an account may hold per region (PendingDelete ones not counted).
    public let dataKeyLimit: Int

    /// Operations sealing with `sealer`, caching in `keyCache`.
    public init(sealer: Sealer, regions: RegionTable, keyCache: KeyCache?, wrappingKeys: WrappingKeyPool = WrappingKeyPool(),
                cpuBudget: CPUBudget = CPUBudget(rate: 0), dataKeyLimit: Int = DataKeyRules.defaultLimit) {
        self.keyring = Keyring(sealer: sealer)
        self.regions = regions
        self.keyCache = keyCache
        self.wrappingKeys = wrappingKeys
        self.cpuBudget = cpuBudget
        self.dataKeyLimit = dataKeyLimit
    }

    /// Runs `body` in one transaction scoped to the scope's tenant, with the scope's audit
    /// record queued before COMMIT. Commits when `body` returns, rolls back when it throws;
    /// either way the keys it changed are dropped from the cache afterwards.
    public func transaction<R>(_ scope: KeyScope, _ body: (KeyTransaction) throws -> R) throws -> R {
        let tx = KeyTransaction(db: scope.database, tenant: scope.tenant, now: scope.now)
        defer { invalidate(tx) }
        do {
            let value = try scope.database.transaction(tenant: scope.tenant) { db -> R in
                let value = try body(tx)
                try scope.audit?.beforeCommit(db)
                return value
            }
            scope.audit?.committed()
            return value
        } catch {
            scope.audit?.failed()
            throw error
        }
    }

    /// Drops the cache entries of the keys `tx` changed; call once its transaction is over.
    public func invalidate(_ tx: KeyTransaction) {
        guard let keyCache else { return }
        for id in tx.changed { keyCache.invalidate(tx.tenant, id) }
    }

    /// The key read on its own, outside any transaction, in one round trip; or `CmkNotFound`
    /// (also for other accounts' and regions' keys, and keys past their DeletionDate).
    public func read(_ id: KeyID, _ scope: KeyScope) throws -> CustomerMasterKey {
        guard let key = try scope.database.query(tenant: scope.tenant, FindKey(tenant: scope.tenant, keyID: id)) else {
            throw KMSError.notFound()
        }
        try key.lifecycle(now: scope.now).checkExists()
        return key
    }

    /// The key, read in `tx` without locking it; or `CmkNotFound`.
    public func find(_ id: KeyID, in tx: KeyTransaction) throws -> CustomerMasterKey {
        try existing(try tx.db.run(FindKey(tenant: tx.tenant, keyID: id)), now: tx.now)
    }

    /// The key, locked until `tx` ends so it can be changed (and so named changed); or `CmkNotFound`.
    public func lock(_ id: KeyID, in tx: KeyTransaction) throws -> CustomerMasterKey {
        tx.changing(id)
        return try existing(try tx.db.run(FindKeyForUpdate(tenant: tx.tenant, keyID: id)), now: tx.now)
    }

    /// Writes the key's row back.
    func save(_ key: CustomerMasterKey, in tx: KeyTransaction) throws {
        _ = try tx.db.run(UpdateKey(key))
    }

    /// A key past its DeletionDate is gone on arrival, whether or not the worker has run.
    func existing(_ key: CustomerMasterKey?, now: Int64) throws -> CustomerMasterKey {
        guard let key else { throw KMSError.notFound() }
        try key.lifecycle(now: now).checkExists()
        return key
    }
}
