import Foundation
import KMSCore
import KMSCrypto
import Synchronization

/// Keys and their opened material versions, kept in memory so Encrypt and Decrypt need no
/// database round trip. Correctness rests on three rules:
/// - every change to a key or its material invalidates its entry: at once in the process that
///   made it, and in every other process through PostgreSQL notifications (`CacheInvalidator`);
/// - a load that raced with an invalidation is not stored (the generation check), so a stale
///   row can never be cached after the change that made it stale;
/// - time-dependent state (material expiry) is evaluated on every use, not cached.
/// Entries also expire after `lifetime` as a last line of defence, and none is used while `gate`
/// is closed (the invalidation channel down for longer than its `StalenessWindow`).
public final class KeyCache: @unchecked Sendable {
    /// Kept small (about 200 bytes with one material version): a deployment may have many keys.
    /// An asymmetric key's material is its PKCS#8 private key, kept parsed as well (`keyPair`),
    /// so signing does not parse it again on every request.
    struct Entry {
        var status: KeyStatus
        var materials: [(version: UInt32, material: SecureBytes, keyPair: PrivateKey?)]
        var loadedAt: UInt64
    }

    struct Slot: Hashable {
        let tenant: Tenant
        let keyID: KeyID
    }

    final class Stripe {
        let lock = NSLock()
        var entries: [Slot: Entry] = [:]
        /// Lookups answered from / not found in this stripe, counted under its lock (for `/metrics`).
        var hits: UInt64 = 0
        var misses: UInt64 = 0
    }

    private let stripes: [Stripe]
    private let generation = Atomic<UInt64>(0)
    let capacityPerStripe: Int
    let lifetime: UInt64
    /// Closed by `CacheInvalidator` when the entries can no longer be trusted.
    public let gate = CacheGate()

    /// A cache of at most about `capacity` keys, each kept at most `lifetimeSeconds`.
    public init(capacity: Int = 200_000, lifetimeSeconds: UInt64 = 300) {
        stripes = (0..<32).map { _ in Stripe() }
        capacityPerStripe = max(1, capacity / 32)
        lifetime = lifetimeSeconds * 1_000_000_000
    }

    private func stripe(_ slot: Slot) -> Stripe {
        stripes[Int(UInt(bitPattern: slot.hashValue) % UInt(stripes.count))]
    }

    /// Read before a database load; pass to `store` so a racing invalidation wins.
    public var currentGeneration: UInt64 { generation.load(ordering: .acquiring) }

    /// The key and the opened material of `version` (the newest when nil), if cached.
    public func lookup(_ tenant: Tenant, _ keyID: KeyID, version: UInt32?)
        -> (status: KeyStatus, version: UInt32, material: SecureBytes, keyPair: PrivateKey?)? {
        let slot = Slot(tenant: tenant, keyID: keyID)
        let s = stripe(slot)
        s.lock.lock()
        defer { s.lock.unlock() }
        guard let entry = s.entries[slot] else { s.misses &+= 1; return nil }
        let now = DispatchTimeNow.nanoseconds
        // Past the window the entry stays (the reconnection empties the cache): it is not used.
        guard gate.allows(now) else { s.misses &+= 1; return nil }
        guard now &- entry.loadedAt < lifetime else {
            s.entries[slot] = nil
            s.misses &+= 1
            return nil
        }
        let wanted = version ?? entry.status.currentVersion
        guard let found = entry.materials.first(where: { $0.version == wanted }) else { s.misses &+= 1; return nil }
        s.hits &+= 1
        return (entry.status, wanted, found.material, found.keyPair)
    }

    /// Stores a loaded key and one opened material version, unless an invalidation came after `seen`.
    public func store(_ key: CustomerMasterKey, version: UInt32, material: SecureBytes, keyPair: PrivateKey? = nil,
                      generation seen: UInt64) {
        let slot = Slot(tenant: Tenant(appId: key.appId, region: key.region), keyID: key.id)
        let s = stripe(slot)
        s.lock.lock()
        defer { s.lock.unlock() }
        // Checked under the stripe lock: an invalidation after `seen` means the row may be stale.
        guard generation.load(ordering: .acquiring) == seen else { return }
        if var entry = s.entries[slot], entry.status == key.status {
            if !entry.materials.contains(where: { $0.version == version }) { entry.materials.append((version, material, keyPair)) }
            s.entries[slot] = entry
        } else {
            if s.entries.count >= capacityPerStripe { s.entries.removeAll(keepingCapacity: true) }
            s.entries[slot] = Entry(status: key.status, materials: [(version, material, keyPair)], loadedAt: DispatchTimeNow.nanoseconds)
        }
    }

    /// Drops one key (it changed, here or in another process).
    public func invalidate(_ tenant: Tenant, _ keyID: KeyID) {
        let slot = Slot(tenant: tenant, keyID: keyID)
        let s = stripe(slot)
        s.lock.lock()
        generation.add(1, ordering: .releasing)
        s.entries[slot] = nil
        s.lock.unlock()
    }

    /// Drops every key (notifications may have been missed).
    public func invalidateAll() {
        for s in stripes {
            s.lock.lock()
            generation.add(1, ordering: .releasing)
            s.entries.removeAll()
            s.lock.unlock()
        }
    }

    /// Lookups so far that found what they wanted (`hits`) and that had to load it (`misses`).
    public var lookups: (hits: UInt64, misses: UInt64) {
        stripes.reduce((hits: UInt64(0), misses: UInt64(0))) { total, s in
            s.lock.lock()
            defer { s.lock.unlock() }
            return (total.hits &+ s.hits, total.misses &+ s.misses)
        }
    }

    /// Keys cached now.
    public var count: Int {
        stripes.reduce(0) { total, s in
            s.lock.lock()
            defer { s.lock.unlock() }
            return total + s.entries.count
        }
    }
}
