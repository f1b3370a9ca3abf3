import Foundation
import KMSCore
import KMSStorage

/// Listens for the database's change notifications and drops the named cache entries, so a
/// change made by any process reaches this one's caches within moments (well under a second).
/// While the listening connection is down (a PostgreSQL failover) the caches go on serving for at
/// most `window.seconds` after it broke, then serve nothing (`StalenessWindow`); once listening
/// resumes they are emptied, since notifications sent in between are lost. A window of 0 empties
/// them the moment the connection breaks.
public final class CacheInvalidator: @unchecked Sendable {
    let keys: KeyCache
    let credentials: CredentialCache
    let access: AccessCache
    let conninfo: String
    /// Owned by the listening thread.
    private var window: StalenessWindow
    private let lock = NSLock()
    private var running = false

    /// Listens on its own connection to `conninfo` and invalidates `keys`, `credentials` and `access`;
    /// while it cannot, they serve for at most `staleSeconds` (KMS_CACHE_STALE_SECONDS).
    public init(keys: KeyCache, credentials: CredentialCache, access: AccessCache, conninfo: String, staleSeconds: UInt64) {
        self.keys = keys
        self.credentials = credentials
        self.access = access
        self.conninfo = conninfo
        window = StalenessWindow(seconds: staleSeconds)
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
                // Anything cached before LISTEN took effect, or kept while blind, may have missed its
                // notification: emptied before the gates open again.
                emptyCaches()
                if window.isBlind {
                    window.channelRestored()
                    setGates(until: window.usableUntil)
                    Log.event("cache_invalidation_restored", .info, ["action": "caches emptied, listening again"])
                }
                while isRunning {
                    for note in try connection.notifications(timeout: 0.5) { apply(channel: note.channel, payload: note.payload) }
                }
            } catch {
                let action: String
                switch window.channelLost(at: DispatchTimeNow.nanoseconds) {
                case .emptyNow:
                    emptyCaches()
                    action = "caches emptied, reconnecting"
                case .serveUntil(let instant):
                    setGates(until: instant)
                    let left = Double(instant &- min(instant, DispatchTimeNow.nanoseconds)) / 1e9
                    action = left > 0 ? "caches kept for \(String(format: "%.1f", left)) s more, reconnecting"
                        : "caches past their \(window.seconds) s window: not used, reconnecting"
                }
                Log.event("cache_invalidation_lost", .warning, ["error": .string(Log.describe(error)), "action": .string(action)])
                Thread.sleep(forTimeInterval: 0.5)
            }
        }
    }

    private func emptyCaches() {
        keys.invalidateAll()
        credentials.invalidateAll()
        access.invalidateAll()
    }

    private func setGates(until instant: UInt64) {
        for gate in [keys.gate, credentials.gate, access.gate] { gate.allow(until: instant) }
    }
}
