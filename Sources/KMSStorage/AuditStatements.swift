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
public struct InsertAuditRecords: Statement {
    public static let reusesPlan = true
    public static let sql = """
        INSERT INTO audit_log (lane, lane_seq, at_ms, request_id, app_id, secret_id, region, action, key_id, result,
                               client, latency_us, mac, caller_uin, data_key_id)
        SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::bigint[], $4::uuid[], $5::bigint[], $6::text[], $7::text[],
                             $8::text[], $9::uuid[], $10::text[], $11::text[], $12::bigint[], $13::bytea[], $14::bigint[],
                             $15::uuid[])
        """
    public let records: [ChainedAuditRecord]
    public init(_ records: [ChainedAuditRecord]) { self.records = records }

    public var bindings: [PostgresValue] {
        let r = records
        return [
            .textArray(r.map { $0.lane }),
            .int64Array(r.map { $0.laneSeq }),
            .int64Array(r.map { $0.record.atMilliseconds }),
            .textArray(r.map { $0.record.requestId }),
            .int64Array(r.map { $0.record.appId }),
            .textArray(r.map { $0.record.secretId }),
            .textArray(r.map { $0.record.region }),
            .textArray(r.map { $0.record.action }),
            .textArray(r.map { $0.record.keyID?.description }),
            .textArray(r.map { $0.record.result }),
            .textArray(r.map { $0.record.client }),
            .int64Array(r.map { $0.record.latencyMicroseconds }),
            .bytesArray(r.map { $0.mac }),
            .int64Array(r.map { $0.record.callerUin }),
            .textArray(r.map { $0.record.dataKeyID?.description }),
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
        latency_us, mac, occurrences, caller_uin, data_key_id) FROM STDIN
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
            decimal(r.occurrences, &out); tab(&out)
            if let callerUin = r.callerUin { decimal(callerUin, &out) } else { null(&out) }; tab(&out)
            if let dataKeyID = r.dataKeyID { text(dataKeyID.description, &out) } else { null(&out) }
            out.append(0x0A)
        }
        return out
    }

    @inline(__always) private static func tab(_ out: inout [UInt8]) { out.append(0x09) }
    @inline(__always) private static func null(_ out: inout [UInt8]) { out.append(contentsOf: [0x5C, UInt8(ascii: "N")]) }

    private static func text(_ value: String, _ out: inout [UInt8]) {
        var value = value
        value.withUTF8 { bytes in
            // Ids, regions, actions and codes have nothing to escape: one copy.
            guard bytes.contains(where: { $0 == 0x5C || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D || $0 == 0x00 }) else {
                out.append(contentsOf: bytes)
                return
            }
            for byte in bytes {
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
               occurrences, caller_uin, data_key_id
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
    public var bindings: [PostgresValue] {
        [appId.map(PostgresValue.int64) ?? .null, keyID.map { .text($0.description) } ?? .null, .int64(afterSeq),
         .int64(Int64(limit)), .bool(ascending)]
    }
    public func decode(_ r: QueryResult) throws -> [ChainedAuditRecord] {
        try r.rows.map { row in
            ChainedAuditRecord(
                seq: try row.decode(Int64.self, "seq"), lane: try row.decode(String.self, "lane"),
                laneSeq: try row.decode(Int64.self, "lane_seq"),
                record: AuditRecord(
                    atMilliseconds: try row.decode(Int64.self, "at_ms"), requestId: try row.decode(String.self, "request_id"),
                    appId: try row.decode(Int64?.self, "app_id"), secretId: try row.decode(String?.self, "secret_id"),
                    region: try row.decode(String.self, "region"), action: try row.decode(String.self, "action"),
                    keyID: try row.decode(KeyID?.self, "key_id"), result: try row.decode(String.self, "result"),
                    client: try row.decode(String.self, "client"), latencyMicroseconds: try row.decode(Int64.self, "latency_us"),
                    occurrences: try row.decode(Int64.self, "occurrences"), callerUin: try row.decode(Int64?.self, "caller_uin"),
                    dataKeyID: try row.decode(KeyID?.self, "data_key_id")),
                mac: try row.decode([UInt8].self, "mac"))
        }
    }
}
