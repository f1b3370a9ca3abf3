import CFastCGI
import Dispatch
import Foundation
import KMSCore
import KMSHTTP

/// A multi-threaded libfcgi responder on a Unix socket.
///
/// Each worker thread owns one `FCGX_Request` and one handler (and through it, one database
/// connection). `stop()` wakes every thread blocked in accept; a thread busy with a request
/// finishes it, writes the response, and then leaves, so nothing in flight is cut off.
public final class FastCGIServer: @unchecked Sendable {
    /// Answers one request; called only from the worker thread that created it.
    public typealias Handler = (HTTPRequest) -> HTTPResponse

    /// Largest body read from nginx; nginx's own limit is lower, this is a second fence.
    public static let maximumBody = 1 << 20

    private let socketPath: String
    private let listenFD: Int32
    private let lock = NSLock()
    private var stopping = false

    /// Opens the socket (replacing a stale one), mode 0660, group `socketGroup` if given, so
    /// only nginx's workers can reach it.
    public init(socketPath: String, socketGroup: String?, backlog: Int32 = 1024) throws {
        guard FCGX_Init() == 0 else { throw KMSError(.internalError, "FCGX_Init failed") }
        self.socketPath = socketPath
        unlink(socketPath)
        let fd = FCGX_OpenSocket(socketPath, backlog)
        guard fd >= 0 else { throw KMSError(.internalError, "cannot listen on \(socketPath)") }
        listenFD = fd
        guard chmod(socketPath, 0o660) == 0 else { throw KMSError(.internalError, "chmod \(socketPath) failed: errno \(errno)") }
        if let socketGroup, !socketGroup.isEmpty {
            guard let group = getgrnam(socketGroup) else { throw KMSError(.internalError, "unknown group \(socketGroup)") }
            guard chown(socketPath, uid_t.max, group.pointee.gr_gid) == 0 else {
                throw KMSError(.internalError, "chown \(socketPath) to group \(socketGroup) failed: errno \(errno)")
            }
        }
    }

    /// Runs `workers` threads, named `threadName-INDEX`, until `stop()`; each calls
    /// `makeHandler(index)` once, on its own thread.
    public func run(workers: Int, threadName: String = "fcgi-worker", makeHandler: @escaping @Sendable (Int) -> Handler) {
        let group = DispatchGroup()
        for index in 0..<workers {
            group.enter()
            let thread = Thread { [self] in
                serve(handler: makeHandler(index))
                group.leave()
            }
            thread.stackSize = 1 << 20
            thread.name = "\(threadName)-\(index)"
            thread.start()
        }
        group.wait()
        close(listenFD)
        unlink(socketPath)
    }

    /// Stops accepting. Safe from any thread, any number of times.
    public func stop() {
        lock.lock()
        defer { lock.unlock() }
        guard !stopping else { return }
        stopping = true
        // On Linux, shutdown(2) on a listening socket makes every blocked accept(2) return
        // EINVAL, which is the only way to wake all worker threads at once.
        shutdown(listenFD, Int32(SHUT_RDWR))
    }

    private var isStopping: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopping
    }

    private func serve(handler: Handler) {
        let request = FastCGIRequest(listenFD: listenFD)
        while !isStopping {
            guard request.accept() else {
                // A failed accept is either our shutdown or a transient error (a peer that
                // went away before accept); only the first ends the worker.
                if isStopping { break }
                usleep(1000)
                continue
            }
            let response = handler(request.read(maximumBody: FastCGIServer.maximumBody))
            request.write(response)
            request.finish()
        }
    }
}
