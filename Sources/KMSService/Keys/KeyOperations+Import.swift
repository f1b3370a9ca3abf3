import KMSCore
import KMSCrypto
import KMSStorage

/// Imported key material (BYOK, SPEC §5): import parameters, the import itself, and its destruction.
extension KeyOperations {
    static let unwrapFailure = "The key material does not unwrap with these import parameters."
    static let tokenNotValid = "The ImportToken is not valid for this key."

    /// Issues import parameters for an EXTERNAL key: a wrapping key pair whose private key is
    /// sealed to the key and token, valid for `ImportRules.parametersLifetime`.
    public func issueImportParameters(_ id: KeyID, spec: WrappingKeySpec, algorithm: String, appId: Int64,
                                      _ scope: KeyScope) throws -> (token: String, publicKey: [UInt8], validTo: Int64) {
        let tenant = scope.tenant, now = scope.now
        let token = Base64.encode(Random.bytes(48))
        let tokenHash = Digest.sha256(Array(token.utf8))
        let validTo = now + ImportRules.parametersLifetime
        func check(_ key: CustomerMasterKey) throws {
            try ImportRules.checkExternal(key)
            _ = try key.lifecycle(now: now).applying(.importMaterial)
        }
        // A pair made on CPU a request could have had (on this thread because the pool was dry,
        // or by the pool's reserve thread) is charged to the account; an account out of budget
        // gets no pooled pair either, or it could keep the pool dry. Refused for its budget, a
        // request its key refuses anyway is told that first.
        do {
            try cpuBudget.admit(appId)
        } catch {
            try check(try read(id, scope))
            throw error
        }
        // The pair is taken before the locked transaction: generating one when the pool is dry
        // must not happen while the key's row is locked, or concurrent calls for one key queue
        // behind it. A request the locked checks refuse gives it back (`giveBack`), so it spends
        // no pair, without a read of its own before the transaction (a round trip less).
        let pair = try wrappingKeys.take(spec)
        if pair.charged { cpuBudget.charge(appId, milliseconds: pair.cpuMilliseconds) }
        // Sealed before the transaction, so the row lock is held only for the round trips.
        let sealed = keyring.sealer.seal(pair.privateKeyDER, for: .importPrivateKey(tenant, id, tokenHash: tokenHash))
        do {
            try transaction(scope) { tx in
                // Two round trips: lock the key and count in one, then the writes with the COMMIT.
                tx.changing(id)
                let (locked, live) = try tx.db.run(FindKeyForUpdate(tenant: tenant, keyID: id),
                                                   CountLiveImportParameters(tenant: tenant, keyID: id, now: now))
                guard let locked else { throw KMSError.notFound() }
                try check(locked)
                guard live.forTenant < ImportRules.maximumParametersPerAccount else {
                    throw KMSError(.limitExceeded, "Too many unexpired import parameters in this region; import or wait for them to expire.")
                }
                try tx.db.enqueue(InsertImportParameters(tenant: tenant, row: ImportParametersRow(
                    keyID: id, tokenHash: tokenHash, wrappingAlgorithm: algorithm, wrappingKeySpec: spec.rawValue,
                    privateKeySealed: sealed, validTo: validTo), createdAt: now))
                try tx.db.enqueue(EvictOldestImportParameters(tenant: tenant, keyID: id, keep: ImportRules.maximumParametersPerKey))
                try tx.db.enqueue(ScheduleJob(ScheduledJob(kind: .purgeImportParameters, tenant: tenant, keyID: id, dueAt: validTo),
                                              earliest: true))
            }
        } catch let refusal as KMSError where refusal.code != .internalError {
            // Only a refusal by the checks: after a failure in the database the transaction's
            // outcome may be unknown, and a pair that may be stored is never handed out again.
            wrappingKeys.giveBack(pair, as: spec)
            throw refusal
        }
        return (token, pair.publicKeyDER, validTo)
    }

