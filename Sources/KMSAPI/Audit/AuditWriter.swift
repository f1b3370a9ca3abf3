import Foundation
import KMSCore
import KMSCrypto
import KMSStorage

/// Writes the audit records of requests that change nothing (Encrypt, Decrypt, Describe…, and
/// every failed request) in batches, off the request path: a request only appends to a queue.
/// The trade-off, documented: up to `interval` of such records can be lost if the process is
/// killed. Records of state changes never take this path; they commit with the change.
public final class AuditWriter: @unchecked Sendable {
    private let condition = NSCondition()
    private var queue: [AuditRecord] = []
    private var running = false
    private var finished = true
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
        condition.lock()
        if queue.count < AuditWriter.maximumQueued { queue.append(record) }
        condition.unlock()
    }

    /// Writes what is queued now; false if the database refused (the records stay queued).
    @discardableResult
    public func flush() -> Bool {
        condition.lock()
        let batch = queue
        condition.unlock()
        guard !batch.isEmpty else { return true }
        let chained = lane.chain(batch)
        do {
            if database == nil { database = try makeDatabase() }
            try database!.transaction(tenant: nil) { try $0.run(InsertAuditRecords(chained.rows)) }
            lane.advance(to: chained.head, seq: chained.seq)
            condition.lock()
            queue.removeFirst(min(batch.count, queue.count))
            condition.unlock()
            return true
        } catch {
            lane.abandon()
            Log.error("audit: writing \(batch.count) records failed (kept for retry): \(error)")
            return false
        }
    }

    /// Flushes every `interval` seconds on its own thread until `stop()`, which flushes once more.
    public func start(interval: TimeInterval = 0.2) {
        condition.lock()
        defer { condition.unlock() }
        guard !running else { return }
        running = true
        finished = false
        let thread = Thread { [self] in
            while true {
                condition.lock()
                if running { _ = condition.wait(until: Date(timeIntervalSinceNow: interval)) }
                let keepGoing = running
                condition.unlock()
                flush()
                if !keepGoing { break }
            }
            condition.lock()
            finished = true
            condition.broadcast()
            condition.unlock()
        }
        thread.name = "audit-writer"
        thread.start()
    }

    public func stop() {
        condition.lock()
        running = false
        condition.broadcast()
        while !finished { condition.wait() }
        condition.unlock()
    }
}
