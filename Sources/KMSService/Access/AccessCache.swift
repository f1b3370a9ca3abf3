import Foundation
import KMSAccess
import KMSCore
import KMSStorage
import Synchronization

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
    struct Entry {
        let policies: PolicySet
        let loadedAt: UInt64
    }

    private let lock = NSLock()
    private var entries: [Principal: Entry] = [:]
    private let generation = Atomic<UInt64>(0)
    let capacity: Int
    let lifetime: UInt64

    public init(capacity: Int = 100_000, lifetimeSeconds: UInt64 = 300) {
        self.capacity = capacity
        lifetime = lifetimeSeconds * 1_000_000_000
    }

    /// The sub-user's policies: cached, or loaded over `database` in the account's scope.
    public func policies(appId: Int64, userUin: Int64, database: Database) throws -> PolicySet {
        let principal = Principal(appId: appId, userUin: userUin)
        if let cached = lookup(principal) { return cached }
        let seen = generation.load(ordering: .acquiring)
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
        store(principal, policies, generation: seen)
        return policies
    }

    func lookup(_ principal: Principal) -> PolicySet? {
        lock.lock()
        defer { lock.unlock() }
        guard let entry = entries[principal] else { return nil }
        guard DispatchTimeNow.nanoseconds &- entry.loadedAt < lifetime else {
            entries[principal] = nil
            return nil
        }
        return entry.policies
    }

    func store(_ principal: Principal, _ policies: PolicySet, generation seen: UInt64) {
        lock.lock()
        defer { lock.unlock() }
        guard generation.load(ordering: .acquiring) == seen else { return }
        if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
        entries[principal] = Entry(policies: policies, loadedAt: DispatchTimeNow.nanoseconds)
    }

    /// Drops every sub-user of the account (their policies changed).
    public func invalidate(appId: Int64) {
        lock.lock()
        generation.add(1, ordering: .releasing)
        entries = entries.filter { $0.key.appId != appId }
        lock.unlock()
    }

    public func invalidateAll() {
        lock.lock()
        generation.add(1, ordering: .releasing)
        entries.removeAll()
        lock.unlock()
    }
}
