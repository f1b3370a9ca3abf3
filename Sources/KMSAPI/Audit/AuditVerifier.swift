import KMSCore
import KMSCrypto
import KMSStorage

/// Re-computes every lane's MAC chain (`kmsctl audit verify`).
public struct AuditVerifier {
    public struct Report: Sendable {
        public var records = 0
        public var lanes = 0
        /// Human-readable findings; empty means the trail is intact.
        public var problems: [String] = []
    }

    let sealer: Sealer
    public init(sealer: Sealer) { self.sealer = sealer }

    public func verify(_ database: Database, batch: Int = 10_000) throws -> Report {
        var report = Report()
        var heads: [String: (seq: Int64, mac: [UInt8])] = [:]
        var after: Int64 = 0
        while true {
            let rows = try database.run(ListAuditRecords(afterSeq: after, limit: batch, ascending: true))
            for row in rows {
                report.records += 1
                let head = heads[row.lane] ?? (0, AuditRecord.genesisMAC)
                if heads[row.lane] == nil { report.lanes += 1 }
                if row.laneSeq != head.seq + 1 {
                    report.problems.append("record \(row.seq): lane \(row.lane) jumps from \(head.seq) to \(row.laneSeq) (records deleted or reordered)")
                }
                let expected = sealer.auditMAC(row.record.chainEncoding(lane: row.lane, laneSeq: row.laneSeq, previousMAC: head.mac))
                if !ConstantTime.equals(expected, row.mac) {
                    report.problems.append("record \(row.seq): MAC does not match (record edited, inserted, or its predecessor changed)")
                }
                heads[row.lane] = (row.laneSeq, row.mac)
            }
            guard let last = rows.last else { break }
            after = last.seq
        }
        return report
    }
}
