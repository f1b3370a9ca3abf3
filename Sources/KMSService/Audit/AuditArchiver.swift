import Foundation
import KMSCore
import KMSCrypto
import KMSStorage

/// Retention of the audit trail (`kmsctl audit archive --before DATE --to FILE`): the records
/// older than DATE go to a JSON-lines file and are pruned; a checkpoint, HMAC-protected and
/// chained to the previous one, keeps each lane's chain head at the cut so that `audit verify`
/// still verifies what remains, and the file can be verified offline (`audit verify --archive`).
///
/// The file: a header line (the checkpoint the records continue from), one line per record with
/// its lane, place and chain MAC, and a trailer line (the new checkpoint). Runs as the owner; the
/// responder's role cannot read the trail, let alone prune it.
public struct AuditArchiver {
    /// What an archive run moved out of the database.
    public struct Outcome: Sendable {
        /// Records written to the archive and deleted.
        public var archived: Int64 = 0
        /// The checkpoint that now starts the trail.
        public var checkpoint: AuditCheckpoint?
    }

    /// Why nothing was archived.
    public struct Failure: Error, CustomStringConvertible {
        /// The reason, for the operator.
        public let description: String
    }

    let sealer: Sealer
    /// An archiver checking MACs with `sealer`'s audit key.
    public init(sealer: Sealer) { self.sealer = sealer }

    /// Archives and prunes every record older than `beforeMilliseconds` in one transaction; the
    /// file is complete and synced before the records are deleted. Refuses a trail that does not
    /// verify (a checkpoint would otherwise launder the tampering).
    public func archive(_ database: Database, beforeMilliseconds: Int64, to path: String, nowMilliseconds: Int64) throws -> Outcome {
        guard !FileManager.default.fileExists(atPath: path) else { throw Failure(description: "\(path) exists; not overwriting it") }
        return try database.transaction(tenant: nil) { db in
            try db.run(LockAuditLog())
            let checkpoints = try db.run(ListAuditCheckpoints())
            let problems = AuditVerifier(sealer: sealer).checkCheckpoints(checkpoints)
            guard problems.isEmpty else { throw Failure(description: "the checkpoints do not verify: \(problems[0])") }
            let previous = checkpoints.last
            guard var heads = previous.map({ AuditChainHeads(parsing: $0.heads) }) ?? AuditChainHeads() else {
                throw Failure(description: "the latest checkpoint's lane heads cannot be read")
            }
            let cut = try db.run(AuditCut(beforeMilliseconds: beforeMilliseconds))
            guard cut > (previous?.cutSeq ?? 0) else { return Outcome() }

            guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]),
                  let file = FileHandle(forWritingAtPath: path) else { throw Failure(description: "cannot create \(path)") }
            var completed = false
            defer {
                try? file.close()
                if !completed { try? FileManager.default.removeItem(atPath: path) }
            }
            func line(_ value: JSONValue) throws { try file.write(contentsOf: value.serialized() + [0x0A]) }
            try line(.object([("Kind", .string("AuditArchive")), ("Version", .int(1)),
                              ("BeforeMilliseconds", .int(beforeMilliseconds)),
                              ("From", previous.map(AuditArchiver.json) ?? .null)]))
            var archived: Int64 = 0
            var after = previous?.cutSeq ?? 0
            scan: while true {
                let rows = try db.run(ListAuditRecords(afterSeq: after, limit: 10_000, ascending: true))
                for row in rows {
                    guard row.seq <= cut else { break scan }
                    if let problem = heads.append(row, sealer: sealer).first {
                        throw Failure(description: "the trail does not verify (\(problem)); nothing archived")
                    }
                    try line(AuditArchiver.json(row))
                    archived += 1
                }
                guard let last = rows.last else { break }
                after = last.seq
            }
            var checkpoint = AuditCheckpoint(cutSeq: cut, beforeMilliseconds: beforeMilliseconds, archived: archived,
                                             createdMilliseconds: nowMilliseconds, heads: heads.encoded,
                                             previousMAC: previous?.mac ?? AuditRecord.genesisMAC, mac: [])
            checkpoint.mac = AuditChainHeads.checkpointMAC(checkpoint, sealer: sealer)
            try line(.object([("Kind", .string("Checkpoint")), ("Checkpoint", AuditArchiver.json(checkpoint))]))
            try file.synchronize()
            try db.enqueue(InsertAuditCheckpoint(checkpoint))
            let deleted = try db.run(DeleteAuditRecords(throughSeq: cut))
            guard deleted == archived else { throw Failure(description: "deleted \(deleted) records, archived \(archived); rolled back") }
            completed = true
            return Outcome(archived: archived, checkpoint: checkpoint)
        }
    }

    /// Verifies an archive file offline: its records chain from its header's checkpoint to its
    /// trailer's, and the trailer's MAC holds. Returns the records checked and the problems found.
    public func verifyArchive(lines: [String]) -> (records: Int, problems: [String]) {
        var problems: [String] = []
        guard let first = lines.first.flatMap({ try? JSONValue.parse($0) }), first["Kind"] == .string("AuditArchive") else {
            return (0, ["not an audit archive (no header line)"])
        }
        var heads = AuditChainHeads()
        var previousMAC = AuditRecord.genesisMAC
        if let from = first["From"], from != .null {
            guard let checkpoint = AuditArchiver.checkpoint(from), let parsed = AuditChainHeads(parsing: checkpoint.heads) else {
                return (0, ["the header's checkpoint cannot be read"])
            }
            if !ConstantTime.equals(AuditChainHeads.checkpointMAC(checkpoint, sealer: sealer), checkpoint.mac) {
                problems.append("the header's checkpoint MAC does not match")
            }
            heads = parsed
            previousMAC = checkpoint.mac
        }
        var records = 0
        var closed = false
        for text in lines.dropFirst() where !text.isEmpty {
            guard let value = try? JSONValue.parse(text) else { problems.append("a line is not JSON"); continue }
            if value["Kind"] == .string("Checkpoint") {
                guard let checkpoint = value["Checkpoint"].flatMap(AuditArchiver.checkpoint) else {
                    problems.append("the trailer's checkpoint cannot be read"); continue
                }
                if !ConstantTime.equals(AuditChainHeads.checkpointMAC(checkpoint, sealer: sealer), checkpoint.mac) {
                    problems.append("the trailer's checkpoint MAC does not match")
                }
                if !ConstantTime.equals(checkpoint.previousMAC, previousMAC) { problems.append("the trailer does not follow the header's checkpoint") }
                if checkpoint.heads != heads.encoded || checkpoint.archived != Int64(records) {
                    problems.append("the records do not end where the trailer's checkpoint says (records missing or added)")
                }
                closed = true
                continue
            }
            guard let row = AuditArchiver.row(value) else { problems.append("a record line cannot be read"); continue }
            records += 1
            problems += heads.append(row, sealer: sealer)
        }
        if !closed { problems.append("the archive has no trailer checkpoint (truncated)") }
        return (records, problems)
    }
}
