import KMSCore
import KMSService
import KMSCrypto
import KMSStorage

/// GetParametersForImport, ImportKeyMaterial, DeleteImportedKeyMaterial (SPEC §5).
enum ImportActions {
    static let specs: [ActionSpec] = [
        ActionSpec(name: "GetParametersForImport", mutates: true, parameters: [
            .required("KeyId", .string), .required("WrappingAlgorithm", .string), .required("WrappingKeySpec", .string),
        ], handler: getParametersForImport),
        ActionSpec(name: "ImportKeyMaterial", mutates: true, parameters: [
            .required("EncryptedKeyMaterial", .string), .required("ImportToken", .string), .required("KeyId", .string),
            .optional("ValidTo", .integer),
        ], handler: importKeyMaterial),
        ActionSpec(name: "DeleteImportedKeyMaterial", mutates: true, parameters: [.required("KeyId", .string)], handler: deleteImportedKeyMaterial),
    ]


    static func getParametersForImport(_ ctx: ActionContext, _ p: Parameters) throws -> ResponseFields {
        let id = try KeyActions.lookupID(p)
        let algorithm = try p.requiredString("WrappingAlgorithm")
        let spec = try ImportRules.wrapping(spec: try p.requiredString("WrappingKeySpec"), algorithm: algorithm)
        let token = Base64.encode(Random.bytes(48))
        let tokenHash = Digest.sha256(Array(token.utf8))
        let validTo = ctx.now + ImportRules.parametersLifetime
        func check(_ key: CustomerMasterKey) throws {
            try ImportRules.checkExternal(key)
            _ = try key.lifecycle(now: ctx.now).applying(.importMaterial)
        }
        // A cheap unlocked look first, so a refused request spends no key pair; then the pair is
        // taken outside the locked transaction: generating one when the pool is dry must not
        // happen while the key's row is locked, or concurrent calls for one key queue behind it.
        try check(try ctx.readKey(id))
        // A pair made on this thread because the pool was dry is charged to the account; an
        // account out of budget gets no pooled pair either, or it could keep the pool dry.
        try ctx.cpuBudget.admit(ctx.caller.appId)
        let pair = try ctx.wrappingKeys.take(spec)
        if pair.generatedOnDemand { ctx.cpuBudget.charge(ctx.caller.appId, milliseconds: pair.cpuMilliseconds) }
        // Sealed before the transaction, so the row lock is held only for the round trips.
        let sealed = ctx.keyring.sealer.seal(pair.privateKeyDER, binding: Keyring.parametersBinding(ctx.tenant, id, tokenHash))
        let publicKey = pair.publicKeyDER
        try ctx.transaction { db in
            // Three round trips: lock the key and count in one, then the writes with the COMMIT.
            ctx.audit.changedKeys.append(id)
            let (locked, live) = try db.run(FindKeyForUpdate(tenant: ctx.tenant, keyID: id),
                                            CountLiveImportParameters(tenant: ctx.tenant, keyID: id, now: ctx.now))
            guard let locked else { throw KMSError.notFound() }
            try check(locked)
            guard live.forTenant < ImportRules.maximumParametersPerAccount else {
                throw KMSError(.limitExceeded, "Too many unexpired import parameters in this region; import or wait for them to expire.")
            }
            try db.enqueue(InsertImportParameters(tenant: ctx.tenant, row: ImportParametersRow(
                keyID: id, tokenHash: tokenHash, wrappingAlgorithm: algorithm, wrappingKeySpec: spec.rawValue,
                privateKeySealed: sealed, validTo: validTo), createdAt: ctx.now))
            try db.enqueue(EvictOldestImportParameters(tenant: ctx.tenant, keyID: id, keep: ImportRules.maximumParametersPerKey))
            try db.enqueue(ScheduleJob(ScheduledJob(kind: .purgeImportParameters, tenant: ctx.tenant, keyID: id, dueAt: validTo), earliest: true))
        }
        return [
            ("KeyId", .string(id.description)), ("ImportToken", .string(token)),
            ("PublicKey", .string(Base64.encode(publicKey))), ("ParametersValidTo", .int(validTo)),
        ]
    }

