import KMSCore
import KMSStorage

/// Material versions of service-generated keys: rotation adds one; every older one keeps decrypting.
public enum KeyVersions {
    /// Generates, seals and stores version `currentVersion + 1`, and makes it the one new
    /// encryptions use. The caller holds the key row locked and saves `key` afterwards.
    public static func rotate(_ key: inout CustomerMasterKey, profile: CryptoProfile, keyring: Keyring, now: Int64, in db: Database) throws {
        let tenant = Tenant(appId: key.appId, region: key.region)
        let version = key.currentVersion + 1
        let material = keyring.generateMaterial(profile)
        let sealed = keyring.sealMaterial(material, tenant: tenant, keyID: key.id, version: version)
        try db.run(InsertKeyMaterial(tenant: tenant, keyID: key.id, version: version, sealed: sealed, createdAt: now))
        key.currentVersion = version
        key.lastRotateTime = now
    }

    /// Destroys an EXTERNAL key's material now; the fingerprint stays, so only the same material
    /// can ever be imported again.
    public static func destroyMaterial(_ key: inout CustomerMasterKey, tenant: Tenant, in db: Database) throws {
        _ = try db.run(DeleteKeyMaterial(tenant: tenant, keyID: key.id))
        key.currentVersion = 0
        key.validTo = 0
        _ = try db.run(UpdateKey(key))
        try db.run(CancelJob(.expireMaterial, tenant: tenant, keyID: key.id))
    }

    /// Schedules the next automatic rotation `rotateDays` from `now`.
    public static func scheduleNextRotation(_ key: inout CustomerMasterKey, now: Int64, in db: Database) throws {
        key.nextRotateTime = now + Int64(key.rotateDays) * KeySchedule.day
        try db.run(ScheduleJob(ScheduledJob(kind: .rotateKey, tenant: Tenant(appId: key.appId, region: key.region),
                                            keyID: key.id, dueAt: key.nextRotateTime)))
    }
}