    /// Imports `wrapped` material with the token whose hash is `tokenHash`, in three round trips:
    /// (1) the key read and an attempt claimed on the token, committed at once; then the unwrap,
    /// before anything is locked; (2) the key locked, with its fingerprint, and the token read
    /// again under that lock; (3) the writes, queued after the checks, with the COMMIT.
    public func importMaterial(_ id: KeyID, wrapped: [UInt8], tokenHash: [UInt8], validTo: Int64, profile: CryptoProfile,
                               appId: Int64, _ scope: KeyScope) throws {
        let tenant = scope.tenant, now = scope.now
        func check(_ key: CustomerMasterKey) throws -> KeyState {
            try ImportRules.checkExternal(key)
            return try key.lifecycle(now: now).applying(.importMaterial)
        }
        // Admitted before the claim, so a refusal for budget never costs the caller an attempt;
        // a request its key's state refuses anyway is told that first, as before.
        do {
            try cpuBudget.admit(appId)
        } catch {
            _ = try check(try read(id, scope))
            throw error
        }
        // The attempt is claimed and committed before anything is unwrapped, whatever the
        // outcome: every attempt counts the same, so the count tells nothing about the material,
        // and neither racing requests nor a restart can buy a fourth try. The claim is guarded by
        // the key's state, so a request the state refuses spends no attempt.
        guard let (key, claim) = try scope.database.query(tenant: tenant, ClaimImportAttemptForKey(
            tenant: tenant, keyID: id, tokenHash: tokenHash, maximumAttempts: ImportRules.maximumImportAttempts,
            importable: ImportRules.importableStates, now: now)) else { throw KMSError.notFound() }
        _ = try check(try existing(key, now: now))
        guard let (parameters, attemptsBefore) = claim else { throw KMSError(.invalidParameterValue, Self.tokenNotValid) }
        try ImportRules.checkToken(validTo: parameters.validTo, now: now)
        try ImportRules.checkAttempts(before: attemptsBefore)
        guard let algorithm = WrappingAlgorithm(rawValue: parameters.wrappingAlgorithm) else {
            throw KMSError(.internalError, "stored wrapping algorithm is unknown")
        }
        // Unwrapped before the key's row is locked, so the RSA operation never holds the lock.
        let (material, unwrapped) = try cpuBudget.charging(appId) {
            try unwrap(wrapped, parameters, algorithm, tenant: tenant, tokenHash: tokenHash, profile: profile)
        }
        try transaction(scope) { tx in
            // The row lock serialises imports into one key: of two racing, the second sees the
            // first one's fingerprint and is refused unless its material is the same. The token is
            // read in a statement of its own, after the lock is held, so it sees a racing import's spending.
            tx.changing(id)
            let (locked, token) = try tx.db.run(FindKeyForImport(tenant: tenant, keyID: id),
                                                FindImportParameters(tenant: tenant, tokenHash: tokenHash))
            guard let locked else { throw KMSError.notFound() }
            var key = try existing(locked.key, now: now)
            let newState = try check(key)
            let fingerprint = keyring.sealer.fingerprint(material, for: .materialFingerprint(tenant, id))
            let matches = locked.fingerprint.map { ConstantTime.equals($0, fingerprint) } ?? true
            if algorithm == .rsaesPKCS1v15 {
                // Bad padding, a wrong length and other material all reach this point with
                // material of the right length, and get one answer (no Bleichenbacher oracle).
                guard unwrapped && matches else { throw KMSError(.decryptMaterialError, Self.unwrapFailure) }
            } else {
                guard matches else { throw KMSError(.materialNotMatch) }
            }
            // A racing import with the same token may have spent it meanwhile: one success per token.
            guard let token, token.keyID == id else { throw KMSError(.invalidParameterValue, Self.tokenNotValid) }
            try tx.db.enqueue(DeleteImportParameters(tenant: tenant, tokenHash: token.tokenHash))
            try store(material, fingerprint: locked.fingerprint == nil ? fingerprint : nil, into: &key, state: newState,
                      validTo: validTo, in: tx)
        }
    }

    /// A seed file's EXTERNAL material (`kmsctl apply`, issue 18), in the caller's transaction:
    /// stored as ImportKeyMaterial stores material it has unwrapped, without a wrapping token.
    /// The same rules hold: an EXTERNAL key in a state that takes material, and once a key has had
    /// material, only the very same material again (`MaterialNotMatch`).
    public func importOpenedMaterial(_ id: KeyID, _ material: SecureBytes, validTo: Int64, profile: CryptoProfile,
                                     in tx: KeyTransaction) throws {
        try ImportRules.checkMaterialLength(material.count, profile: profile)
        try ImportRules.checkValidTo(validTo, now: tx.now)
        tx.changing(id)
        guard let locked = try tx.db.run(FindKeyForImport(tenant: tx.tenant, keyID: id)) else { throw KMSError.notFound() }
        var key = try existing(locked.key, now: tx.now)
        try ImportRules.checkExternal(key)
        let state = try key.lifecycle(now: tx.now).applying(.importMaterial)
        let fingerprint = keyring.sealer.fingerprint(material, for: .materialFingerprint(tx.tenant, id))
        if let kept = locked.fingerprint, !ConstantTime.equals(kept, fingerprint) { throw KMSError(.materialNotMatch) }
        try store(material, fingerprint: locked.fingerprint == nil ? fingerprint : nil, into: &key, state: state,
                  validTo: validTo, in: tx)
    }

