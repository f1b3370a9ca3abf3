import XCTest
import Foundation
import KMSCore
@testable import KMSService

/// The JSON log line: RFC 3339 timestamps, escaping of every string, the fields a request line carries.
final class LogLineTests: XCTestCase {
    private func stamp(_ seconds: Int, _ nanoseconds: Int = 0) -> String {
        var out: [UInt8] = []
        LogLine.appendTimestamp(seconds: seconds, nanoseconds: nanoseconds, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    private func parsed(_ line: [UInt8]) throws -> [String: Any] {
        XCTAssertEqual(line.last, UInt8(ascii: "\n"), "a line ends in a newline")
        XCTAssertEqual(line.filter { $0 == UInt8(ascii: "\n") }.count, 1, "exactly one newline: one record, one line")
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
    }

    func testTimestampIsRFC3339InUTCWithThreeDigitMilliseconds() {
        XCTAssertEqual(stamp(0), "1970-01-01T00:00:00.000Z")
        XCTAssertEqual(stamp(1_796_017_057, 5_000_000), "2026-11-30T05:37:37.005Z")
        XCTAssertEqual(stamp(951_782_400, 999_999_999), "2000-02-29T00:00:00.999Z")   // leap day of a leap century
        XCTAssertEqual(stamp(4_107_542_399, 98_765_432), "2100-02-28T23:59:59.098Z")  // 2100 is not a leap year
        XCTAssertEqual(stamp(4_107_542_400), "2100-03-01T00:00:00.000Z")
        XCTAssertEqual(stamp(1_704_067_199, 123_000_000), "2023-12-31T23:59:59.123Z")
    }

    func testTimestampAgreesWithGmtimeOverManyDays() {
        // Every ~1.3 days over 150 years against libc's own calendar.
        var seconds = -86_400 * 365
        while seconds < 4_200_000_000 {
            var t = time_t(seconds)
            var parts = tm()
            gmtime_r(&t, &parts)
            let expected = String(format: "%04d-%02d-%02dT%02d:%02d:%02d.042Z", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
                                  Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
            XCTAssertEqual(stamp(seconds, 42_000_000), expected)
            seconds += 113_777
        }
    }

    func testLineStartsWithTimestampLevelAndEvent() throws {
        let line = LogLine(event: "responder_started", level: .warning, seconds: 1_796_017_057, nanoseconds: 5_000_000).finished()
        let text = String(decoding: line, as: UTF8.self)
        XCTAssertTrue(text.hasPrefix(#"{"ts":"2026-11-30T05:37:37.005Z","level":"warning","event":"responder_started"}"#), text)
        let object = try parsed(line)
        XCTAssertEqual(Set(object.keys), ["ts", "level", "event"])
    }

    func testEveryStringIsEscapedSoNoValueCanBreakTheLineOrForgeAField() throws {
        let hostile = "a\"b\\c\nd\re\tf\u{0}g\u{1b}[31mh\u{7f}i 中文 é 🔑\",\"level\":\"debug"
        var line = LogLine(event: "ev\n\"x\"", level: .info, seconds: 0, nanoseconds: 0)
        line.field("msg", hostile)
        line.field("na\"me\n", "v")
        let bytes = line.finished()
        XCTAssertFalse(bytes.dropLast().contains { $0 < 0x20 }, "no raw control character inside the line")
        let object = try parsed(bytes)
        XCTAssertEqual(object["msg"] as? String, hostile)
        XCTAssertEqual(object["event"] as? String, "ev\n\"x\"")
        XCTAssertEqual(object["na\"me\n"] as? String, "v")
        XCTAssertEqual(object["level"] as? String, "info", "a value cannot set another field")
        // Non-ASCII stays UTF-8 (readable with grep), not \u escapes.
        XCTAssertTrue(String(decoding: bytes, as: UTF8.self).contains("中文 é 🔑"))
    }

    func testDurationIsMillisecondsWithExactlyThreeDecimals() throws {
        for (micros, expected) in [(0, "0.000"), (7, "0.007"), (412, "0.412"), (1_000, "1.000"), (123_456_789, "123456.789"), (-5, "0.000")] {
            var line = LogLine(event: "request", level: .info, seconds: 0, nanoseconds: 0)
            line.milliseconds("duration_ms", microseconds: Int64(micros))
            let text = String(decoding: line.finished(), as: UTF8.self)
            XCTAssertTrue(text.contains(#""duration_ms":\#(expected)}"#), text)
        }
    }

    func testIntegerFieldsAreExactDecimals() throws {
        for value: Int64 in [0, 7, 10, 99, 100, 1_300_000_001, -1, -10, Int64.max, Int64.min] {
            var line = LogLine(event: "e", level: .info, seconds: 0, nanoseconds: 0)
            line.field("n", value)
            let text = String(decoding: line.finished(), as: UTF8.self)
            XCTAssertTrue(text.hasSuffix(#","n":\#(value)}"# + "\n"), text)
        }
    }

    func testRequestLineCarriesTheFieldsTheOperatingContractNames() throws {
        let audit = RequestAudit(requestId: "2b3c0d5e-0000-4000-8000-0123456789ab", client: "192.0.2.7")
        audit.action = "Encrypt"
        audit.region = "ap-guangzhou"
        audit.appId = 1_300_000_001
        let object = try captured { audit.log(code: "OK") }
        XCTAssertEqual(Set(object.keys), ["ts", "level", "event", "request_id", "action", "app_id", "code", "duration_ms", "region", "client"])
        XCTAssertEqual(object["event"] as? String, "request")
        XCTAssertEqual(object["level"] as? String, "info")
        XCTAssertEqual(object["request_id"] as? String, "2b3c0d5e-0000-4000-8000-0123456789ab")
        XCTAssertEqual(object["app_id"] as? Int, 1_300_000_001)
        XCTAssertEqual(object["code"] as? String, "OK")
        XCTAssertNotNil(object["duration_ms"] as? Double)
    }

    func testUnauthenticatedRequestLineHasNullAppIdAndItsCode() throws {
        let audit = RequestAudit(requestId: "r-1", client: "192.0.2.7")
        let object = try captured { audit.log(code: "AuthFailure.SecretIdNotFound") }
        XCTAssertTrue(object["app_id"] is NSNull)
        XCTAssertEqual(object["action"] as? String, "-")
        XCTAssertEqual(object["code"] as? String, "AuthFailure.SecretIdNotFound")
        XCTAssertNil(object["at"], "only an InternalError says where it failed")
    }

    func testInternalErrorLineIsAnErrorWithWhereItFailed() throws {
        let audit = RequestAudit(requestId: "r-2", client: "192.0.2.7")
        let object = try captured { audit.log(code: "InternalError", at: "Storage.swift:42") }
        XCTAssertEqual(object["level"] as? String, "error")
        XCTAssertEqual(object["at"] as? String, "Storage.swift:42")
    }

    func testWarningLevelTurnsRequestLinesOff() throws {
        let saved = Log.minimum
        defer { Log.minimum = saved }
        Log.minimum = .warning
        XCTAssertEqual(try capturedBytes { RequestAudit(requestId: "r-3", client: "-").log(code: "OK") }, [])
        XCTAssertFalse(try capturedBytes { RequestAudit(requestId: "r-4", client: "-").log(code: "InternalError", error: "x") }.isEmpty,
                       "an InternalError is still logged")
    }

    func testMessageCallsStayJSONWithTheTextInMsg() throws {
        let object = try captured { Log.warning("plain \"text\"") }
        XCTAssertEqual(object["event"] as? String, "message")
        XCTAssertEqual(object["level"] as? String, "warning")
        XCTAssertEqual(object["msg"] as? String, "plain \"text\"")
    }

    /// Runs `body` with stderr redirected to a pipe (no log file is open in unit tests, so lines
    /// go straight to stderr) and returns what it wrote.
    private func capturedBytes(_ body: () -> Void) throws -> [UInt8] {
        XCTAssertNil(Log.sink, "unit tests never open a log file")
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&fds), 0)
        let saved = dup(2)
        dup2(fds[1], 2)
        body()
        dup2(saved, 2)
        close(saved)
        close(fds[1])
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(fds[0], &chunk, chunk.count)
            if n <= 0 { break }
            out += chunk[0..<n]
        }
        close(fds[0])
        return out
    }

    private func captured(_ body: () -> Void) throws -> [String: Any] {
        try parsed(try capturedBytes(body))
    }
}
