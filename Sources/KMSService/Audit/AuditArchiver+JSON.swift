import KMSCore
import KMSCrypto
import KMSStorage

/// The archive file's JSON: every field the chain MAC covers, so the file verifies on its own.
extension AuditArchiver {
    static func json(_ row: ChainedAuditRecord) -> JSONValue {
        let r = row.record
        var fields: [(String, JSONValue)] = [
            ("Seq", .int(row.seq)), ("Lane", .string(row.lane)), ("LaneSeq", .int(row.laneSeq)), ("Time", .int(r.atMilliseconds)),
            ("RequestId", .string(r.requestId)), ("AppId", r.appId.map { .int($0) } ?? .null),
            ("SecretId", r.secretId.map { .string($0) } ?? .null), ("Region", .string(r.region)), ("Action", .string(r.action)),
            ("KeyId", r.keyID.map { .string($0.description) } ?? .null), ("Result", .string(r.result)), ("Client", .string(r.client)),
            ("LatencyMicroseconds", .int(r.latencyMicroseconds)), ("Count", .int(r.occurrences)), ("Mac", .string(Hex.encode(row.mac))),
            ("CallerUin", r.callerUin.map { .int($0) } ?? .null),
        ]
        // Only when present, so the lines of records without a data key read as before.
        if let dataKeyID = r.dataKeyID { fields.append(("DataKeyId", .string(dataKeyID.description))) }
        return .object(fields)
    }

    static func row(_ v: JSONValue) -> ChainedAuditRecord? {
        func int(_ name: String) -> Int64? { if case .int(let n)? = v[name] { return n }; return nil }
        func string(_ name: String) -> String? { if case .string(let s)? = v[name] { return s }; return nil }
        guard let seq = int("Seq"), let lane = string("Lane"), let laneSeq = int("LaneSeq"), let at = int("Time"),
              let requestId = string("RequestId"), let region = string("Region"), let action = string("Action"),
              let result = string("Result"), let client = string("Client"), let latency = int("LatencyMicroseconds"),
              let mac = string("Mac").flatMap(Hex.decode) else { return nil }
        // A DataKeyId that is there but not a data key id makes the line unreadable, not keyless.
        var dataKeyID: KeyID? = nil
        if let present = v["DataKeyId"] {
            guard case .string(let text) = present, let parsed = KeyID(text) else { return nil }
            dataKeyID = parsed
        }
        let record = AuditRecord(atMilliseconds: at, requestId: requestId, appId: int("AppId"), secretId: string("SecretId"),
                                 region: region, action: action, keyID: string("KeyId").flatMap(KeyID.init), result: result,
                                 client: client, latencyMicroseconds: latency, occurrences: int("Count") ?? 1, callerUin: int("CallerUin"),
                                 dataKeyID: dataKeyID)
        return ChainedAuditRecord(seq: seq, lane: lane, laneSeq: laneSeq, record: record, mac: mac)
    }

    static func json(_ c: AuditCheckpoint) -> JSONValue {
        .object([("Id", .int(c.id)), ("CutSeq", .int(c.cutSeq)), ("BeforeMilliseconds", .int(c.beforeMilliseconds)),
                 ("Archived", .int(c.archived)), ("CreatedMilliseconds", .int(c.createdMilliseconds)), ("Heads", .string(c.heads)),
                 ("PreviousMac", .string(Hex.encode(c.previousMAC))), ("Mac", .string(Hex.encode(c.mac)))])
    }

    static func checkpoint(_ v: JSONValue) -> AuditCheckpoint? {
        func int(_ name: String) -> Int64? { if case .int(let n)? = v[name] { return n }; return nil }
        func string(_ name: String) -> String? { if case .string(let s)? = v[name] { return s }; return nil }
        guard let cut = int("CutSeq"), let before = int("BeforeMilliseconds"), let archived = int("Archived"),
              let created = int("CreatedMilliseconds"), let heads = string("Heads"),
              let previous = string("PreviousMac").flatMap(Hex.decode), let mac = string("Mac").flatMap(Hex.decode) else { return nil }
        return AuditCheckpoint(id: int("Id") ?? 0, cutSeq: cut, beforeMilliseconds: before, archived: archived,
                               createdMilliseconds: created, heads: heads, previousMAC: previous, mac: mac)
    }
}
