#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization
import KMSCrypto
import KMSStorage

/// Keeps `ReadinessFacts` current from a thread of its own, once a second, on one connection of
/// its own: a probe only reads the last facts, so it costs no connection, no query and no wait,
/// however often a load balancer asks and whatever state PostgreSQL is in.
///
/// The master-key census (a scan of every sealed column) runs at start, whenever the loaded key
/// ids change and after every reconnection (the database may have been restored meanwhile), not
/// per check.
public final class ReadinessMonitor: @unchecked Sendable {
    private let conninfo: String
    private let sealer: Sealer
    private let facts = Mutex(ReadinessFacts())
    /// The reason last logged ("" = ready), so a change is logged once, not every second.
    private var logged: String? = nil
    private var censusFailureLogged = false

    /// Checks the database at `conninfo` and the keys `sealer` holds.
    public init(conninfo: String, sealer: Sealer) {
        self.conninfo = ReadinessMonitor.withConnectTimeout(conninfo)
        self.sealer = sealer
    }

    /// Nil when ready, else the reason (see `Readiness`).
    public var notReadyReason: String? {
        let current = facts.withLock { $0 }
        return Readiness.reason(current, now: ReadinessMonitor.monotonicMilliseconds())
    }

    /// Starts the checking thread (it runs until the process exits).
    public func start() {
        let thread = Thread { [self] in
            var database: Database? = nil
            var censusFor: Set<Int>? = nil
            while true {
                check(&database, &censusFor)
                Thread.sleep(forTimeInterval: 1)
            }
        }
        thread.name = "readiness"
        thread.start()
    }

    /// One check. `censusFor`: the loaded ids the current census was taken with (nil: none yet).
    private func check(_ database: inout Database?, _ censusFor: inout Set<Int>?) {
        let loaded = Set(sealer.keyIds.map(Int.init))
        var state: ReadinessFacts.Database
        var referenced = facts.withLock { $0.referencedKeyIds }
        do {
            let db: Database
            if let database { db = database } else {
                db = try Database(conninfo: conninfo)
                database = db
                censusFor = nil
            }
            let writable = try db.run(CheckWritable())
            state = writable.inRecovery ? .inRecovery : writable.readOnly ? .readOnly : .writable
            if censusFor != loaded {
                do {
                    referenced = try db.run(ListReferencedMasterKeys())
                    censusFor = loaded
                    censusFailureLogged = false
                } catch {
                    // Logged once, not every second; the reason says the keys are not counted.
                    if !censusFailureLogged { Log.error("readiness: master key census failed: \(error)") }
                    censusFailureLogged = true
                    referenced = nil
                }
            }
        } catch {
            // A fresh connection next time, and a fresh census with it.
            database = nil
            state = .unreachable
        }
        let now = ReadinessMonitor.monotonicMilliseconds()
        let updated = facts.withLock { facts -> ReadinessFacts in
            facts = ReadinessFacts(database: state, checkedAt: now, referencedKeyIds: referenced, loadedKeyIds: loaded)
            return facts
        }
        let reason = Readiness.reason(updated, now: now) ?? ""
        if reason != logged {
            if reason.isEmpty { Log.info("readiness: ready") } else { Log.warning("readiness: not ready: \(reason)") }
            logged = reason
        }
    }

    /// The monitor's connection gives up on a server that does not answer within 2 s.
    static func withConnectTimeout(_ conninfo: String) -> String {
        guard !conninfo.contains("connect_timeout") else { return conninfo }
        if conninfo.hasPrefix("postgresql://") || conninfo.hasPrefix("postgres://") {
            return conninfo + (conninfo.contains("?") ? "&" : "?") + "connect_timeout=2"
        }
        return conninfo + " connect_timeout=2"
    }

    static func monotonicMilliseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }
}
