import KMSCore
import KMSStorage

/// Material versions of service-generated keys: rotation adds one, and every version not retired
/// keeps decrypting (`KeyVersions`).
extension KeyOperations {
    /// Rotation is for keys whose material the service made, and not for keys on their way out.
    static func checkRotatable(_ key: CustomerMasterKey, now: Int64) throws {
        guard key.origin == .tencentKMS else { throw KMSError(.externalCmkCanNotRotate) }
        try key.keyUsage.checkRotatable()
        if key.lifecycle(now: now).state == .pendingDelete { throw KMSError(.cmkStateNotSupport) }
    }

    /// Turns automatic rotation on, every `days` days from now.
    public func enableRotation(_ id: KeyID, days: Int, in tx: KeyTransaction) throws {
        var key = try lock(id, in: tx)
        try Self.checkRotatable(key, now: tx.now)
        key.rotationEnabled = true
        key.rotateDays = days
        try scheduleNextRotation(&key, in: tx)
        try save(key, in: tx)
    }

    /// Turns automatic rotation off. An EXTERNAL key never rotates, so for one this is a no-op
    /// success (as Tencent).
    public func disableRotation(_ id: KeyID, in tx: KeyTransaction) throws {
        var key = try lock(id, in: tx)
        if key.origin == .external || key.keyUsage.isAsymmetric { return }
        try Self.checkRotatable(key, now: tx.now)
        key.rotationEnabled = false
        key.nextRotateTime = 0
        try save(key, in: tx)
        try tx.db.run(CancelJob(.rotateKey, tenant: tx.tenant, keyID: id))
    }

    /// Whether the key rotates automatically (EXTERNAL keys never do).
    public func rotationEnabled(_ id: KeyID, in tx: KeyTransaction) throws -> Bool {
        let key = try find(id, in: tx)
        return key.origin == .tencentKMS && !key.keyUsage.isAsymmetric && key.rotationEnabled
    }

    /// Rotates now, on the caller's request. The automatic schedule is unchanged; LastRotateTime becomes now.
    public func rotate(_ id: KeyID, profile: CryptoProfile, in tx: KeyTransaction) throws {
        var key = try lock(id, in: tx)
        try Self.checkRotatable(key, now: tx.now)
        try key.lifecycle(now: tx.now).checkCanEncrypt()
        try KeySchedule.checkManualRotation(rotationEnabled: key.rotationEnabled, lastRotateTime: key.lastRotateTime, now: tx.now)
        try addVersion(&key, profile: profile, in: tx)
        try save(key, in: tx)
    }

    /// Automatic rotation on its day (the scheduled worker). A key that cannot encrypt now
    /// (Disabled, Archived) is not rotated, and is looked at again one period later. Returns the
    /// version made, if any.
    public func rotateOnSchedule(_ id: KeyID, in tx: KeyTransaction) throws -> UInt32? {
        tx.changing(id)
        guard var key = try tx.db.run(FindKeyForUpdate(tenant: tx.tenant, keyID: id)),
              key.rotationEnabled, key.origin == .tencentKMS, !key.keyUsage.isAsymmetric, key.nextRotateTime <= tx.now,
              let profile = regions.profile(of: tx.tenant.region) else { return nil }
        var made: UInt32? = nil
        if key.lifecycle(now: tx.now).state == .enabled {
            try addVersion(&key, profile: profile, in: tx)
            made = key.currentVersion
        }
        if key.state != .pendingDelete { try scheduleNextRotation(&key, in: tx) }
        try save(key, in: tx)
        return made
    }

    /// Generates, seals and stores the next version and makes it the one new encryptions use.
    /// The key row is locked; the caller saves `key` afterwards.
    func addVersion(_ key: inout CustomerMasterKey, profile: CryptoProfile, in tx: KeyTransaction) throws {
        let version = key.versions.rotate()
        let material = keyring.generateMaterial(profile)
        let sealed = keyring.sealMaterial(material, tenant: tx.tenant, keyID: key.id, version: version)
        try tx.db.run(InsertKeyMaterial(tenant: tx.tenant, keyID: key.id, version: version, sealed: sealed, createdAt: tx.now))
        key.lastRotateTime = tx.now
    }

    /// Schedules the next automatic rotation `rotateDays` from now.
    func scheduleNextRotation(_ key: inout CustomerMasterKey, in tx: KeyTransaction) throws {
        key.nextRotateTime = tx.now + Int64(key.rotateDays) * KeySchedule.day
        try tx.db.run(ScheduleJob(ScheduledJob(kind: .rotateKey, tenant: tx.tenant, keyID: key.id, dueAt: key.nextRotateTime)))
    }
}
