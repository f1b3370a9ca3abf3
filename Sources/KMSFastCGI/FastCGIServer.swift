import CFastCGI
import Dispatch
import Foundation
import Synchronization
import KMSCore
import KMSHTTP

/// A multi-threaded libfcgi responder on a Unix socket.
///
/// Each worker thread owns one `FCGX_Request` and one handler (and through it, one database
/// connection). The threads share one epoll set holding the listening socket and every
/// connection nginx keeps open between requests (`fastcgi_keep_conn on`): a thread waits for
/// whichever is ready, accepts or serves one request on it, hands a kept connection back to the
/// set and waits again. No thread is ever bound to an idle connection, which is what libfcgi's
/// own accept loop does with kept connections (a thread blocked reading a connection nginx does
/// not use, while requests on others wait), so nginx may keep as many as it likes, and a request
/// costs no connect, accept and close. Every descriptor is watched one-shot: one thread is
/// woken for it, and it is re-armed only once that thread is done with it.
///
/// `stop()` wakes every thread waiting; a thread busy with a request finishes it, writes the
/// response, and then leaves, so nothing in flight is cut off.
public final class FastCGIServer: @unchecked Sendable {
    /// Answers one request; called only from the worker thread that created it.
    public typealias Handler = (HTTPRequest) -> HTTPResponse

    /// Largest body read from nginx; nginx's own limit is lower, this is a second fence.
    public static let maximumBody = 1 << 20

    private let socketPath: String
    private let listenFD: Int32
    /// The epoll set the threads wait on.
    private let poller: Int32
    /// Readable once `stop()` has run; watched level-triggered, so it wakes every thread.
    private let stopEvent: Int32
    private let stopping = Atomic<Bool>(false)

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
        // Accept never blocks: the thread the poller woke may find the connection taken (it is
        // not, with one-shot watching, but a peer may have gone away before accept).
        let flags = fcntl(fd, F_GETFL)
        guard flags >= 0, fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0 else {
            throw KMSError(.internalError, "cannot make \(socketPath) non-blocking: errno \(errno)")
        }
        poller = epoll_create1(Int32(EPOLL_CLOEXEC))
        stopEvent = eventfd(0, Int32(EFD_CLOEXEC | EFD_NONBLOCK))
        guard poller >= 0, stopEvent >= 0, kms_poll_watch(poller, listenFD, 1, 1) == 0,
              kms_poll_watch(poller, stopEvent, 0, 1) == 0 else {
            throw KMSError(.internalError, "cannot poll \(socketPath): errno \(errno)")
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
        // Kept connections still in the set close with the process; nginx opens new ones.
        close(listenFD)
        close(poller)
        close(stopEvent)
        unlink(socketPath)
    }

    /// Stops accepting. Safe from any thread, any number of times.
    public func stop() {
        guard !stopping.exchange(true, ordering: .sequentiallyConsistent) else { return }
        _ = eventfd_write(stopEvent, 1)
    }

    private func serve(handler: Handler) {
        let request = FastCGIRequest()
        while !stopping.load(ordering: .relaxed) {
            let ready = kms_poll_next(poller)
            if ready < 0 || ready == stopEvent { continue }
            if ready == listenFD {
                let connection = kms_accept(listenFD)
                // Re-armed before serving, so another thread can take the next connection.
                _ = kms_poll_watch(poller, listenFD, 1, 0)
                // A failed accept is transient (a peer that went away, EAGAIN) or the shutdown.
                if connection >= 0 { serveRequest(on: connection, watched: false, request: request, handler: handler) }
                continue
            }
            switch kms_peek_input(ready) {
            case 1: serveRequest(on: ready, watched: true, request: request, handler: handler)
            case -1: _ = kms_poll_watch(poller, ready, 1, 0)
            default: close(ready)  // nginx closed its kept connection; close(2) also unwatches it
            }
        }
    }

    /// Serves the request waiting on `connection`, then watches the connection for the next one
    /// if nginx keeps it (`watched`: it is in the set already and needs only re-arming).
    private func serveRequest(on connection: Int32, watched: Bool, request: FastCGIRequest, handler: Handler) {
        guard request.begin(on: connection) else { return }
        let response = handler(request.read(maximumBody: FastCGIServer.maximumBody))
        request.write(response)
        guard let kept = request.finish() else { return }
        if kms_poll_watch(poller, kept, 1, watched ? 0 : 1) != 0 { close(kept) }
    }
}