    static func importKeyMaterial(_ ctx: ActionContext, _ p: Parameters) throws -> ResponseFields {
        let id = try KeyActions.lookupID(p)
        let validTo = p.int("ValidTo") ?? 0
        try ImportRules.checkValidTo(validTo, now: ctx.now)
        guard let wrapped = Base64.decode(try p.requiredString("EncryptedKeyMaterial")), !wrapped.isEmpty else {
            throw KMSError(.decryptMaterialError, "EncryptedKeyMaterial is not valid Base64.")
        }
        let tokenHash = Digest.sha256(Array(try p.requiredString("ImportToken").utf8))
        func check(_ key: CustomerMasterKey) throws -> KeyState {
            try ImportRules.checkExternal(key)
            return try key.lifecycle(now: ctx.now).applying(.importMaterial)
        }
        // A cheap unlocked look first, so a refused request spends neither an attempt nor CPU.
        _ = try check(try ctx.readKey(id))
        // Admitted before the claim, so a refusal for budget never costs the caller an attempt.
        try ctx.cpuBudget.admit(ctx.caller.appId)
        // The attempt is claimed and committed before anything is unwrapped, whatever the
        // outcome: every attempt counts the same, so the count tells nothing about the material,
        // and neither racing requests nor a restart can buy a fourth try.
        guard let (parameters, attemptsBefore) = try ctx.database.query(tenant: ctx.tenant, ClaimImportAttempt(
            tenant: ctx.tenant, tokenHash: tokenHash, keyID: id, maximumAttempts: ImportRules.maximumImportAttempts)) else {
            throw KMSError(.invalidParameterValue, "The ImportToken is not valid for this key.")
        }
        try ImportRules.checkToken(validTo: parameters.validTo, now: ctx.now)
        try ImportRules.checkAttempts(before: attemptsBefore)
        guard let algorithm = WrappingAlgorithm(rawValue: parameters.wrappingAlgorithm) else {
            throw KMSError(.internalError, "stored wrapping algorithm is unknown")
        }
        // Unwrapped before the key's row is locked, so the RSA operation never holds the lock.
        let (material, unwrapped) = try ctx.cpuBudget.charging(ctx.caller.appId) {
            try unwrap(ctx, wrapped, parameters, algorithm, tokenHash: tokenHash)
        }
        try ctx.transaction { db in
            // The row lock serialises imports into one key: of two racing, the second sees the
            // first one's fingerprint and is refused unless its material is the same.
            var key = try ctx.findKey(id, in: db, forUpdate: true)
            let newState = try check(key)
            let fingerprint = ctx.keyring.sealer.fingerprint(material, binding: Keyring.fingerprintBinding(ctx.tenant, id))
            let existing = try db.run(FindMaterialFingerprint(tenant: ctx.tenant, keyID: id))
            let matches = existing.map { ConstantTime.equals($0, fingerprint) } ?? true
            if algorithm == .rsaesPKCS1v15 {
                // Bad padding, a wrong length and other material all reach this point with
                // material of the right length, and get one answer (no Bleichenbacher oracle).
                guard unwrapped && matches else { throw KMSError(.decryptMaterialError, unwrapFailure) }
            } else {
                guard matches else { throw KMSError(.materialNotMatch) }
            }
            if existing == nil {
                try db.run(SetMaterialFingerprint(tenant: ctx.tenant, keyID: id, fingerprint: fingerprint))
            }
            // EXTERNAL keys have one material version; re-importing restores it, so every
            // earlier ciphertext decrypts again.
            let sealed = ctx.keyring.sealMaterial(material, tenant: ctx.tenant, keyID: id, version: 1)
            try db.run(UpsertKeyMaterial(tenant: ctx.tenant, keyID: id, version: 1, sealed: sealed, createdAt: ctx.now))
            key.state = newState
            key.currentVersion = 1
            key.validTo = validTo
            _ = try db.run(UpdateKey(key))
            // A racing import with the same token may have spent it meanwhile: one success per token.
            guard try db.run(DeleteImportParameters(tenant: ctx.tenant, tokenHash: tokenHash)) else {
                throw KMSError(.invalidParameterValue, "The ImportToken is not valid for this key.")
            }
            if validTo > 0 {
                try db.run(ScheduleJob(ScheduledJob(kind: .expireMaterial, tenant: ctx.tenant, keyID: id, dueAt: validTo)))
            } else {
                try db.run(CancelJob(.expireMaterial, tenant: ctx.tenant, keyID: id))
            }
        }
        return []
    }

    static let unwrapFailure = "The key material does not unwrap with these import parameters."

    /// Opens the sealed wrapping key and unwraps the caller's material with the token's algorithm.
    /// OAEP and SM2 failures throw at once (their decoding is all-or-nothing and a forged
    /// ciphertext decodes to nothing); PKCS#1 v1.5 returns material of the profile's length
    /// either way and `valid` says whether it is real, for the caller to act on at the end.
    static func unwrap(_ ctx: ActionContext, _ wrapped: [UInt8], _ parameters: ImportParametersRow,
                       _ algorithm: WrappingAlgorithm, tokenHash: [UInt8]) throws -> (material: SecureBytes, valid: Bool) {
        let pkcs8 = try ctx.keyring.sealer.open(parameters.privateKeySealed,
                                                binding: Keyring.parametersBinding(ctx.tenant, parameters.keyID, tokenHash))
        let privateKey = try PrivateKey(pkcs8DER: pkcs8)
        let material: SecureBytes
        do {
            if algorithm == .rsaesPKCS1v15 {
                return try privateKey.unwrapPKCS1v15(wrapped, length: ctx.profile.materialLength)
            }
            material = try privateKey.decrypt(wrapped, padding: algorithm)
        } catch is CryptoError {
            throw KMSError(.decryptMaterialError, unwrapFailure)
        }
        try ImportRules.checkMaterialLength(material.count, profile: ctx.profile)
        return (material, true)
    }

    static func deleteImportedKeyMaterial(_ ctx: ActionContext, _ p: Parameters) throws -> ResponseFields {
        let id = try KeyActions.lookupID(p)
        try ctx.transaction { db in
            var key = try ctx.findKey(id, in: db, forUpdate: true)
            try ImportRules.checkExternal(key)
            key.state = try key.lifecycle(now: ctx.now).applying(.removeMaterial)
            try KeyVersions.destroyMaterial(&key, tenant: ctx.tenant, in: db)
        }
        return []
    }
}
