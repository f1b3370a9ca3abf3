import KMSCore
import KMSCrypto
import KMSStorage

/// KMS-hosted data keys (SPEC §10, docs/DATA_KEYS.md): stored sealed under their CMK, counted
/// against the account's quota, opened only while they and their CMK are usable, destroyed on time.
extension KeyOperations {
    /// A new data key to store: `plaintext` sealed under `cmk`'s newest version with `context`
    /// (checked by the CMK's rules for encryption: Enabled, ENCRYPT_DECRYPT). Reads through the key
    /// cache, outside any transaction.
    public func sealDataKey(_ plaintext: SecureBytes, under cmk: KeyID, profile: CryptoProfile, context: EncryptionContext,
                            _ scope: KeyScope) throws -> [UInt8] {
        try encrypt(plaintext, under: cmk, profile: profile, context: context, scope).serialized
    }

    /// Stores `dataKey` and its tags, once the account's quota has room for it. The quota is read
    /// under a per-tenant lock, so concurrent creations never overshoot it. A data key past its
    /// DeletionDate still holding the name is destroyed first: its name is free.
    /// A name another data key holds fails with the unique violation (the caller's
    /// `DataKeyNameAlreadyExists`).
    public func storeDataKey(_ dataKey: HostedDataKey, tags: [KeyTag], in tx: KeyTransaction) throws {
        try checkDataKeyQuota(in: tx)
        try tx.db.run(DestroyDeletedDataKeyHoldingName(tenant: tx.tenant, name: dataKey.name, now: tx.now))
        try tx.db.enqueue(InsertDataKey(dataKey))
        if !tags.isEmpty { try tx.db.enqueue(InsertDataKeyTags(tenant: tx.tenant, dataKeyID: dataKey.id, tags: tags)) }
    }

    /// `LimitExceeded.DataKeyLimitExceeded` unless one more data key fits the quota; holds the
    /// tenant's quota lock until `tx` ends.
    func checkDataKeyQuota(in tx: KeyTransaction) throws {
        try tx.db.run(LockDataKeyQuota(tenant: tx.tenant))
        let used = try tx.db.run(CountDataKeysInQuota(tenant: tx.tenant))
        guard used < dataKeyLimit else {
            throw KMSError(.dataKeyLimitExceeded, "The account holds \(used) data keys in this region, its limit.")
        }
    }

    /// The data keys that count against the quota (GetServiceStatus.DataKeyUsedCount).
    public func dataKeysInQuota(_ scope: KeyScope) throws -> Int {
        try scope.database.query(tenant: scope.tenant, CountDataKeysInQuota(tenant: scope.tenant))
    }

    /// The data key read on its own, outside any transaction; or `DataKeyNotFound` (also for other
    /// accounts' and regions' data keys, and those past their DeletionDate).
    public func readDataKey(_ id: KeyID, _ scope: KeyScope) throws -> HostedDataKey {
        guard let dataKey = try scope.database.query(tenant: scope.tenant, FindDataKey(tenant: scope.tenant, dataKeyID: id)) else {
            throw KMSError(.dataKeyNotFound)
        }
        try dataKey.checkExists(now: scope.now)
        return dataKey
    }

    /// The data key's plaintext, once it is Enabled and its CMK can open it (GetDataKeyPlaintext).
    public func openDataKey(_ dataKey: HostedDataKey, _ scope: KeyScope) throws -> SecureBytes {
        try dataKey.checkPlaintextReadable()
        let envelope = try CiphertextEnvelope(bytes: dataKey.ciphertext)
        guard let loaded = try load(envelope.keyID, version: envelope.materialVersion, scope) else { throw KMSError.notFound() }
        try loaded.status.lifecycle(now: scope.now).checkCanOpenDataKey()
        try loaded.status.versions.checkDecryptable(envelope.materialVersion)
        guard let material = loaded.material else { throw KMSError(.cmkStateNotSupport, "The data key's CMK has no material.") }
        let context = try EncryptionContext(parameter: dataKey.encryptionContext)
        return try keyring.decrypt(envelope, material: material, region: scope.tenant.region, context: context)
    }

