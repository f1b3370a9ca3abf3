import KMSCore
import KMSCrypto
import KMSService
import KMSStorage

/// A seed file's keys: found by KeyId or Alias, created with their fixed id and material, or
/// brought to what the file says through the key operations the API uses.
extension Run {
    /// One key of the file: found (KeyId, else Alias) or created, then each field the file gives
    /// brought to its value, in the order an operator would call the API.
    mutating func apply(_ seeded: SeedFile.Key, in region: SeedFile.Region, of account: AccountRow, _ tx: KeyTransaction) throws {
        let name = "\(seeded.label) in \(region.name)"
        // The key holding the alias, unless it is gone (past its DeletionDate: its alias is free).
        let byAlias = try tx.db.run(FindKeyByAlias(tenant: tx.tenant, alias: seeded.alias)).flatMap {
            $0.lifecycle(now: now).isDeleted ? nil : $0
        }
        var key: CustomerMasterKey
        if let id = seeded.keyID, let found = try tx.db.run(FindKey(tenant: tx.tenant, keyID: id)) {
            key = found
        } else if seeded.keyID == nil, let found = byAlias {
            key = found
        } else {
            if let holder = byAlias { throw KMSError(.aliasAlreadyExists, "the alias is the key \(holder.id)'s") }
            key = try create(seeded, region, account, tx)
            change(account, region, key.id, "CreateKey", "\(account.name): create the key \(name)")
        }
        guard !key.lifecycle(now: now).isDeleted, key.state != .pendingDelete else {
            throw KMSError(.keyPendingDelete, "the key is PendingDelete: cancel its deletion (CancelKeyDeletion) to seed it")
        }
        guard key.keyUsage == .encryptDecrypt, key.origin == seeded.origin else {
            throw KMSError(.invalidParameterValue, "the key is \(key.origin.rawValue) \(key.keyUsage.rawValue); "
                           + "the file says \(seeded.origin.rawValue) ENCRYPT_DECRYPT")
        }
        if key.alias != seeded.alias {
            if let holder = byAlias, holder.id != key.id {
                throw KMSError(.aliasAlreadyExists, "the alias is the key \(holder.id)'s")
            }
            try operations.setAlias(key.id, seeded.alias, in: tx)
            change(account, region, key.id, "UpdateAlias", "\(account.name): \(name): Alias \(key.alias) → \(seeded.alias)")
        }
        if let description = seeded.description, description != key.description {
            try operations.setDescription(key.id, description, in: tx)
            change(account, region, key.id, "UpdateKeyDescription", "\(account.name): \(name): Description changed")
        }
        if let tags = seeded.tags {
            let current = try tx.db.run(FindKeyTags(tenant: tx.tenant, keyID: key.id))
            if Set(current) != Set(tags) {
                try operations.replaceTags(key.id, tags, in: tx)
                change(account, region, key.id, "ReplaceKeyTags", "\(account.name): \(name): Tags set to \(tags.count)")
            }
        }
        if let material = seeded.material {
            try seedMaterial(material, of: &key, seeded, region, account, tx)
        }
        if let state = seeded.state, state != key.state {
            for step in try Run.transitions(from: key.state, to: state) {
                try operations.transition(key.id, step.transition, in: tx)
                change(account, region, key.id, step.action, "\(account.name): \(name): \(step.action)")
            }
            key.state = state
        }
        if key.origin == .tencentKMS {
            let enabled = seeded.rotationEnabled ?? key.rotationEnabled
            let days = Int(seeded.rotateDays ?? Int64(key.rotateDays))
            if enabled && (!key.rotationEnabled || days != key.rotateDays) {
                try operations.enableRotation(key.id, days: days, in: tx)
                change(account, region, key.id, "EnableKeyRotation", "\(account.name): \(name): rotation every \(days) days")
            } else if !enabled && key.rotationEnabled {
                try operations.disableRotation(key.id, in: tx)
                change(account, region, key.id, "DisableKeyRotation", "\(account.name): \(name): rotation off")
            }
        }
    }

