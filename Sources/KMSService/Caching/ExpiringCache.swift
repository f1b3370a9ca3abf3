import Foundation
import KMSCore
import Synchronization

/// What `CredentialCache` and `AccessCache` share: entries that a change made anywhere must drop
/// (`CacheInvalidator`). A load reads `currentGeneration` first and passes it to `store`, so an
/// invalidation that races the load wins; an entry lives at most `lifetime`; at `capacity` the cache
/// starts over; while `gate` is closed (the invalidation channel down past its window) nothing is
/// served. One lock: lookups are a dictionary probe under it.
final class ExpiringCache<Key: Hashable, Value>: @unchecked Sendable {
    private struct Entry {
        let value: Value
        let loadedAt: UInt64
    }

    private let lock = NSLock()
    private var entries: [Key: Entry] = [:]
    private let generation = Atomic<UInt64>(0)
    let capacity: Int
    let lifetime: UInt64
    /// Closed by `CacheInvalidator` when the entries can no longer be trusted.
    let gate = CacheGate()

    init(capacity: Int, lifetimeSeconds: UInt64) {
        self.capacity = capacity
        lifetime = lifetimeSeconds * 1_000_000_000
    }

    /// Read before a database load; pass to `store`.
    var currentGeneration: UInt64 { generation.load(ordering: .acquiring) }

    /// The value, if cached and not too old.
    func lookup(_ key: Key) -> Value? {
        lock.lock()
        defer { lock.unlock() }
        guard let entry = entries[key] else { return nil }
        let now = DispatchTimeNow.nanoseconds
        guard gate.allows(now) else { return nil }
        guard now &- entry.loadedAt < lifetime else {
            entries[key] = nil
            return nil
        }
        return entry.value
    }

    /// Stores a loaded value, unless an invalidation came after `seen`.
    func store(_ key: Key, _ value: Value, generation seen: UInt64) {
        lock.lock()
        defer { lock.unlock() }
        guard generation.load(ordering: .acquiring) == seen else { return }
        if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
        entries[key] = Entry(value: value, loadedAt: DispatchTimeNow.nanoseconds)
    }

    func invalidate(_ key: Key) {
        lock.lock()
        generation.add(1, ordering: .releasing)
        entries[key] = nil
        lock.unlock()
    }

    /// Drops every entry whose key matches.
    func invalidate(where matches: (Key) -> Bool) {
        lock.lock()
        generation.add(1, ordering: .releasing)
        entries = entries.filter { !matches($0.key) }
        lock.unlock()
    }

    func invalidateAll() {
        lock.lock()
        generation.add(1, ordering: .releasing)
        entries.removeAll()
        lock.unlock()
    }
}