    /// The data keys, locked until `tx` ends so they can be changed; `DataKeyNotFound` if one is
    /// not the caller's (or is past its DeletionDate).
    public func lockDataKeys(_ ids: [KeyID], in tx: KeyTransaction) throws -> [HostedDataKey] {
        let found = try tx.db.run(FindDataKeysForUpdate(tenant: tx.tenant, dataKeyIDs: ids)).filter { !$0.isDeleted(now: tx.now) }
        let byID = Dictionary(uniqueKeysWithValues: found.map { ($0.id, $0) })
        return try ids.map { id in
            guard let dataKey = byID[id] else { throw KMSError(.dataKeyNotFound, "The data key \(id) does not exist.") }
            return dataKey
        }
    }

    /// Applies `transition` to every data key or, if one cannot take it, to none (the caller's
    /// transaction rolls back). Enabling needs the CMK Enabled; cancelling a deletion counts the
    /// key against the quota again and, when it returns to Enabled, needs the CMK Enabled too.
    /// ScheduleDataKeyDeletion's `deletionDate` schedules the job that destroys the key then.
    public func transition(dataKeys ids: [KeyID], _ transition: DataKeyTransition, deletionDate: Int64 = 0,
                           in tx: KeyTransaction) throws -> [HostedDataKey] {
        var changed: [HostedDataKey] = []
        for var dataKey in try lockDataKeys(ids, in: tx) {
            let before = dataKey.state
            try dataKey.apply(transition, deletionDate: deletionDate)
            if dataKey.state == .enabled && (transition == .enable || transition == .cancelDeletion) {
                try find(dataKey.keyID, in: tx).lifecycle(now: tx.now).checkCanEnableDataKey()
            }
            if transition == .cancelDeletion { try checkDataKeyQuota(in: tx) }
            changed.append(dataKey)
            guard dataKey.state != before else { continue }
            _ = try tx.db.run(UpdateDataKey(dataKey))
            switch transition {
            case .scheduleDeletion:
                try tx.db.run(ScheduleJob(ScheduledJob(kind: .deleteDataKey, tenant: tx.tenant, keyID: dataKey.id, dueAt: deletionDate)))
            case .cancelDeletion:
                try tx.db.run(CancelJob(.deleteDataKey, tenant: tx.tenant, keyID: dataKey.id))
            case .enable, .disable:
                break
            }
        }
        return changed
    }

    /// Renames a data key (any state). A name another data key holds fails with the unique
    /// violation; one held by a data key past its DeletionDate is freed first.
    public func renameDataKey(_ id: KeyID, to name: String, in tx: KeyTransaction) throws {
        var dataKey = try lockDataKeys([id], in: tx)[0]
        guard dataKey.name != name else { return }
        try tx.db.run(DestroyDeletedDataKeyHoldingName(tenant: tx.tenant, name: name, now: tx.now))
        dataKey.name = name
        _ = try tx.db.run(UpdateDataKey(dataKey))
    }

    /// Re-describes a data key (any state).
    public func describeDataKey(_ id: KeyID, as description: String, in tx: KeyTransaction) throws {
        var dataKey = try lockDataKeys([id], in: tx)[0]
        dataKey.description = description
        _ = try tx.db.run(UpdateDataKey(dataKey))
    }

    /// The scheduled deletion: a PendingDelete data key whose window has ended is destroyed.
    /// Re-checked here: a CancelDataKeyDeletion may have come first. Returns whether it was destroyed.
    public func destroyDeletedDataKey(_ id: KeyID, in tx: KeyTransaction) throws -> Bool {
        guard let dataKey = try tx.db.run(FindDataKeyForUpdate(tenant: tx.tenant, dataKeyID: id)),
              dataKey.isDeleted(now: tx.now) else { return false }
        return try tx.db.run(DeleteDataKey(tenant: tx.tenant, dataKeyID: id))
    }
}
