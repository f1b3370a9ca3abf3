import KMSCore
import KMSCrypto
import KMSStorage

/// KMS-hosted data keys (SPEC §10, docs/DATA_KEYS.md): stored sealed under their CMK, counted
/// against the account's quota, opened only while they and their CMK are usable, destroyed on time.
extension KeyOperations {
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

    /// The data keys, in the order asked, read together outside any transaction (DescribeDataKeys);
    /// `DataKeyNotFound` if one is not the caller's (or is past its DeletionDate).
    public func readDataKeys(_ ids: [KeyID], _ scope: KeyScope) throws -> [HostedDataKey] {
        try inOrder(ids, try scope.database.query(tenant: scope.tenant, FindDataKeys(tenant: scope.tenant, dataKeyIDs: ids)),
                    now: scope.now)
    }

    /// The data key's plaintext, once it is Enabled and its CMK can open it (GetDataKeyPlaintext):
    /// Decrypt's path with the data key's rule for the CMK's state and its stored EncryptionContext.
    public func openDataKey(_ dataKey: HostedDataKey, _ scope: KeyScope) throws -> SecureBytes {
        try dataKey.checkPlaintextReadable()
        let envelope = try CiphertextEnvelope(bytes: dataKey.ciphertext)
        return try decrypt(envelope, profile: envelope.profile, context: try EncryptionContext(parameter: dataKey.encryptionContext),
                           scope, usable: { try $0.checkCanOpenDataKey() })
    }

    /// The data keys, locked until `tx` ends so they can be changed; `DataKeyNotFound` if one is
    /// not the caller's (or is past its DeletionDate).
    public func lockDataKeys(_ ids: [KeyID], in tx: KeyTransaction) throws -> [HostedDataKey] {
        try inOrder(ids, try tx.db.run(FindDataKeysForUpdate(tenant: tx.tenant, dataKeyIDs: ids)), now: tx.now)
    }

    /// `found` (some of the tenant's data keys) in the order of `ids`, or `DataKeyNotFound` for the
    /// first id among them that is missing or past its DeletionDate.
    private func inOrder(_ ids: [KeyID], _ found: [HostedDataKey], now: Int64) throws -> [HostedDataKey] {
        let byID = Dictionary(uniqueKeysWithValues: found.filter { !$0.isDeleted(now: now) }.map { ($0.id, $0) })
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
