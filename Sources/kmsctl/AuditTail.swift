import ArgumentParser
import Foundation
import KMSCore
import KMSStorage

extension Audit {
    struct Tail: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show audit records, oldest first: the newest N, or every record since a time.",
            discussion: """
                Records are read in pages of \(Tail.pageSize), so any --limit is honoured in full. When --limit \
                stops the listing before the oldest matching record, stderr says so.
                """)
        @OptionGroup var connection: Connection
        @Option(name: .customLong("account"), help: "Only this AppId.") var appId: Int64?
        @Option(name: .customLong("key"), help: "Only this KeyId.") var keyId: String?
        @Option(name: .customLong("data-key"), help: "Only this DataKeyId (a KMS-hosted data key).") var dataKeyId: String?
        @Option(help: ArgumentHelp(
            "Only records at or after this time: RFC 3339 (2026-01-31T12:00:00Z), YYYY-MM-DD (UTC midnight) or Unix seconds.",
            valueName: "time"))
        var since: String?
        @Option(help: ArgumentHelp(
            "Show the newest N matching records (default: 20, or every record when --since is given); 0 shows every record.",
            valueName: "n"))
        var limit: Int?
        @Flag(help: "One JSON object per record and line (Seq, Time in ms, RequestId, AppId, …, Count; DataKeyId when a data key was named).")
        var json = false

        static let pageSize = 1000

        func validate() throws {
            if let limit, limit < 0 { throw ValidationError("--limit takes 0 (every record) or a positive number") }
            if let since, Tail.milliseconds(since) == nil {
                throw ValidationError("--since: not RFC 3339, YYYY-MM-DD or Unix seconds: \(since)")
            }
        }

        /// `since` as Unix milliseconds: Unix seconds, RFC 3339 (fractional seconds allowed) or a UTC date.
        static func milliseconds(_ since: String) -> Int64? {
            if let seconds = Int64(since), seconds >= 0, seconds < Int64.max / 1000 { return seconds * 1000 }
            let plain = ISO8601DateFormatter()
            let fractional = ISO8601DateFormatter()
            fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            let day = ISO8601DateFormatter()
            day.formatOptions = [.withFullDate]
            guard let date = plain.date(from: since) ?? fractional.date(from: since) ?? day.date(from: since) else { return nil }
            return Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        }

        func run() throws {
            var key: KeyID? = nil
            if let keyId {
                guard let parsed = KeyID(keyId) else { throw ValidationError("--key is not a key id: \(keyId)") }
                key = parsed
            }
            var dataKey: KeyID? = nil
            if let dataKeyId {
                guard let parsed = KeyID(dataKeyId) else { throw ValidationError("--data-key is not a data key id: \(dataKeyId)") }
                dataKey = parsed
            }
            let sinceMs = since.flatMap(Tail.milliseconds)
            let wanted = limit ?? (since == nil ? 20 : 0)
            let db = try connection.open()
            func page(after: Int64 = 0, before: Int64 = .max, limit: Int, ascending: Bool) throws -> [ChainedAuditRecord] {
                try db.run(PageAuditRecords(appId: appId, keyID: key, sinceMilliseconds: sinceMs, afterSeq: after,
                                            beforeSeq: before, limit: limit, ascending: ascending, dataKeyID: dataKey))
            }

            if wanted == 0 {
                // Every record: streamed oldest first, one page in memory at a time.
                var after: Int64 = 0
                while true {
                    let rows = try page(after: after, limit: Tail.pageSize, ascending: true)
                    rows.forEach(show)
                    guard rows.count == Tail.pageSize, let last = rows.last else { return }
                    after = last.seq
                }
            }

            var newest: [ChainedAuditRecord] = []
            var before = Int64.max
            while newest.count < wanted {
                let want = min(Tail.pageSize, wanted - newest.count)
                let rows = try page(before: before, limit: want, ascending: false)
                newest += rows
                guard rows.count == want, let last = rows.last else { break }
                before = last.seq
            }
            newest.reversed().forEach(show)
            if newest.count == wanted, let oldest = newest.last,
               !(try page(before: oldest.seq, limit: 1, ascending: false)).isEmpty {
                FileHandle.standardError.write(Data(
                    "kmsctl: stopped at --limit \(wanted); older records match too (--limit 0 shows every one, --since narrows by time)\n".utf8))
            }
        }

        private func show(_ row: ChainedAuditRecord) {
            let r = row.record
            if json {
                var fields: [(String, JSONValue)] = [
                    ("Seq", .int(row.seq)), ("Time", .int(r.atMilliseconds)), ("RequestId", .string(r.requestId)),
                    ("AppId", r.appId.map { .int($0) } ?? .null), ("SecretId", r.secretId.map { .string($0) } ?? .null),
                    ("Region", .string(r.region)), ("Action", .string(r.action)),
                    ("KeyId", r.keyID.map { .string($0.description) } ?? .null),
                ]
                // Beside its CMK, and only when the request named a hosted data key.
                if let dataKeyID = r.dataKeyID { fields.append(("DataKeyId", .string(dataKeyID.description))) }
                fields += [
                    ("Result", .string(r.result)), ("Client", .string(r.client)), ("LatencyMicroseconds", .int(r.latencyMicroseconds)),
                    ("Count", .int(r.occurrences)), ("CallerUin", r.callerUin.map { .int($0) } ?? .null),
                ]
                printJSON(.object(fields))
            } else {
                // The columns stay where they were; a hosted data key is a marked last field, like a summary's count.
                print("\(row.seq)\t\(r.atMilliseconds)\t\(r.appId.map { String($0) } ?? "-")\t\(r.region)\t\(r.action)\t\(r.keyID?.description ?? "-")\t\(r.result)\t\(r.latencyMicroseconds)us\t\(r.client)\(r.occurrences == 1 ? "" : "\t×\(r.occurrences)")\(r.dataKeyID.map { "\tdatakey \($0)" } ?? "")")
            }
        }
    }
}
