import Foundation
import KMSCore
import KMSStorage
import Synchronization

/// Verified-credential lookups without a database round trip: SecretId → account and opened
/// secret key (disabled credentials are cached too, so they stay cheap to refuse). Same rules as
/// `KeyCache`: invalidated on change in every process, generation-checked loads, bounded lifetime.
public final class CredentialCache: @unchecked Sendable {
    struct Entry {
        let row: CredentialRow
        let secretKey: SecureBytes
        let loadedAt: UInt64
    }

    private let lock = NSLock()
    private var entries: [String: Entry] = [:]
    private let generation = Atomic<UInt64>(0)
    let capacity: Int
    let lifetime: UInt64

    public init(capacity: Int = 100_000, lifetimeSeconds: UInt64 = 300) {
        self.capacity = capacity
        lifetime = lifetimeSeconds * 1_000_000_000
    }

    /// Read before a database load; pass to `store` so a racing invalidation wins.
    public var currentGeneration: UInt64 { generation.load(ordering: .acquiring) }

    /// The credential and its opened secret, if cached and not too old.
    public func lookup(_ secretId: String) -> (row: CredentialRow, secretKey: SecureBytes)? {
        lock.lock()
        defer { lock.unlock() }
        guard let entry = entries[secretId] else { return nil }
        guard DispatchTimeNow.nanoseconds &- entry.loadedAt < lifetime else {
            entries[secretId] = nil
            return nil
        }
        return (entry.row, entry.secretKey)
    }

    /// Stores a loaded credential, unless an invalidation came after `seen`.
    public func store(_ row: CredentialRow, secretKey: SecureBytes, generation seen: UInt64) {
        lock.lock()
        defer { lock.unlock() }
        guard generation.load(ordering: .acquiring) == seen else { return }
        if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
        entries[row.secretId] = Entry(row: row, secretKey: secretKey, loadedAt: DispatchTimeNow.nanoseconds)
    }

    public func invalidate(_ secretId: String) {
        lock.lock()
        generation.add(1, ordering: .releasing)
        entries[secretId] = nil
        lock.unlock()
    }

    public func invalidateAll() {
        lock.lock()
        generation.add(1, ordering: .releasing)
        entries.removeAll()
        lock.unlock()
    }
}
