import KMSAccess
import KMSCore
import KMSStorage

/// Each sub-user's attached policies, compiled (`PolicySet`), so deciding a request costs no
/// database round trip. Same rules as `CredentialCache`: an attach, detach, policy change or user
/// deletion notifies (`kms_access_changed`, payload the account) and every process drops that
/// account's entries (`CacheInvalidator`); loads are generation-checked so a racing invalidation
/// wins; entries live at most `lifetimeSeconds`.
public final class AccessCache: @unchecked Sendable {
    struct Principal: Hashable {
        let appId: Int64
        let userUin: Int64
    }

    private let cache: ExpiringCache<Principal, PolicySet>

    public init(capacity: Int = 100_000, lifetimeSeconds: UInt64 = 300) {
        cache = ExpiringCache(capacity: capacity, lifetimeSeconds: lifetimeSeconds)
    }

    /// The sub-user's policies: cached, or loaded over `database` in the account's scope.
    public func policies(appId: Int64, userUin: Int64, database: Database) throws -> PolicySet {
        let principal = Principal(appId: appId, userUin: userUin)
        if let cached = cache.lookup(principal) { return cached }
        let seen = cache.currentGeneration
        let texts = try database.query(tenant: Tenant(appId: appId, region: ""), AttachedPolicyDocuments(userUin: userUin))
        var documents: [PolicyDocument] = []
        for text in texts {
            // Every stored document was validated when it was created. One that no longer parses
            // (a stricter engine after an upgrade) grants nothing, and says so once per load.
            do { documents.append(try PolicyDocument.parse(text)) } catch {
                Log.event("policy_unreadable", .warning, ["app_id": .int(appId), "uin": .int(userUin),
                                                           "error": .string(Log.describe(error))])
            }
        }
        let policies = PolicySet(documents)
        cache.store(principal, policies, generation: seen)
        return policies
    }

    /// Drops every sub-user of the account (their policies changed).
    public func invalidate(appId: Int64) { cache.invalidate { $0.appId == appId } }

    public func invalidateAll() { cache.invalidateAll() }

    /// Closed by `CacheInvalidator` when the entries can no longer be trusted.
    public var gate: CacheGate { cache.gate }
}
