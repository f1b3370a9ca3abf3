import KMSCore

/// A checkpoint of the audit chain at an archive's cut (SQL/008): where each lane's chain stood
/// when the records up to `cutSeq` were archived and pruned.
public struct AuditCheckpoint: Sendable, Equatable {
    public var id: Int64
    public var cutSeq: Int64
    public var beforeMilliseconds: Int64
    public var archived: Int64
    public var createdMilliseconds: Int64
    /// One "lane lane_seq hex(mac)" line per lane, sorted by lane (the text the MAC covers).
    public var heads: String
    public var previousMAC: [UInt8]
    public var mac: [UInt8]
    public init(id: Int64 = 0, cutSeq: Int64, beforeMilliseconds: Int64, archived: Int64, createdMilliseconds: Int64,
                heads: String, previousMAC: [UInt8], mac: [UInt8]) {
        self.id = id; self.cutSeq = cutSeq; self.beforeMilliseconds = beforeMilliseconds; self.archived = archived
        self.createdMilliseconds = createdMilliseconds; self.heads = heads; self.previousMAC = previousMAC; self.mac = mac
    }
}

/// Every checkpoint, oldest first (they are few: one per archive run).
public struct ListAuditCheckpoints: Statement {
    public static let sql = """
        SELECT id, cut_seq, before_ms, archived, created_ms, heads, previous_mac, mac FROM audit_checkpoint ORDER BY id
        """
    public init() {}
    public var bindings: [String?] { [] }
    public func decode(_ r: QueryResult) throws -> [AuditCheckpoint] {
        (0..<r.rowCount).map { i in
            AuditCheckpoint(id: r.int64(i, 0), cutSeq: r.int64(i, 1), beforeMilliseconds: r.int64(i, 2), archived: r.int64(i, 3),
                            createdMilliseconds: r.int64(i, 4), heads: r.string(i, 5) ?? "", previousMAC: r.bytes(i, 6) ?? [],
                            mac: r.bytes(i, 7) ?? [])
        }
    }
}

public struct InsertAuditCheckpoint: Statement {
    public static let sql = """
        INSERT INTO audit_checkpoint (cut_seq, before_ms, archived, created_ms, heads, previous_mac, mac)
        VALUES ($1, $2, $3, $4, $5, $6::bytea, $7::bytea)
        """
    public let checkpoint: AuditCheckpoint
    public init(_ checkpoint: AuditCheckpoint) { self.checkpoint = checkpoint }
    public var bindings: [String?] {
        let c = checkpoint
        return [String(c.cutSeq), String(c.beforeMilliseconds), String(c.archived), String(c.createdMilliseconds), c.heads,
                Bytea.encode(c.previousMAC), Bytea.encode(c.mac)]
    }
    public func decode(_ result: QueryResult) throws {}
}

/// Holds off every audit insert until the archiving transaction ends, and waits for those in
/// flight: a record committed late with a sequence number below the cut would be lost to verify.
public struct LockAuditLog: Statement {
    public static let sql = "LOCK TABLE audit_log IN SHARE MODE"
    public init() {}
    public var bindings: [String?] { [] }
    public func decode(_ result: QueryResult) throws {}
}

/// The last seq of the prefix of the trail older than `beforeMilliseconds`: the archive cut.
/// A prefix in seq order is a prefix of every lane (each lane is written in order).
public struct AuditCut: Statement {
    public static let sql = """
        SELECT COALESCE((SELECT min(seq) FROM audit_log WHERE at_ms >= $1) - 1, (SELECT max(seq) FROM audit_log), 0)
        """
    public let beforeMilliseconds: Int64
    public init(beforeMilliseconds: Int64) { self.beforeMilliseconds = beforeMilliseconds }
    public var bindings: [String?] { [String(beforeMilliseconds)] }
    public func decode(_ r: QueryResult) throws -> Int64 { r.int64(0, 0) }
}

public struct DeleteAuditRecords: Statement {
    public static let sql = "DELETE FROM audit_log WHERE seq <= $1"
    public let throughSeq: Int64
    public init(throughSeq: Int64) { self.throughSeq = throughSeq }
    public var bindings: [String?] { [String(throughSeq)] }
    public func decode(_ r: QueryResult) throws -> Int { r.affectedRows }
}
