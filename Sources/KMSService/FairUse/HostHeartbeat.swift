import Foundation
import Synchronization
import KMSCore
import KMSStorage

/// This responder host's heartbeat in PostgreSQL (migration 015), from a thread of its own on a
/// connection of its own: once a second it stamps its row and counts the live hosts into
/// `share`. Requests never wait on it. When the database cannot be reached the host keeps the
/// last count it found (it cannot know better, and its peers may be in the same state).
public final class HostHeartbeat: @unchecked Sendable {
    public let host: String
    private let conninfo: String
    private let share: HostShare
    private let interval: Double
    private let stopping = Atomic<Bool>(false)
    private let started = Atomic<Bool>(false)
    /// Cuts the pause between beats short when stopping.
    private let wake = DispatchSemaphore(value: 0)
    /// Signalled by the thread once it has removed the row.
    private let stopped = DispatchSemaphore(value: 0)
    private var smoothing = HostCountSmoothing()
    private var failing = false

    /// `host`: this host's name in the deployment (`--host-name`), 1-63 of A-Z a-z 0-9 . _ -.
    public init(host: String, conninfo: String, share: HostShare, interval: Double = 1) {
        self.host = host
        self.conninfo = ReadinessMonitor.withConnectTimeout(conninfo)
        self.share = share
        self.interval = interval
    }

    public static func validName(_ name: String) -> Bool {
        (1...63).contains(name.utf8.count) && name.utf8.allSatisfy {
            ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2E || $0 == 0x5F || $0 == 0x2D
        }
    }

    public func start() {
        started.store(true, ordering: .relaxed)
        let thread = Thread { [self] in
            var database: Database? = nil
            while !stopping.load(ordering: .relaxed) {
                beat(&database)
                _ = wake.wait(timeout: .now() + interval)
            }
            // The last act of the only writer of this host's row: no beat can come after it.
            // Best effort: if it fails the row goes stale (not live after the freshness window).
            if let db = database ?? (try? Database(conninfo: conninfo)) { _ = try? db.run(ForgetHeartbeat(host: host)) }
            stopped.signal()
        }
        thread.name = "heartbeat"
        thread.start()
    }

    /// Stops beating and waits (up to `timeout` seconds) until the thread has removed this host's
    /// row, so the other hosts take its share at once.
    public func stop(timeout: Double = 3) {
        // Once; and a heartbeat never started has no row and no thread to wait for.
        guard !stopping.exchange(true, ordering: .relaxed), started.load(ordering: .relaxed) else { return }
        wake.signal()
        _ = stopped.wait(timeout: .now() + timeout)
    }

    private func beat(_ database: inout Database?) {
        do {
            let db: Database
            if let database { db = database } else {
                db = try Database(conninfo: conninfo)
                database = db
            }
            let (reference, others) = try db.run(RecordHeartbeat(host: host))
            let count = smoothing.observe(LiveHosts.count(others: others, reference: reference))
            let before = share.liveHosts
            share.update(liveHosts: count)
            if share.liveHosts != before || failing {
                Log.event("live_hosts", .info, ["host": .string(host), "live_hosts": .int(Int64(share.liveHosts))])
            }
            failing = false
        } catch {
            database = nil
            if !failing {
                Log.event("heartbeat_failed", .warning, ["host": .string(host), "live_hosts_kept": .int(Int64(share.liveHosts)),
                                                       "error": .string(Log.describe(error))])
            }
            failing = true
        }
    }
}
