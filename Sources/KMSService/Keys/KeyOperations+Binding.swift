import KMSCore
import KMSStorage

/// Cloud-resource bindings (BindCloudResource, UnbindCloudResource) and the rule they impose:
/// a bound key is not disabled, archived, scheduled for deletion or stripped of its material.
/// Every check and change happens under the key's row lock, so a binding and a deletion (or a
/// disable) of the same key are serialised: one of them sees the other.
extension KeyOperations {
    /// Binds `binding` to the key (Enabled only); binding it again succeeds and changes nothing.
    /// As Tencent documents, binding cancels the key's automatic expiry: an EXTERNAL key's
    /// ValidTo becomes 0 (never) and its expiry job goes.
    public func bind(_ id: KeyID, _ binding: CloudResourceBinding, in tx: KeyTransaction) throws {
        var key = try lock(id, in: tx)
        // The state as seen now: an EXTERNAL key whose material has just expired reads PendingImport
        // (cannot be bound), so a binding never brings expired material back by clearing ValidTo.
        try CloudResourceBinding.checkBindable(key.lifecycle(now: tx.now).state)
        let existing = try tx.db.run(CountCloudResourceBindings(tenant: tx.tenant, keyID: id, binding: binding))
        if !existing.present {
            guard existing.count < CloudResourceBinding.maximumPerKey else {
                throw KMSError(.limitExceeded, "A key holds at most \(CloudResourceBinding.maximumPerKey) cloud-resource bindings.")
            }
            try tx.db.enqueue(InsertCloudResourceBinding(tenant: tx.tenant, keyID: id, binding: binding, createdAt: tx.now))
        }
        if key.validTo != 0 {
            key.validTo = 0
            try tx.db.enqueue(UpdateKey(key))
            try tx.db.enqueue(CancelJob(.expireMaterial, tenant: tx.tenant, keyID: id))
        }
    }

    /// Removes the binding, or `CloudResourceBindingNotFound` when the key has no such binding.
    public func unbind(_ id: KeyID, _ binding: CloudResourceBinding, in tx: KeyTransaction) throws {
        _ = try lock(id, in: tx)
        guard try tx.db.run(DeleteCloudResourceBinding(tenant: tx.tenant, keyID: id, binding: binding)) else {
            throw KMSError(.cloudResourceBindingNotFound, "The key is not bound to this ProductId and ResourceId.")
        }
    }

    /// `CmkUsedByCloudProduct` when the (locked) key has any binding.
    func checkUnbound(_ id: KeyID, in tx: KeyTransaction) throws {
        try CloudResourceBinding.checkUnbound(bindingCount: try tx.db.run(CountCloudResourceBindings(tenant: tx.tenant, keyID: id)).count)
    }
}