    /// A new key with the file's id (else a random one), alias, description, tags and material.
    mutating func create(_ seeded: SeedFile.Key, _ region: SeedFile.Region, _ account: AccountRow,
                         _ tx: KeyTransaction) throws -> CustomerMasterKey {
        let key = CustomerMasterKey(
            id: seeded.keyID ?? KeyID(random: Random.bytes(16)), appId: account.appId, region: region.name, alias: seeded.alias,
            description: seeded.description ?? "", keyUsage: .encryptDecrypt, origin: seeded.origin,
            state: seeded.origin == .external ? .pendingImport : .enabled, creatorUin: account.uin, createTime: now,
            currentVersion: KeyVersions.initial(hasMaterial: seeded.origin == .tencentKMS).latest)
        // An alias held by a key past its DeletionDate is free (as CreateKey frees it).
        try operations.freeAliasOfGoneKey(seeded.alias, in: tx)
        try operations.create(key, profile: region.profile, tags: seeded.tags ?? [],
                              material: seeded.origin == .tencentKMS ? seeded.material : nil, in: tx)
        return key
    }

    /// A generated key's material cannot change: it must be what the file says. An EXTERNAL key's
    /// is imported when it has none, and otherwise must be the same (as ImportKeyMaterial).
    mutating func seedMaterial(_ material: SecureBytes, of key: inout CustomerMasterKey, _ seeded: SeedFile.Key,
                               _ region: SeedFile.Region, _ account: AccountRow, _ tx: KeyTransaction) throws {
        let name = "\(seeded.label) in \(region.name)"
        if key.origin == .tencentKMS {
            guard let found = try tx.db.run(FindKeyWithMaterial(tenant: tx.tenant, keyID: key.id, version: 1)),
                  let sealed = found.sealed, found.version == 1 else {
                throw KMSError(.invalidParameterValue, "the key's first material version is gone: it cannot be compared")
            }
            let kept = try operations.keyring.openMaterial(sealed, tenant: tx.tenant, keyID: key.id, version: 1)
            guard kept == material else {
                throw KMSError(.materialNotMatch, "the key exists with other material, and a key's material never changes")
            }
            return
        }
        let validTo = seeded.validTo ?? 0
        if key.state == .pendingImport || key.validTo != validTo {
            try operations.importOpenedMaterial(key.id, material, validTo: validTo, profile: region.profile, in: tx)
            change(account, region, key.id, "ImportKeyMaterial", "\(account.name): \(name): import its material"
                   + (validTo == 0 ? " (never expires)" : " (valid to \(validTo))"))
            key.state = .enabled
            key.validTo = validTo
        } else {
            // Same check as a re-import, without writing anything.
            guard let locked = try tx.db.run(FindKeyForImport(tenant: tx.tenant, keyID: key.id)),
                  let fingerprint = locked.fingerprint,
                  ConstantTime.equals(fingerprint, operations.keyring.sealer.fingerprint(material, for: .materialFingerprint(tx.tenant, key.id)))
            else { throw KMSError(.materialNotMatch) }
        }
    }

    /// The field of a key's entry that a refusal is about, as a path suffix ("" for the key as a whole).
    static func field(of error: KMSError) -> String {
        switch error.code {
        case .aliasAlreadyExists: return ".Alias"
        case .materialNotMatch: return ".Material"
        case .cmkStateNotSupport, .keyPendingDelete, .cmkShouldBeDisabled, .cmkNotPendingDelete: return ".KeyState"
        default: return ""
        }
    }

    /// The API's transitions that take a key from `state` to `target`.
    static func transitions(from state: KeyState, to target: KeyState) throws -> [(transition: KeyTransition, action: String)] {
        switch (state, target) {
        case (.disabled, .enabled): return [(.enable, "EnableKey")]
        case (.archived, .enabled): return [(.cancelArchive, "CancelKeyArchive")]
        case (.enabled, .disabled): return [(.disable, "DisableKey")]
        case (.archived, .disabled): return [(.cancelArchive, "CancelKeyArchive"), (.disable, "DisableKey")]
        case (.enabled, .archived): return [(.archive, "ArchiveKey")]
        case (.disabled, .archived): return [(.enable, "EnableKey"), (.archive, "ArchiveKey")]
        default: throw KMSError(.cmkStateNotSupport, "the key is \(state.rawValue) and cannot become \(target.rawValue)")
        }
    }
}
