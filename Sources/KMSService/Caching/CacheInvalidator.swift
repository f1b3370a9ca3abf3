import Foundation
import KMSCore
import KMSStorage

/// Listens for the database's change notifications and drops the named cache entries, so a
/// change made by any process reaches this one's caches within moments (well under a second).
/// While the listening connection is down nothing can be trusted: both caches are emptied, and
/// emptied again once listening resumes (notifications sent in between are lost).
public final class CacheInvalidator: @unchecked Sendable {
    let keys: KeyCache
    let credentials: CredentialCache
    let access: AccessCache
    let conninfo: String
    private let lock = NSLock()
    private var running = false

    /// Listens on its own connection to `conninfo` and invalidates `keys`, `credentials` and `access`.
    public init(keys: KeyCache, credentials: CredentialCache, access: AccessCache, conninfo: String) {
        self.keys = keys
        self.credentials = credentials
        self.access = access
        self.conninfo = conninfo
    }

    /// Applies one notification.
    func apply(channel: String, payload: String) {
        switch channel {
        case "kms_credential_changed":
            // '*': an account changed (disabled or enabled), which every credential of it follows.
            if payload == "*" { credentials.invalidateAll() } else { credentials.invalidate(payload) }
        case "kms_access_changed":
            if let appId = Int64(payload) { access.invalidate(appId: appId) } else { access.invalidateAll() }
        case "kms_key_changed":
            let parts = payload.split(separator: "/", maxSplits: 2).map(String.init)
            guard parts.count == 3, let appId = Int64(parts[0]), let id = KeyID(parts[2]) else {
                keys.invalidateAll()
                return
            }
            keys.invalidate(Tenant(appId: appId, region: parts[1]), id)
        default:
            break
        }
    }

    public func start() {
        lock.lock()
        running = true
        lock.unlock()
        let thread = Thread { [self] in run() }
        thread.name = "cache-invalidator"
        thread.start()
    }

    public func stop() {
        lock.lock()
        running = false
        lock.unlock()
    }

    private var isRunning: Bool {
        lock.lock()
        defer { lock.unlock() }
        return running
    }

    private func run() {
        while isRunning {
            do {
                let connection = try PostgresConnection(conninfo: conninfo)
                try connection.listen("kms_key_changed")
                try connection.listen("kms_credential_changed")
                try connection.listen("kms_access_changed")
                // Anything cached before LISTEN took effect may have missed its notification.
                keys.invalidateAll()
                credentials.invalidateAll()
                access.invalidateAll()
                while isRunning {
                    for note in try connection.notifications(timeout: 0.5) { apply(channel: note.channel, payload: note.payload) }
                }
            } catch {
                keys.invalidateAll()
                credentials.invalidateAll()
                access.invalidateAll()
                Log.event("cache_invalidation_lost", .warning, ["error": .string(Log.describe(error)), "action": "caches emptied, reconnecting"])
                Thread.sleep(forTimeInterval: 0.5)
            }
        }
    }
}
