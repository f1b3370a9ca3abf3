import Foundation
import KMSCore
import KMSCrypto
import KMSStorage

/// Writes the audit records of requests that change nothing (Encrypt, Decrypt, Describe…, and
/// every failed request) in batches, off the request path: a request only appends to a queue.
/// The trade-off, documented: what was queued since the last batch (every 50 ms) can be lost if
/// the process is killed. Records of state changes never take this path; they commit with the change.
public final class AuditWriter: @unchecked Sendable {
    private let lock = NSLock()
    /// One flush at a time: the lane is a single chain.
    private let flushing = NSLock()
    private var queue: [AuditRecord] = []
    /// Records dropped because the queue was full (the database unreachable for long); reported at the next flush.
    private var dropped = 0
    private let lane: AuditLane
    private let makeDatabase: () throws -> Database
    private var database: Database?
    /// Upper bound on records held in memory while the database is unreachable.
    static let maximumQueued = 100_000

    public init(sealer: Sealer, makeDatabase: @escaping () throws -> Database) {
        lane = AuditLane(sealer: sealer)
        self.makeDatabase = makeDatabase
    }

    func enqueue(_ record: AuditRecord) {
        lock.lock()
        if queue.count < AuditWriter.maximumQueued { queue.append(record) } else { dropped += 1 }
        lock.unlock()
    }

    /// Writes what is queued now; false if the database refused (the records stay queued).
    @discardableResult
    public func flush() -> Bool {
        flushing.lock()
        defer { flushing.unlock() }
        lock.lock()
        let batch = queue
        let lost = dropped
        dropped = 0
        lock.unlock()
        if lost > 0 { Log.error("audit: \(lost) records of read-only or failed requests were dropped: the queue was full") }
        guard !batch.isEmpty else { return true }
        let chained = lane.chain(batch)
        do {
            if database == nil { database = try makeDatabase() }
            try database!.copy(AuditRecordsCopy.sql, rows: AuditRecordsCopy.rows(chained.rows))
            lane.advance(to: chained.head, seq: chained.seq)
            lock.lock()
            queue.removeFirst(min(batch.count, queue.count))
            lock.unlock()
            return true
        } catch {
            lane.abandon()
            Log.error("audit: writing \(batch.count) records failed (kept for retry): \(error)")
            return false
        }
    }

    /// Small, frequent batches: one large batch every 200 ms stalled the workers long enough to show in p99.
    private lazy var thread = PeriodicThread(name: "audit-writer", interval: 0.05) { [unowned self] in flush() }

    /// Flushes every 50 ms on its own thread until `stop()`, which flushes once more.
    public func start() { thread.start() }

    public func stop() { thread.stop() }
}
