import XCTest
import KMSCore
@testable import KMSStorage

/// The audit writer's COPY rows (`AuditRecordsCopy.rows`): PostgreSQL's text format, one line
/// per record, tab-separated, `\N` for NULL, and backslash, tab, newline and carriage return
/// escaped so that no value can end its field or its row early.
final class AuditCopyRowsTests: XCTestCase {
    private func row(client: String, secretId: String? = "AKIDexample", keyID: KeyID? = nil) -> [UInt8] {
        let record = AuditRecord(atMilliseconds: 1_764_547_200_123, requestId: "req-1", appId: 1_300_000_001, secretId: secretId,
                                 region: "ap-guangzhou", action: "Encrypt", keyID: keyID, result: "OK", client: client,
                                 latencyMicroseconds: 412, occurrences: 1, callerUin: nil, dataKeyID: nil)
        return AuditRecordsCopy.rows([ChainedAuditRecord(lane: "w0", laneSeq: 7, record: record, mac: [0xAB, 0x01])])
    }

    func testPlainValuesAreCopiedAsTheyAre() {
        let key = KeyID("11111111-2222-3333-4444-555555555555")!
        let text = String(decoding: row(client: "192.0.2.7", keyID: key), as: UTF8.self)
        XCTAssertEqual(text, "w0\t7\t1764547200123\treq-1\t1300000001\tAKIDexample\tap-guangzhou\tEncrypt\t"
                       + "11111111-2222-3333-4444-555555555555\tOK\t192.0.2.7\t412\t\\\\xab01\t1\t\\N\t\\N\n")
    }

    func testSeparatorsAndBackslashesInAValueAreEscaped() {
        let text = String(decoding: row(client: "a\tb\\c\nd\re\u{0}f", secretId: nil), as: UTF8.self)
        let fields = text.dropLast().split(separator: "\t", omittingEmptySubsequences: false)
        XCTAssertEqual(fields.count, 16, "the tab inside the value did not split it")
        XCTAssertEqual(fields[10], #"a\tb\\c\nd\re"# + "f", "escaped, and the NUL (which COPY cannot hold) left out")
        XCTAssertEqual(fields[5], #"\N"#)
        XCTAssertEqual(text.filter { $0 == "\n" }.count, 1, "one row, ended once")
    }
}
