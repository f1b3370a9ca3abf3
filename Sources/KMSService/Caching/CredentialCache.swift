import KMSCore
import KMSStorage

/// Verified-credential lookups without a database round trip: SecretId → account and opened
/// secret key (disabled credentials are cached too, so they stay cheap to refuse). Same rules as
/// `KeyCache`: invalidated on change in every process, generation-checked loads, bounded lifetime
/// (`ExpiringCache`).
public final class CredentialCache: @unchecked Sendable {
    private let cache: ExpiringCache<String, (row: CredentialRow, secretKey: SecureBytes)>

    public init(capacity: Int = 100_000, lifetimeSeconds: UInt64 = 300) {
        cache = ExpiringCache(capacity: capacity, lifetimeSeconds: lifetimeSeconds)
    }

    /// Read before a database load; pass to `store` so a racing invalidation wins.
    public var currentGeneration: UInt64 { cache.currentGeneration }

    /// The credential and its opened secret, if cached and not too old.
    public func lookup(_ secretId: String) -> (row: CredentialRow, secretKey: SecureBytes)? { cache.lookup(secretId) }

    /// Stores a loaded credential, unless an invalidation came after `seen`.
    public func store(_ row: CredentialRow, secretKey: SecureBytes, generation seen: UInt64) {
        cache.store(row.secretId, (row, secretKey), generation: seen)
    }

    public func invalidate(_ secretId: String) { cache.invalidate(secretId) }

    public func invalidateAll() { cache.invalidateAll() }

    /// Closed by `CacheInvalidator` when the entries can no longer be trusted.
    public var gate: CacheGate { cache.gate }
}
