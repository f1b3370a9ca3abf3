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
    /// Records of unauthenticated requests, summarised before they reach the queue.
    private var failures: FailureSummaries
    private var stopping = false
    /// Records dropped because the queue was full (the database unreachable for long); reported at the next flush.
    private var dropped = 0
    /// Every record ever dropped (never reset; `kms_audit_dropped_total`).
    private var droppedTotal: UInt64 = 0
    private let lane: AuditLane
    private let makeDatabase: () throws -> Database
    private var database: Database?
    /// Upper bound on records held in memory while the database is unreachable.
    static let maximumQueued = 100_000

    /// `failureInterval`: seconds over which unauthenticated failures are summed into one record
    /// per source address, action and error code.
    public init(sealer: Sealer, failureInterval: Double = 10, makeDatabase: @escaping () throws -> Database) {
        failures = FailureSummaries(interval: UInt64(max(0, failureInterval) * 1_000_000_000))
        lane = AuditLane(sealer: sealer)
        self.makeDatabase = makeDatabase
    }

    /// Queues the record of a request that changed nothing; written with the next batch.
    public func enqueue(_ record: AuditRecord) {
        lock.lock()
        if queue.count < AuditWriter.maximumQueued { queue.append(record) } else { dropped += 1; droppedTotal &+= 1 }
        lock.unlock()
    }

    /// A request that never authenticated: counted into its summary, not written on its own.
    public func enqueueUnauthenticated(_ record: AuditRecord) {
        lock.lock()
        failures.add(record, now: DispatchTimeNow.nanoseconds)
        lock.unlock()
    }

    /// Writes what is queued now, and the failure summaries whose interval ended (all of them
    /// with `summaries`, and when stopping); false if the database refused (the records stay queued).
    @discardableResult
    public func flush(summaries force: Bool = false) -> Bool {
        flushing.lock()
        defer { flushing.unlock() }
        lock.lock()
        let summaries = failures.drain(now: DispatchTimeNow.nanoseconds, force: force || stopping)
        if queue.count + summaries.count <= AuditWriter.maximumQueued { queue.append(contentsOf: summaries) } else {
            dropped += summaries.count
            droppedTotal &+= UInt64(summaries.count)
        }
        let batch = queue
        let lost = dropped
        dropped = 0
        lock.unlock()
        if lost > 0 { Log.event("audit_records_dropped", .error, ["count": .int(Int64(lost)), "reason": "queue full"]) }
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
            Log.event("audit_write_failed", .error, ["count": .int(Int64(batch.count)), "error": .string(Log.describe(error))])
            return false
        }
    }

    /// Records waiting for the next batch, and every record dropped so far because the queue was full.
    public var queueState: (depth: Int, dropped: UInt64) {
        lock.lock()
        defer { lock.unlock() }
        return (queue.count, droppedTotal)
    }

    /// Small, frequent batches: one large batch every 200 ms stalled the workers long enough to show in p99.
    private lazy var thread = PeriodicThread(name: "audit-writer", interval: 0.05) { [unowned self] in flush() }

    /// Flushes every 50 ms on its own thread until `stop()`, which flushes once more.
    public func start() { thread.start() }

    /// Stops the writing thread (a pass while stopping writes every open summary).
    public func stop() {
        lock.lock()
        stopping = true
        lock.unlock()
        thread.stop()
    }
}
