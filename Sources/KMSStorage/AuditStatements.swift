import KMSCore

/// An audit record with its place in its lane and its chain MAC.
public struct ChainedAuditRecord: Sendable, Equatable {
    public let seq: Int64
    public let lane: String
    public let laneSeq: Int64
    public let record: AuditRecord
    public let mac: [UInt8]
    public init(seq: Int64 = 0, lane: String, laneSeq: Int64, record: AuditRecord, mac: [UInt8]) {
        self.seq = seq; self.lane = lane; self.laneSeq = laneSeq; self.record = record; self.mac = mac
    }
}

/// Inserts any number of records with one prepared statement (arrays unnested server-side).
public struct InsertAuditRecords: PreparedStatement {
    public static let name = "insert_audit_records"
    public static let sql = """
        INSERT INTO audit_log (lane, lane_seq, at_ms, request_id, app_id, secret_id, region, action, key_id, result,
                               client, latency_us, mac)
        SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::bigint[], $4::uuid[], $5::bigint[], $6::text[], $7::text[],
                             $8::text[], $9::uuid[], $10::text[], $11::text[], $12::bigint[], $13::bytea[])
        """
    public let records: [ChainedAuditRecord]
    public init(_ records: [ChainedAuditRecord]) { self.records = records }

    /// A PostgreSQL array literal; every element quoted, NULL unquoted.
    static func array(_ values: [String?]) -> String {
        var out: [UInt8] = [UInt8(ascii: "{")]
        out.reserveCapacity(values.count * 40)
        for (i, value) in values.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            guard let value else { out.append(contentsOf: "NULL".utf8); continue }
            out.append(UInt8(ascii: "\""))
            for byte in value.utf8 {
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { out.append(UInt8(ascii: "\\")) }
                out.append(byte)
            }
            out.append(UInt8(ascii: "\""))
        }
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }

    public var bindings: [String?] {
        let r = records
        return [
            InsertAuditRecords.array(r.map { $0.lane }),
            InsertAuditRecords.array(r.map { String($0.laneSeq) }),
            InsertAuditRecords.array(r.map { String($0.record.atMilliseconds) }),
            InsertAuditRecords.array(r.map { $0.record.requestId }),
            InsertAuditRecords.array(r.map { $0.record.appId.map { String($0) } }),
            InsertAuditRecords.array(r.map { $0.record.secretId }),
            InsertAuditRecords.array(r.map { $0.record.region }),
            InsertAuditRecords.array(r.map { $0.record.action }),
            InsertAuditRecords.array(r.map { $0.record.keyID?.description }),
            InsertAuditRecords.array(r.map { $0.record.result }),
            InsertAuditRecords.array(r.map { $0.record.client }),
            InsertAuditRecords.array(r.map { String($0.record.latencyMicroseconds) }),
            InsertAuditRecords.array(r.map { Bytea.encode($0.mac) }),
        ]
    }
    public func decode(_ result: QueryResult) throws {}
}

/// The same rows as `InsertAuditRecords`, as the text of one `COPY … FROM STDIN`: what the
/// batched writer sends (no array literals to build on this side, none to take apart on the
/// server's).
public enum AuditRecordsCopy {
    public static let sql = """
        COPY audit_log (lane, lane_seq, at_ms, request_id, app_id, secret_id, region, action, key_id, result, client, \
        latency_us, mac, occurrences) FROM STDIN
        """

    /// Tab-separated rows in COPY's text format: `\N` is NULL; backslash, tab, newline and
    /// carriage return are escaped. A NUL cannot be represented and is left out (no field can
    /// hold one: headers are C strings, parameters refuse NUL).
    public static func rows(_ records: [ChainedAuditRecord]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(records.count * 256)
        for row in records {
            let r = row.record
            text(row.lane, &out); tab(&out)
            decimal(row.laneSeq, &out); tab(&out)
            decimal(r.atMilliseconds, &out); tab(&out)
            text(r.requestId, &out); tab(&out)
            if let appId = r.appId { decimal(appId, &out) } else { null(&out) }; tab(&out)
            if let secretId = r.secretId { text(secretId, &out) } else { null(&out) }; tab(&out)
            text(r.region, &out); tab(&out)
            text(r.action, &out); tab(&out)
            if let keyID = r.keyID { text(keyID.description, &out) } else { null(&out) }; tab(&out)
            text(r.result, &out); tab(&out)
            text(r.client, &out); tab(&out)
            decimal(r.latencyMicroseconds, &out); tab(&out)
            // bytea's text form `\x…`, its backslash escaped for COPY.
            out.append(0x5C)
            out.append(contentsOf: Bytea.encode(row.mac).utf8); tab(&out)
            decimal(r.occurrences, &out)
            out.append(0x0A)
        }
        return out
    }

    @inline(__always) private static func tab(_ out: inout [UInt8]) { out.append(0x09) }
    @inline(__always) private static func null(_ out: inout [UInt8]) { out.append(contentsOf: [0x5C, UInt8(ascii: "N")]) }

    private static func text(_ value: String, _ out: inout [UInt8]) {
        for byte in value.utf8 {
            switch byte {
            case 0x5C: out.append(contentsOf: [0x5C, 0x5C])
            case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x00: continue
            default: out.append(byte)
            }
        }
    }

    private static func decimal(_ value: Int64, _ out: inout [UInt8]) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude > 0
            for i in stride(from: count - 1, through: 0, by: -1) { out.append(buffer[i]) }
        }
    }
}

/// Records for the admin CLI, newest first or in chain order, optionally for one account or key.
public struct ListAuditRecords: Statement {
    public static let sql = """
        SELECT seq, lane, lane_seq, at_ms, request_id, app_id, secret_id, region, action, key_id, result, client, latency_us, mac,
               occurrences
        FROM audit_log WHERE ($1::bigint IS NULL OR app_id = $1) AND ($2::uuid IS NULL OR key_id = $2) AND seq > $3
        ORDER BY CASE WHEN $5 THEN seq END ASC, CASE WHEN NOT $5 THEN seq END DESC LIMIT $4
        """
    public let appId: Int64?
    public let keyID: KeyID?
    public let afterSeq: Int64
    public let limit: Int
    public let ascending: Bool
    public init(appId: Int64? = nil, keyID: KeyID? = nil, afterSeq: Int64 = 0, limit: Int, ascending: Bool) {
        self.appId = appId; self.keyID = keyID; self.afterSeq = afterSeq; self.limit = limit; self.ascending = ascending
    }
    public var bindings: [String?] {
        [appId.map { String($0) }, keyID?.description, String(afterSeq), String(limit), ascending ? "true" : "false"]
    }
    public func decode(_ r: QueryResult) throws -> [ChainedAuditRecord] {
        (0..<r.rowCount).map { i in
            ChainedAuditRecord(seq: r.int64(i, 0), lane: r.string(i, 1) ?? "", laneSeq: r.int64(i, 2), record: AuditRecord(
                atMilliseconds: r.int64(i, 3), requestId: r.string(i, 4) ?? "", appId: r.isNull(i, 5) ? nil : r.int64(i, 5),
                secretId: r.string(i, 6), region: r.string(i, 7) ?? "", action: r.string(i, 8) ?? "",
                keyID: r.string(i, 9).flatMap(KeyID.init), result: r.string(i, 10) ?? "", client: r.string(i, 11) ?? "",
                latencyMicroseconds: r.int64(i, 12), occurrences: r.int64(i, 14)), mac: r.bytes(i, 13) ?? [])
        }
    }
}
