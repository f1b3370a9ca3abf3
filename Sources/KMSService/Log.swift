#if canImport(Glibc)
import Glibc
#endif

/// One-line structured log records on stderr. Callers pass only identifiers and codes:
/// never a secret, plaintext, key material or ciphertext.
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
    }

    /// Set once at start-up, before any worker runs.
    nonisolated(unsafe) public static var minimum: Level = .info

    /// Writes one line at `level`, with the time.
    public static func write(_ level: Level, _ message: String) {
        guard level >= minimum else { return }
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let line = "\(timestamp(seconds: Int(now.tv_sec), nanoseconds: Int(now.tv_nsec))) \(level) \(message)\n"
        // One fputs per line: stdio locks the stream, so lines from threads never interleave.
        fputs(line, stderr)
    }

    /// `seconds.mmm` since the epoch: milliseconds always with three digits (5 ms is `.005`,
    /// not `.5`), so that the number reads as the time it is.
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
