import KMSCore
import KMSStorage

/// The audit record of a state-changing request, inserted just before its transaction's COMMIT
/// so the change and its record are durable together or not at all. Written once per request:
/// a second transaction of the same request adds no second record.
public final class TransactionAudit {
    let request: RequestAudit
    let lane: AuditLane
    private var chained: (rows: [ChainedAuditRecord], head: [UInt8], seq: Int64)? = nil

    /// The record of `request`, chained on `lane` (the worker's own).
    public init(request: RequestAudit, lane: AuditLane) {
        self.request = request
        self.lane = lane
    }

    /// Queues the success record, unless this request's record is already written.
    func beforeCommit(_ db: Database) throws {
        guard !request.written else { return }
        let chained = lane.chain([request.record(result: "Success")])
        self.chained = chained
        try db.enqueue(InsertAuditRecords(chained.rows))
    }

    /// The transaction committed: the lane moves on and the record counts as written.
    func committed() {
        guard let chained else { return }
        lane.advance(to: chained.head, seq: chained.seq)
        request.written = true
        self.chained = nil
    }

    /// The transaction failed after the record may have been sent: whether it committed is
    /// unknown, so the lane cannot continue.
    func failed() {
        guard chained != nil else { return }
        lane.abandon()
        chained = nil
    }
}
