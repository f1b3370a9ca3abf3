import KMSCore
import KMSCrypto
import KMSStorage

/// Re-computes every lane's MAC chain (`kmsctl audit verify`), from the latest archive
/// checkpoint when records were archived (`AuditArchiver`), after checking the checkpoints.
public struct AuditVerifier {
    /// What a verification found.
    public struct Report: Sendable {
        /// Records checked.
        public var records = 0
        /// Lanes seen.
        public var lanes = 0
        /// Human-readable findings; empty means the trail is intact.
        public var problems: [String] = []
        /// The checkpoint the records were verified from, if any.
        public var checkpoint: AuditCheckpoint?
    }

    let sealer: Sealer
    /// A verifier checking MACs with `sealer`'s audit key.
    public init(sealer: Sealer) { self.sealer = sealer }

    /// Verifies the whole trail in the database, `batch` records at a time.
    public func verify(_ database: Database, batch: Int = 10_000) throws -> Report {
        var report = Report()
        let checkpoints = try database.run(ListAuditCheckpoints())
        var heads = AuditChainHeads()
        if !checkpoints.isEmpty {
            report.problems += checkCheckpoints(checkpoints)
            let last = checkpoints[checkpoints.count - 1]
            report.checkpoint = last
            if let parsed = AuditChainHeads(parsing: last.heads) { heads = parsed } else {
                report.problems.append("checkpoint \(last.id): its lane heads cannot be read")
            }
        }
        let cut = report.checkpoint?.cutSeq ?? 0
        var seen = Set<String>()
        var after: Int64 = 0
        while true {
            let rows = try database.run(ListAuditRecords(afterSeq: after, limit: batch, ascending: true))
            for row in rows {
                report.records += 1
                if seen.insert(row.lane).inserted { report.lanes += 1 }
                if row.seq <= cut {
                    report.problems.append("record \(row.seq): below the archive cut \(cut) (inserted after the archive)")
                    continue
                }
                report.problems += heads.append(row, sealer: sealer)
            }
            guard let last = rows.last else { break }
            after = last.seq
        }
        return report
    }

    /// Each checkpoint's MAC, and that it follows the one before it (none deleted or reordered).
    func checkCheckpoints(_ checkpoints: [AuditCheckpoint]) -> [String] {
        var problems: [String] = []
        var previous = AuditRecord.genesisMAC
        var previousCut: Int64 = 0
        for checkpoint in checkpoints {
            if !ConstantTime.equals(AuditChainHeads.checkpointMAC(checkpoint, sealer: sealer), checkpoint.mac) {
                problems.append("checkpoint \(checkpoint.id): MAC does not match (checkpoint edited or forged)")
            }
            if !ConstantTime.equals(checkpoint.previousMAC, previous) || checkpoint.cutSeq < previousCut {
                problems.append("checkpoint \(checkpoint.id): does not follow the checkpoint before it (one deleted or reordered)")
            }
            previous = checkpoint.mac
            previousCut = checkpoint.cutSeq
        }
        return problems
    }
}

/// Where each lane's chain stands: its last lane_seq and MAC.
public struct AuditChainHeads: Sendable {
    var heads: [String: (seq: Int64, mac: [UInt8])] = [:]

    /// No lanes yet.
    public init() {}

    /// From a checkpoint's `heads` text; nil when a line does not read.
    public init?(parsing text: String) {
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ")
            guard parts.count == 3, let seq = Int64(parts[1]), let mac = Hex.decode(String(parts[2])), mac.count == 32 else { return nil }
            heads[String(parts[0])] = (seq, mac)
        }
    }

    /// Sorted "lane lane_seq hex(mac)" lines: what a checkpoint stores and its MAC covers.
    public var encoded: String {
        heads.keys.sorted().map { "\($0) \(heads[$0]!.seq) \(Hex.encode(heads[$0]!.mac))\n" }.joined()
    }

    /// Chains `row` after its lane's head; the problems found (none when it follows).
    public mutating func append(_ row: ChainedAuditRecord, sealer: Sealer) -> [String] {
        var problems: [String] = []
        let head = heads[row.lane] ?? (0, AuditRecord.genesisMAC)
        if row.laneSeq != head.seq + 1 {
            problems.append("record \(row.seq): lane \(row.lane) jumps from \(head.seq) to \(row.laneSeq) (records deleted or reordered)")
        }
        let expected = sealer.auditMAC(row.record.chainEncoding(lane: row.lane, laneSeq: row.laneSeq, previousMAC: head.mac))
        if !ConstantTime.equals(expected, row.mac) {
            problems.append("record \(row.seq): MAC does not match (record edited, inserted, or its predecessor changed)")
        }
        heads[row.lane] = (row.laneSeq, row.mac)
        return problems
    }

    /// A checkpoint's MAC under the audit key, domain-separated from the records' chain MACs.
    public static func checkpointMAC(_ c: AuditCheckpoint, sealer: Sealer) -> [UInt8] {
        var data = Array(SealBinding.auditCheckpoint.text.utf8)
        data += c.previousMAC
        for field in [String(c.cutSeq), String(c.beforeMilliseconds), String(c.archived), String(c.createdMilliseconds), c.heads] {
            let n = UInt32(field.utf8.count)
            data += [UInt8(n >> 24), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)]
            data += Array(field.utf8)
        }
        return sealer.auditMAC(data)
    }
}
