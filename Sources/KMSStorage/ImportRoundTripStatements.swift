import KMSCore

/// ImportKeyMaterial's first round trip: the caller's key and, in the same implicit transaction,
/// one import attempt claimed on the token for that key (counted under the token's row lock; the last one allowed wipes the sealed private key) — but
/// only if the key can take an import now: EXTERNAL, and in a state of `importable.withMaterial`,
/// or of `importable.withoutMaterial` while it has no usable material (`ImportRules.importableStates`),
/// so a request its key's state refuses claims nothing. Returns nil when the key is not the
/// tenant's; a nil claim when nothing was claimed (unknown token, another key's, or a key that
/// cannot take an import), else the parameter set as it was before the claim and the attempts
/// made before this one.
public struct ClaimImportAttemptForKey: Statement {
    public static let sql = """
        WITH k AS (
            SELECT \(keyColumns) FROM keys WHERE app_id = $1 AND region = $2 AND key_id = $3),
        claimed AS (
            UPDATE import_parameters p SET import_attempts = p.import_attempts + 1,
                private_key_sealed = CASE WHEN p.import_attempts + 1 >= $5 THEN '\\x'::bytea ELSE p.private_key_sealed END
            FROM (SELECT token_hash, private_key_sealed, import_attempts FROM import_parameters
                  WHERE app_id = $1 AND region = $2 AND token_hash = $4 AND key_id = $3 FOR UPDATE) old
            WHERE p.app_id = $1 AND p.region = $2 AND p.token_hash = old.token_hash
              AND EXISTS (SELECT 1 FROM k WHERE k.origin = $6 AND (k.state = ANY($7::text[])
                  OR (k.state = ANY($8::text[]) AND NOT (k.current_version > 0 AND (k.valid_to = 0 OR $9 < k.valid_to)))))
            RETURNING p.token_hash, p.wrapping_algorithm, p.wrapping_key_spec, old.private_key_sealed, p.valid_to,
                      old.import_attempts)
        SELECT k.*, c.token_hash, c.wrapping_algorithm, c.wrapping_key_spec, c.private_key_sealed,
               c.valid_to AS token_valid_to, c.import_attempts
        FROM k LEFT JOIN claimed c ON true
        """
    public let tenant: Tenant
    public let keyID: KeyID
    public let tokenHash: [UInt8]
    public let maximumAttempts: Int
    public let importable: (withMaterial: [KeyState], withoutMaterial: [KeyState])
    public let now: Int64
    public init(tenant: Tenant, keyID: KeyID, tokenHash: [UInt8], maximumAttempts: Int,
                importable: (withMaterial: [KeyState], withoutMaterial: [KeyState]), now: Int64) {
        self.tenant = tenant; self.keyID = keyID; self.tokenHash = tokenHash; self.maximumAttempts = maximumAttempts
        self.importable = importable; self.now = now
    }
    public var bindings: [PostgresValue] {
        [.int64(tenant.appId), .text(tenant.region), .text(keyID.description), .bytes(tokenHash), .int64(Int64(maximumAttempts)),
         .text(KeyOrigin.external.rawValue), .textArray(importable.withMaterial.map(\.rawValue)),
         .textArray(importable.withoutMaterial.map(\.rawValue)), .int64(now)]
    }
    public func decode(_ result: QueryResult) throws
        -> (key: CustomerMasterKey, claim: (parameters: ImportParametersRow, attemptsBefore: Int)?)? {
        guard let row = try result.singleRow() else { return nil }
        let key = try CustomerMasterKey(row: row)
        // The claim is LEFT JOINed: its columns are all NULL when nothing was claimed, never some.
        guard let hash = try row.decode([UInt8]?.self, "token_hash") else { return (key, nil) }
        let parameters = ImportParametersRow(
            keyID: key.id, tokenHash: hash, wrappingAlgorithm: try row.decode(String.self, "wrapping_algorithm"),
            wrappingKeySpec: try row.decode(String.self, "wrapping_key_spec"),
            privateKeySealed: try row.decode([UInt8].self, "private_key_sealed"), validTo: try row.decode(Int64.self, "token_valid_to"))
        return (key, (parameters, try row.decode(Int.self, "import_attempts")))
    }
}

/// The key locked for an import, with the fingerprint of the material it was given (nil before
/// the first import): ImportKeyMaterial's locked read, sent with the attempt's claim.
public struct FindKeyForImport: Statement {
    public static let sql = """
        SELECT \(keyColumns), material_fingerprint FROM keys WHERE app_id = $1 AND region = $2 AND key_id = $3 FOR UPDATE
        """
    public let tenant: Tenant
    public let keyID: KeyID
    public init(tenant: Tenant, keyID: KeyID) { self.tenant = tenant; self.keyID = keyID }
    public var bindings: [PostgresValue] { [.int64(tenant.appId), .text(tenant.region), .text(keyID.description)] }
    public func decode(_ result: QueryResult) throws -> (key: CustomerMasterKey, fingerprint: [UInt8]?)? {
        guard let row = try result.singleRow() else { return nil }
        return (try CustomerMasterKey(row: row), try row.decode([UInt8]?.self, "material_fingerprint"))
    }
}
