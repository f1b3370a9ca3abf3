/// A CMK as the domain sees it: identity, tenant, attributes, lifecycle and material version.
public struct CustomerMasterKey: Sendable, Equatable {
    public var id: KeyID
    public var appId: Int64
    public var region: String
    public var alias: String
    public var description: String
    public var keyUsage: KeyUsage
    public var origin: KeyOrigin
    public var state: KeyState
    public var creatorUin: Int64
    /// Unix seconds.
    public var createTime: Int64
    /// Unix seconds; 0 when no deletion is scheduled.
    public var deletionDate: Int64
    /// Unix seconds when imported material expires; 0 = never.
    public var validTo: Int64
    /// Newest material version; 0 while an EXTERNAL key has no material.
    public var currentVersion: UInt32
    public var rotationEnabled: Bool
    public var rotateDays: Int
    public var nextRotateTime: Int64
    public var lastRotateTime: Int64
    /// The oldest material version that still decrypts (see `KeyVersions`); 1 = none retired.
    public var minDecryptionVersion: UInt32

    public init(id: KeyID, appId: Int64, region: String, alias: String, description: String, keyUsage: KeyUsage,
                origin: KeyOrigin, state: KeyState, creatorUin: Int64, createTime: Int64, deletionDate: Int64 = 0,
                validTo: Int64 = 0, currentVersion: UInt32, rotationEnabled: Bool = false, rotateDays: Int = 365,
                nextRotateTime: Int64 = 0, lastRotateTime: Int64 = 0, minDecryptionVersion: UInt32 = 1) {
        self.id = id; self.appId = appId; self.region = region; self.alias = alias; self.description = description
        self.keyUsage = keyUsage; self.origin = origin; self.state = state; self.creatorUin = creatorUin
        self.createTime = createTime; self.deletionDate = deletionDate; self.validTo = validTo
        self.currentVersion = currentVersion; self.rotationEnabled = rotationEnabled; self.rotateDays = rotateDays
        self.nextRotateTime = nextRotateTime; self.lastRotateTime = lastRotateTime
        self.minDecryptionVersion = minDecryptionVersion
    }

    /// The material versions: the latest (`currentVersion`) and the oldest that decrypts.
    public var versions: KeyVersions {
        get { KeyVersions(latest: currentVersion, minimumDecryption: minDecryptionVersion) }
        set {
            currentVersion = newValue.latest
            minDecryptionVersion = newValue.minimumDecryption
        }
    }

    /// What decides whether the key may be used now.
    public var status: KeyStatus {
        KeyStatus(state: state, origin: origin, validTo: validTo, currentVersion: currentVersion, deletionDate: deletionDate,
                  minDecryptionVersion: minDecryptionVersion, keyUsage: keyUsage)
    }

    /// The lifecycle as seen at `now` (see `KeyStatus.lifecycle`).
    public func lifecycle(now: Int64) -> KeyLifecycle { status.lifecycle(now: now) }
}

/// The part of a key that decides its use: all the key cache keeps besides the material.
public struct KeyStatus: Sendable, Equatable {
    public let state: KeyState
    public let origin: KeyOrigin
    public let validTo: Int64
    public let currentVersion: UInt32
    /// Unix seconds; 0 when no deletion is scheduled.
    public let deletionDate: Int64
    /// The oldest material version that still decrypts.
    public let minDecryptionVersion: UInt32
    /// What the key is for: which actions may use it at all.
    public let keyUsage: KeyUsage

    public init(state: KeyState, origin: KeyOrigin, validTo: Int64, currentVersion: UInt32, deletionDate: Int64 = 0,
                minDecryptionVersion: UInt32 = 1, keyUsage: KeyUsage = .encryptDecrypt) {
        self.keyUsage = keyUsage
        self.state = state
        self.origin = origin
        self.validTo = validTo
        self.currentVersion = currentVersion
        self.deletionDate = deletionDate
        self.minDecryptionVersion = minDecryptionVersion
    }

    /// The material versions as the key row had them when loaded.
    public var versions: KeyVersions { KeyVersions(latest: currentVersion, minimumDecryption: minDecryptionVersion) }

    /// Material is present and, when it has a ValidTo, not yet expired at `now`.
    public func hasUsableMaterial(now: Int64) -> Bool {
        currentVersion > 0 && (validTo == 0 || now < validTo)
    }

    /// A PendingDelete key whose DeletionDate has come no longer exists, whether or not the
    /// scheduled worker has destroyed its row yet (the same boundary the worker uses).
    public func isDeleted(now: Int64) -> Bool {
        state == .pendingDelete && deletionDate != 0 && now >= deletionDate
    }

    /// The lifecycle as seen at `now`: every deadline holds on arrival, before the scheduled
    /// worker acts. Expired material counts as none, so the key reads as PendingImport; a key past
    /// its DeletionDate is gone (every use and transition answers CmkNotFound).
    public func lifecycle(now: Int64) -> KeyLifecycle {
        let usable = hasUsableMaterial(now: now)
        let effective: KeyState = (origin == .external && !usable && state != .pendingDelete) ? .pendingImport : state
        return KeyLifecycle(state: effective, hasMaterial: usable, isDeleted: isDeleted(now: now), keyUsage: keyUsage)
    }
}

/// The tenant every stored row belongs to: an account in a region.
public struct Tenant: Hashable, Sendable {
    public let appId: Int64
    public let region: String
    public init(appId: Int64, region: String) { self.appId = appId; self.region = region }
}

/// The regions a deployment serves and the profile each runs, e.g. `ap-guangzhou=FIPS,ap-shanghai-fsi=SM`.
public struct RegionTable: Sendable {
    public let regions: [(name: String, profile: CryptoProfile)]

    public static let defaultSpec = "ap-guangzhou=FIPS,ap-beijing=FIPS,ap-shanghai-fsi=SM"

    public init(spec: String) throws {
        var out: [(String, CryptoProfile)] = []
        for entry in spec.split(separator: ",") {
            let parts = entry.split(separator: "=").map { $0.trimmingASCIIWhitespace() }
            guard parts.count == 2, !parts[0].isEmpty, let profile = CryptoProfile(rawValue: parts[1].uppercased()),
                  !out.contains(where: { $0.0 == parts[0] }) else {
                throw KMSError(.internalError, "invalid region entry '\(entry)'")
            }
            out.append((parts[0], profile))
        }
        guard !out.isEmpty else { throw KMSError(.internalError, "no regions configured") }
        regions = out
    }

    public func profile(of region: String) -> CryptoProfile? {
        regions.first { $0.name == region }?.profile
    }
}
