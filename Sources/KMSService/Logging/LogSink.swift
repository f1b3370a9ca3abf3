#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Log lines on their way to a file descriptor, written in batches.
///
/// A worker only copies its line into a shared buffer under a short lock; the `write(2)` is done
/// by a background thread every 100 ms, or by the worker whose line fills the buffer. So a
/// request pays no syscall for its log line, and a crash loses at most what the buffer held:
/// the lines of the last ~100 ms (never more than `capacity` bytes).
public final class LogSink: Sendable {
    /// How often the background thread writes what has accumulated.
    public static let flushInterval = 0.1

    /// The descriptor written to. Never closed while the sink lives: `reopen` points it at the
    /// new file with `dup2`, which is atomic, so a write in progress goes wholly to one file.
    public let fd: Int32
    /// The file `reopen` opens again (nil for a descriptor such as stderr).
    public let path: String?
    private let capacity: Int
    private let pending: Mutex<[UInt8]>
    /// Held across taking the buffer and writing it, so batches reach the file in order.
    private let writing = Mutex<Void>(())
    /// The background writer: a plain pthread that only sleeps and writes, joined by
    /// `stopFlushing`, so nothing of it still runs while the process exits.
    nonisolated(unsafe) private var flusher: pthread_t?
    private let stopping = Atomic<Bool>(false)

    /// A sink appending to the file at `path` (created 0640 if missing); throws `errno`'s text.
    public convenience init(path: String, capacity: Int = 256 * 1024) throws(LogFileError) {
        let fd = LogSink.openForAppend(path)
        guard fd >= 0 else { throw LogFileError(path: path, reason: String(cString: strerror(errno))) }
        self.init(fd: fd, path: path, capacity: capacity)
    }

    /// A sink writing to `fd` (for example 2, stderr); `path` is what `reopen` opens.
    public init(fd: Int32, path: String? = nil, capacity: Int = 256 * 1024) {
        self.fd = fd
        self.path = path
        self.capacity = capacity
        var buffer: [UInt8] = []
        buffer.reserveCapacity(capacity + 1024)
        pending = Mutex(buffer)
    }

    /// Queues one finished line; writes the batch at once if it is full.
    public func append(_ line: [UInt8]) {
        let full = pending.withLock { buffer -> Bool in
            buffer.append(contentsOf: line)
            return buffer.count >= capacity
        }
        if full { flush() }
    }

    /// Writes everything queued so far.
    public func flush() {
        writing.withLock { _ in
            let batch = pending.withLock { buffer -> [UInt8] in
                guard !buffer.isEmpty else { return [] }
                var fresh: [UInt8] = []
                fresh.reserveCapacity(capacity + 1024)
                swap(&fresh, &buffer)
                return fresh
            }
            writeAll(batch)
        }
    }

    /// Points the sink at a new file of the same name (after logrotate moved the old one away),
    /// having first written what was queued to the old one. Returns nil, or why it failed: the
    /// sink then keeps writing to the old file, so nothing is lost.
    public func reopen() -> String? {
        guard let path else { return nil }
        flush()
        let fresh = LogSink.openForAppend(path)
        guard fresh >= 0 else { return String(cString: strerror(errno)) }
        writing.withLock { _ in _ = dup2(fresh, fd) }
        close(fresh)
        return nil
    }

    /// Starts the background thread that writes every `flushInterval` (idempotent).
    public func startFlushing() {
        writing.withLock { _ in
            guard flusher == nil else { return }
            stopping.store(false, ordering: .relaxed)
            var thread = pthread_t()
            // The thread holds the sink until it ends (joined in `stopFlushing`).
            let context = Unmanaged.passRetained(self).toOpaque()
            let created = pthread_create(&thread, nil, { context in
                let sink = Unmanaged<LogSink>.fromOpaque(context!).takeRetainedValue()
                var interval = timespec(tv_sec: 0, tv_nsec: Int(LogSink.flushInterval * 1e9))
                while !sink.stopping.load(ordering: .relaxed) {
                    nanosleep(&interval, nil)
                    sink.flush()
                }
                return nil
            }, context)
            if created == 0 { flusher = thread } else { Unmanaged<LogSink>.fromOpaque(context).release() }
        }
    }

    /// Stops the background thread (waiting for it to end), then writes what is left.
    public func stopFlushing() {
        let thread = writing.withLock { _ -> pthread_t? in
            defer { flusher = nil }
            return flusher
        }
        if let thread {
            stopping.store(true, ordering: .relaxed)
            pthread_join(thread, nil)
        }
        flush()
    }

    private func writeAll(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n > 0 { offset += n; continue }
                if n < 0 && errno == EINTR { continue }
                // Disk full or the file gone: there is nowhere to say so; drop this batch.
                return
            }
        }
    }

    /// O_APPEND: the supervisor appends the responder's stderr to the same file, and lines from
    /// both must never overwrite each other. O_NOFOLLOW: a link at the name is not followed.
    private static func openForAppend(_ path: String) -> Int32 {
        open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o640)
    }
}

/// A log file that could not be opened.
public struct LogFileError: Error, CustomStringConvertible {
    /// The file.
    public let path: String
    /// `strerror` of the failure.
    public let reason: String
    /// `cannot open PATH: REASON`.
    public var description: String { "cannot open \(path): \(reason)" }
}