    /// The writes of an import, queued for the COMMIT: the fingerprint on a first import, the one
    /// material version sealed, the key's state and ValidTo, and the job that expires the material.
    private func store(_ material: SecureBytes, fingerprint: [UInt8]?, into key: inout CustomerMasterKey, state: KeyState,
                       validTo: Int64, in tx: KeyTransaction) throws {
        let tenant = tx.tenant, id = key.id
        if let fingerprint {
            try tx.db.enqueue(SetMaterialFingerprint(tenant: tenant, keyID: id, fingerprint: fingerprint))
        }
        // EXTERNAL keys have one material version; re-importing restores it, so every
        // earlier ciphertext decrypts again.
        key.versions.importMaterial()
        let sealed = keyring.sealMaterial(material, tenant: tenant, keyID: id, version: key.currentVersion)
        try tx.db.enqueue(UpsertKeyMaterial(tenant: tenant, keyID: id, version: key.currentVersion, sealed: sealed,
                                            createdAt: tx.now))
        key.state = state
        key.validTo = validTo
        try tx.db.enqueue(UpdateKey(key))
        if validTo > 0 {
            try tx.db.enqueue(ScheduleJob(ScheduledJob(kind: .expireMaterial, tenant: tenant, keyID: id, dueAt: validTo)))
        } else {
            try tx.db.enqueue(CancelJob(.expireMaterial, tenant: tenant, keyID: id))
        }
    }

    /// Opens the sealed wrapping key and unwraps the caller's material with the token's algorithm.
    /// OAEP and SM2 failures throw at once (their decoding is all-or-nothing and a forged
    /// ciphertext decodes to nothing); PKCS#1 v1.5 returns material of the profile's length
    /// either way and `valid` says whether it is real, for the caller to act on at the end.
    func unwrap(_ wrapped: [UInt8], _ parameters: ImportParametersRow, _ algorithm: WrappingAlgorithm, tenant: Tenant,
                tokenHash: [UInt8], profile: CryptoProfile) throws -> (material: SecureBytes, valid: Bool) {
        let pkcs8 = try keyring.sealer.open(parameters.privateKeySealed,
                                            for: .importPrivateKey(tenant, parameters.keyID, tokenHash: tokenHash))
        let privateKey = try PrivateKey(pkcs8DER: pkcs8)
        let material: SecureBytes
        do {
            if algorithm == .rsaesPKCS1v15 {
                return try privateKey.unwrapPKCS1v15(wrapped, length: profile.materialLength)
            }
            material = try privateKey.decrypt(wrapped, padding: algorithm)
        } catch is CryptoError {
            throw KMSError(.decryptMaterialError, Self.unwrapFailure)
        }
        try ImportRules.checkMaterialLength(material.count, profile: profile)
        return (material, true)
    }

    /// DeleteImportedKeyMaterial: the key goes to PendingImport and its material is destroyed now.
    public func destroyImportedMaterial(_ id: KeyID, in tx: KeyTransaction) throws {
        var key = try lock(id, in: tx)
        try ImportRules.checkExternal(key)
        key.state = try key.lifecycle(now: tx.now).applying(.removeMaterial)
        try checkUnbound(id, in: tx)
        try destroyMaterial(&key, in: tx)
    }

    /// Imported material past its ValidTo is destroyed and the key goes to PendingImport (the
    /// scheduled worker). Re-checked here: a re-import may have moved ValidTo since the job was
    /// scheduled. Returns whether material was destroyed.
    public func expireMaterial(_ id: KeyID, in tx: KeyTransaction) throws -> Bool {
        tx.changing(id)
        guard var key = try tx.db.run(FindKeyForUpdate(tenant: tx.tenant, keyID: id)),
              key.origin == .external, key.currentVersion > 0, key.validTo != 0, key.validTo <= tx.now else { return false }
        if key.state != .pendingDelete { key.state = .pendingImport }
        try destroyMaterial(&key, in: tx)
        return true
    }

    /// Wipes expired import parameters and removes their tombstones (the scheduled worker), and
    /// schedules itself again for the key's next expiry.
    public func purgeImportParameters(_ id: KeyID, in tx: KeyTransaction) throws {
        let next = try tx.db.run(PurgeExpiredImportParameters(tenant: tx.tenant, keyID: id, now: tx.now,
                                                              tombstone: ImportRules.tombstoneSeconds))
        if let next {
            try tx.db.run(ScheduleJob(ScheduledJob(kind: .purgeImportParameters, tenant: tx.tenant, keyID: id, dueAt: next)))
        }
    }

    /// Destroys an EXTERNAL key's material now; the fingerprint stays, so only the same material
    /// can ever be imported again. The key row is locked; `key` is saved here.
    func destroyMaterial(_ key: inout CustomerMasterKey, in tx: KeyTransaction) throws {
        _ = try tx.db.run(DeleteKeyMaterial(tenant: tx.tenant, keyID: key.id))
        key.versions.destroyMaterial()
        key.validTo = 0
        try save(key, in: tx)
        try tx.db.run(CancelJob(.expireMaterial, tenant: tx.tenant, keyID: key.id))
    }
}
