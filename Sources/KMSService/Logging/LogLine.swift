import KMSCore

/// One log record being built: a JSON object on one line, `ts`, `level` and `event` first.
///
/// Every string goes through the JSON serializer's escaping (quotes, backslashes, control
/// characters; non-ASCII stays UTF-8), so no value can break the line or forge a field.
public struct LogLine {
    /// The line's bytes so far (an unterminated object).
    public private(set) var bytes: [UInt8]

    /// A line stamped `seconds`/`nanoseconds` (Unix time, UTC) at `level` for `event`.
    public init(event: String, level: Log.Level, seconds: Int, nanoseconds: Int) {
        bytes = []
        // A request line is ~250 bytes: one allocation, no regrowth.
        bytes.reserveCapacity(320)
        bytes.append(contentsOf: #"{"ts":""#.utf8)
        LogLine.appendTimestamp(seconds: seconds, nanoseconds: nanoseconds, to: &bytes)
        bytes.append(contentsOf: #"","level":""#.utf8)
        bytes.append(contentsOf: level.name.utf8)
        bytes.append(contentsOf: #"","event":"#.utf8)
        JSONValue.string(event).write(to: &bytes)
    }

    /// Adds `"name":"value"`.
    public mutating func field(_ name: String, _ value: String) {
        key(name)
        JSONValue.writeString(value, to: &bytes)
    }

    /// Adds `"name":value` for an integer.
    public mutating func field(_ name: String, _ value: Int64) {
        key(name)
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        LogLine.appendPadded(value.magnitude, digits: 1, to: &bytes)
    }

    /// Adds `"name":value` for any JSON value.
    public mutating func field(_ name: String, _ value: JSONValue) {
        key(name)
        value.write(to: &bytes)
    }

    /// Adds `"name":M.mmm`: `microseconds` as milliseconds with three decimals, exactly.
    public mutating func milliseconds(_ name: String, microseconds: Int64) {
        key(name)
        let us = max(0, microseconds)
        LogLine.appendPadded(UInt64(us / 1000), digits: 1, to: &bytes)
        bytes.append(UInt8(ascii: "."))
        LogLine.appendPadded(Int(us % 1000), digits: 3, to: &bytes)
    }

    /// The finished line: the object closed and a newline.
    public consuming func finished() -> [UInt8] {
        bytes.append(contentsOf: "}\n".utf8)
        return bytes
    }

    private mutating func key(_ name: String) {
        bytes.append(UInt8(ascii: ","))
        JSONValue.writeString(name, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
    }


    /// RFC 3339 in UTC with milliseconds, `2026-11-30T05:37:37.005Z`: computed, not formatted
    /// by libc, so no time zone or locale can change it and no lock is taken.
    static func appendTimestamp(seconds: Int, nanoseconds: Int, to out: inout [UInt8]) {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = CivilDate.of(daysSinceEpoch: days)
        appendPadded(year, digits: 4, to: &out)
        out.append(UInt8(ascii: "-"))
        appendPadded(month, digits: 2, to: &out)
        out.append(UInt8(ascii: "-"))
        appendPadded(day, digits: 2, to: &out)
        out.append(UInt8(ascii: "T"))
        appendPadded(secondOfDay / 3600, digits: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        appendPadded(secondOfDay / 60 % 60, digits: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        appendPadded(secondOfDay % 60, digits: 2, to: &out)
        out.append(UInt8(ascii: "."))
        appendPadded(nanoseconds / 1_000_000, digits: 3, to: &out)
        out.append(UInt8(ascii: "Z"))
    }

    static func appendPadded(_ value: Int, digits: Int, to out: inout [UInt8]) {
        appendPadded(UInt64(max(0, value)), digits: digits, to: &out)
    }

    /// The decimal digits of `value`, at least `digits` of them: a field's integer (digits 1)
    /// without making a String, or a zero-padded part of a timestamp.
    static func appendPadded(_ value: UInt64, digits: Int, to out: inout [UInt8]) {
        var divisor: UInt64 = 1
        for _ in 1..<digits { divisor *= 10 }
        var v = value
        // Wider values (a year past 9999) keep all their digits.
        while v / divisor >= 10 { divisor *= 10 }
        while divisor > 0 {
            out.append(UInt8(ascii: "0") + UInt8(v / divisor))
            v %= divisor
            divisor /= 10
        }
    }
}
