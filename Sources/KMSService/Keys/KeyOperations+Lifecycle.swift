import KMSCore
import KMSCrypto
import KMSStorage

/// Creating keys, their attributes and their lifecycle (SPEC §3).
extension KeyOperations {
    /// Stores a new key, its tags and, for a generated key, its first material version: random
    /// bytes for a symmetric key, a key pair (PKCS#8) for an asymmetric one, generated on the
    /// account's CPU budget. Everything is queued to go out with the COMMIT: one round trip. An
    /// alias in use fails the COMMIT with a unique violation; the caller then calls
    /// `freeAliasOfGoneKey` and tries once more (`KeyActions.createKey`), so the common case
    /// carries no statement for the rare one.
    ///
    /// `material`, for a symmetric key, is its first version as given (a development stack's seed
    /// file, `kmsctl apply`) instead of random bytes.
    public func create(_ key: CustomerMasterKey, profile: CryptoProfile, tags: [KeyTag] = [], material given: SecureBytes? = nil,
                       in tx: KeyTransaction) throws {
        try tx.db.enqueue(InsertKey(key))
        if !tags.isEmpty { try tx.db.enqueue(InsertKeyTags(tenant: tx.tenant, keyID: key.id, tags: tags)) }
        if key.origin == .tencentKMS {
            let material: SecureBytes
            if let given {
                guard key.keyUsage.keyPair == nil, given.count == profile.materialLength else {
                    throw KMSError(.internalError, "given material must be a symmetric key of the profile's length")
                }
                material = given
            } else if let spec = key.keyUsage.keyPair {
                material = try cpuBudget.spending(tx.tenant.appId) { try keyring.generateKeyPair(spec) }
            } else {
                material = keyring.generateMaterial(profile)
            }
            let sealed = keyring.sealMaterial(material, tenant: tx.tenant, keyID: key.id, version: key.currentVersion)
            try tx.db.enqueue(InsertKeyMaterial(tenant: tx.tenant, keyID: key.id, version: key.currentVersion, sealed: sealed,
                                                createdAt: tx.now))
        }
    }

    /// A key past its DeletionDate is gone, so its alias is free even before the worker destroys
    /// it: destroys such a key holding `alias` now, if there is one (queued, like `create`).
    public func freeAliasOfGoneKey(_ alias: String, in tx: KeyTransaction) throws {
        try tx.db.enqueue(DestroyDeletedKeyHoldingAlias(tenant: tx.tenant, alias: alias, now: tx.now))
    }

    /// Renames a key (not while PendingDelete).
    public func setAlias(_ id: KeyID, _ alias: String, in tx: KeyTransaction) throws {
        var key = try lock(id, in: tx)
        try key.lifecycle(now: tx.now).checkCanEditMetadata()
        key.alias = alias
        try tx.db.run(DestroyDeletedKeyHoldingAlias(tenant: tx.tenant, alias: alias, now: tx.now))
        try save(key, in: tx)
    }

    /// Gives a key exactly `tags` (not while PendingDelete): a seed file's whole set.
    public func replaceTags(_ id: KeyID, _ tags: [KeyTag], in tx: KeyTransaction) throws {
        let key = try lock(id, in: tx)
        try key.lifecycle(now: tx.now).checkCanEditMetadata()
        try tx.db.run(DeleteKeyTags(tenant: tx.tenant, keyID: id))
        if !tags.isEmpty { try tx.db.run(InsertKeyTags(tenant: tx.tenant, keyID: id, tags: tags)) }
    }

    /// Re-describes a key (not while PendingDelete).
    public func setDescription(_ id: KeyID, _ description: String, in tx: KeyTransaction) throws {
        var key = try lock(id, in: tx)
        try key.lifecycle(now: tx.now).checkCanEditMetadata()
        key.description = description
        try save(key, in: tx)
    }

    /// Applies `transition` to one key. A key already in the target state is left as it is
    /// (enabling an Enabled key succeeds without writing anything, as Tencent).
    public func transition(_ id: KeyID, _ transition: KeyTransition, in tx: KeyTransaction) throws {
        var key = try lock(id, in: tx)
        let state = try key.lifecycle(now: tx.now).applying(transition)
        guard state != key.state else { return }
        if transition == .disable || transition == .archive { try checkUnbound(id, in: tx) }
        key.state = state
        try save(key, in: tx)
    }

    /// Applies `transition` to every key or, if one is not the caller's or not in a state the
    /// transition allows, to none (the caller's transaction rolls back).
    public func transition(_ ids: [KeyID], _ transition: KeyTransition, in tx: KeyTransaction) throws {
        // Locking in one order keeps two overlapping batches from deadlocking.
        for id in ids.sorted(by: { $0.description < $1.description }) {
            try self.transition(id, transition, in: tx)
        }
    }

    /// Schedules the key's destruction at `deletionDate` (PendingDelete), with the job that does it.
    public func scheduleDeletion(_ id: KeyID, at deletionDate: Int64, in tx: KeyTransaction) throws {
        var key = try lock(id, in: tx)
        // Before the state: a bound key is Enabled, and "disable it first" would be the wrong advice.
        try checkUnbound(id, in: tx)
        key.state = try key.lifecycle(now: tx.now).applying(.scheduleDeletion)
        key.deletionDate = deletionDate
        try save(key, in: tx)
        try tx.db.run(ScheduleJob(ScheduledJob(kind: .deleteKey, tenant: tx.tenant, keyID: id, dueAt: deletionDate)))
    }

    /// Takes a key out of PendingDelete (Disabled, or PendingImport without material) and cancels its job.
    public func cancelDeletion(_ id: KeyID, in tx: KeyTransaction) throws {
        var key = try lock(id, in: tx)
        key.state = try key.lifecycle(now: tx.now).applying(.cancelDeletion)
        key.deletionDate = 0
        try save(key, in: tx)
        try tx.db.run(CancelJob(.deleteKey, tenant: tx.tenant, keyID: id))
    }

    /// The scheduled deletion: a PendingDelete key whose window has ended is destroyed with all
    /// its material and jobs. Re-checked here: a CancelKeyDeletion may have come first.
    /// Returns whether the key was destroyed.
    public func destroyDeleted(_ id: KeyID, in tx: KeyTransaction) throws -> Bool {
        tx.changing(id)
        guard let key = try tx.db.run(FindKeyForUpdate(tenant: tx.tenant, keyID: id)),
              key.state == .pendingDelete, key.deletionDate != 0, key.deletionDate <= tx.now else { return false }
        try tx.db.run(CancelAllJobs(tenant: tx.tenant, keyID: id))
        _ = try tx.db.run(DeleteKey(tenant: tx.tenant, keyID: id))
        return true
    }
}
