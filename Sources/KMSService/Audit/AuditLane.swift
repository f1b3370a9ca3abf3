import KMSCore
import KMSCrypto
import KMSStorage

/// One chain of audit records written by one writer at a time (a worker thread, or the buffered
/// writer). The head moves only after the records are known to be committed; after any doubt
/// (a failed insert or commit) the lane is abandoned and a fresh one begins, so a chain never forks.
public final class AuditLane {
    private let sealer: Sealer
    private(set) var id: String
    private var seq: Int64 = 0
    private var head = AuditRecord.genesisMAC

    /// A new lane, sealing its MACs with `sealer`'s audit key.
    public init(sealer: Sealer) {
        self.sealer = sealer
        id = AuditLane.newID()
    }

    static func newID() -> String { KeyID(random: Random.bytes(16)).description }

    /// Chains `records` after the current head without moving it.
    public func chain(_ records: [AuditRecord]) -> (rows: [ChainedAuditRecord], head: [UInt8], seq: Int64) {
        var mac = head
        var n = seq
        var rows: [ChainedAuditRecord] = []
        for record in records {
            n += 1
            mac = sealer.auditMAC(record.chainEncoding(lane: id, laneSeq: n, previousMAC: mac))
            rows.append(ChainedAuditRecord(lane: id, laneSeq: n, record: record, mac: mac))
        }
        return (rows, mac, n)
    }

    /// The chained records were committed.
    public func advance(to head: [UInt8], seq: Int64) {
        self.head = head
        self.seq = seq
    }

    /// Whether the records were committed is unknown: continue on a new lane.
    public func abandon() {
        id = AuditLane.newID()
        seq = 0
        head = AuditRecord.genesisMAC
    }
}

/// What one request contributes to its audit record; handlers may name the key they acted on.
public final class RequestAudit {
    /// The request's id, as answered.
    public let requestId: String
    let startedNanoseconds: UInt64
    /// The client's address.
    public let client: String
    /// The action, sanitised; "-" until the request parses.
    public var action = "-"
    /// The region, sanitised.
    public var region = ""
    /// The account, once the signature checked out.
    public var appId: Int64?
    /// The credential, once the signature checked out.
    public var secretId: String?
    /// The key the action named or acted on.
    public var keyID: KeyID?
    /// Who acted (the sub-user's Uin, else the root Uin), once the signature checked out.
    public var callerUin: Int64?
    /// The hosted data key the action named or acted on (a UUID, so a `KeyID`); its CMK is `keyID`.
    public var dataKeyID: KeyID?
    /// Set when the record was written inside the action's own transaction.
    public var written = false

    /// The audit of one request, starting its latency clock now.
    public init(requestId: String, client: String) {
        self.requestId = requestId
        self.client = client
        startedNanoseconds = DispatchTimeNow.nanoseconds
    }

    /// The record as it stands, with `result` (a Tencent error code or "Success").
    public func record(result: String) -> AuditRecord {
        AuditRecord(atMilliseconds: Int64(WallClock.milliseconds), requestId: requestId, appId: appId, secretId: secretId,
                    region: region, action: action, keyID: keyID, result: result, client: client,
                    latencyMicroseconds: Int64((DispatchTimeNow.nanoseconds - startedNanoseconds) / 1000), callerUin: callerUin,
                    dataKeyID: dataKeyID)
    }
}
