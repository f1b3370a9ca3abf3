#if canImport(Glibc)
import Glibc
#endif
import KMSCore

/// The responder's log: one JSON object per line (`ts`, `level`, `event`, then the event's
/// fields), written through a `LogSink`. Callers pass only identifiers, codes and counts:
/// never a secret, plaintext, key material, ciphertext or signature.
public enum Log {
    /// How much a line matters; lines below `minimum` are not written.
    public enum Level: Int, Comparable, Sendable {
        case debug, info, warning, error
        /// Levels order by severity.
        public static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }
        /// A level by name (`debug`, `info`, `warning`/`warn`, `error`).
        public init?(name: String) {
            switch name.lowercased() {
            case "debug": self = .debug
            case "info": self = .info
            case "warning", "warn": self = .warning
            case "error": self = .error
            default: return nil
            }
        }
        /// The name written in a line's `level` field.
        public var name: String {
            switch self {
            case .debug: "debug"
            case .info: "info"
            case .warning: "warning"
            case .error: "error"
            }
        }
    }

    /// Set once at start-up, before any worker runs.
    nonisolated(unsafe) public static var minimum: Level = .info

    /// Where lines go: set once at start-up by `open`; until then each line is written to
    /// stderr at once (tools and tests that never open a file).
    nonisolated(unsafe) public private(set) static var sink: LogSink?

    /// Sends every later line to the file at `path` (appending), written in 100 ms batches.
    public static func open(path: String) throws(LogFileError) {
        let opened = try LogSink(path: path)
        opened.startFlushing()
        sink = opened
    }

    /// Opens the log file again under its name (on SIGUSR1, after logrotate moved it).
    public static func reopen() {
        guard let sink else { return }
        if let failure = sink.reopen() {
            event("log_reopen_failed", .error, ["path": .string(sink.path ?? "-"), "error": .string(failure)])
        } else {
            event("log_reopened", .info, ["path": .string(sink.path ?? "-")])
        }
    }

    /// Writes what is queued and stops the background writer; called before a clean exit.
    public static func flush() { sink?.stopFlushing() }

    /// Whether a line at `level` would be written: check before building an expensive one.
    @inline(__always)
    public static func enabled(_ level: Level) -> Bool { level >= minimum }

    /// A line for `event` (a stable snake_case name for this kind of line) with `fields`.
    public static func event(_ event: String, _ level: Level = .info, _ fields: KeyValuePairs<String, JSONValue> = [:]) {
        guard enabled(level) else { return }
        var line = start(event, level)
        for (name, value) in fields { line.field(name, value) }
        emit(line)
    }

    /// A line for `event` with `fields` built at run time.
    public static func event(_ event: String, _ level: Level, _ fields: [(String, JSONValue)]) {
        guard enabled(level) else { return }
        var line = start(event, level)
        for (name, value) in fields { line.field(name, value) }
        emit(line)
    }

    /// A new line stamped now; add fields, then `emit` it.
    public static func start(_ event: String, _ level: Level) -> LogLine {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return LogLine(event: event, level: level, seconds: Int(now.tv_sec), nanoseconds: Int(now.tv_nsec))
    }

    /// Writes a finished line.
    public static func emit(_ line: consuming LogLine) {
        let bytes = line.finished()
        if let sink {
            sink.append(bytes)
        } else {
            bytes.withUnsafeBytes { _ = Glibc.write(2, $0.baseAddress, $0.count) }
        }
    }

    /// A free-text line: event `message` (`error` lines: event `error`), the text in `msg`.
    /// Kept so older call sites compile; new code names its event with `event(_:_:_:)`.
    public static func write(_ level: Level, _ message: String) {
        event(level == .error ? "error" : "message", level, ["msg": .string(message)])
    }

    /// `seconds.mmm` since the epoch, milliseconds always with three digits (the form lines
    /// had before they became JSON; `ts` is now RFC 3339, see `LogLine`).
    static func timestamp(seconds: Int, nanoseconds: Int) -> String {
        let ms = nanoseconds / 1_000_000
        return "\(seconds)." + (ms < 10 ? "00" : ms < 100 ? "0" : "") + String(ms)
    }

    /// An `info` line.
    public static func info(_ message: String) { write(.info, message) }
    /// A `warning` line.
    public static func warning(_ message: String) { write(.warning, message) }
    /// An `error` line.
    public static func error(_ message: String) { write(.error, message) }
}
