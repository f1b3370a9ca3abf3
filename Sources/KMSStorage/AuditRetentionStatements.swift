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
    public var bindings: [PostgresValue] { [] }
    public func decode(_ r: QueryResult) throws -> [AuditCheckpoint] {
        try r.rows.map { row in
            AuditCheckpoint(id: try row.decode(Int64.self, "id"), cutSeq: try row.decode(Int64.self, "cut_seq"),
                            beforeMilliseconds: try row.decode(Int64.self, "before_ms"), archived: try row.decode(Int64.self, "archived"),
                            createdMilliseconds: try row.decode(Int64.self, "created_ms"), heads: try row.decode(String.self, "heads"),
                            previousMAC: try row.decode([UInt8].self, "previous_mac"), mac: try row.decode([UInt8].self, "mac"))
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
    public var bindings: [PostgresValue] {
        let c = checkpoint
        return [.int64(c.cutSeq), .int64(c.beforeMilliseconds), .int64(c.archived), .int64(c.createdMilliseconds), .text(c.heads),
                .bytes(c.previousMAC), .bytes(c.mac)]
    }
    public func decode(_ result: QueryResult) throws {}
}

/// Holds off every audit insert until the archiving transaction ends, and waits for those in
/// flight: a record committed late with a sequence number below the cut would be lost to verify.
public struct LockAuditLog: Statement {
    public static let sql = "LOCK TABLE audit_log IN SHARE MODE"
    public init() {}
    public var bindings: [PostgresValue] { [] }
    public func decode(_ result: QueryResult) throws {}
}

/// The last seq of the prefix of the trail older than `beforeMilliseconds`: the archive cut.
/// A prefix in seq order is a prefix of every lane (each lane is written in order).
public struct AuditCut: Statement {
    public static let sql = """
        SELECT COALESCE((SELECT min(seq) FROM audit_log WHERE at_ms >= $1) - 1, (SELECT max(seq) FROM audit_log), 0) AS cut
        """
    public let beforeMilliseconds: Int64
    public init(beforeMilliseconds: Int64) { self.beforeMilliseconds = beforeMilliseconds }
    public var bindings: [PostgresValue] { [.int64(beforeMilliseconds)] }
    public func decode(_ r: QueryResult) throws -> Int64 {
        guard let row = try r.singleRow() else { throw StorageError("the cut query returned no row") }
        return try row.decode(Int64.self, "cut")
    }
}

public struct DeleteAuditRecords: Statement {
    public static let sql = "DELETE FROM audit_log WHERE seq <= $1"
    public let throughSeq: Int64
    public init(throughSeq: Int64) { self.throughSeq = throughSeq }
    public var bindings: [PostgresValue] { [.int64(throughSeq)] }
    public func decode(_ r: QueryResult) throws -> Int { r.affectedRows }
}
