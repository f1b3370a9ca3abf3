import CFastCGI
import Foundation
import KMSCore
import KMSHTTP

/// Owns one `FCGX_Request` for the life of a worker thread.
///
/// libfcgi never accepts here: `FastCGIServer` accepts and polls the connections, and hands
/// this request one whose next request is waiting (`begin(on:)`). The request's listening
/// socket is -1, so libfcgi's own accept, which it falls back to when a connection fails,
/// fails at once (EBADF) instead of taking a connection from the poller.
final class FastCGIRequest {
    private let request: UnsafeMutablePointer<FCGX_Request>

    init() {
        request = UnsafeMutablePointer<FCGX_Request>.allocate(capacity: 1)
        FCGX_InitRequest(request, -1, FCGI_FAIL_ACCEPT_ON_INTR)
    }

    deinit {
        FCGX_Free(request, 1)
        request.deallocate()
    }

    /// Reads the next request's parameters from `connection` (blocking until they are all
    /// there); false if the connection failed or closed, which libfcgi has then closed.
    ///
    /// The connection is marked kept and detached before libfcgi sees it: kept, so that the
    /// finish of the previous request libfcgi runs first does not close it; detached, so that a
    /// close is a plain `close(2)` (see `finish`). The request's own flags, read next, decide.
    func begin(on connection: Int32) -> Bool {
        request.pointee.ipcFd = connection
        request.pointee.keepConnection = 1
        _ = FCGX_Detach(request)
        return FCGX_Accept_r(request) >= 0
    }

    /// The CGI parameters and up to `maximumBody` bytes of body.
    func read(maximumBody: Int) -> HTTPRequest {
        var entries: [UnsafeRawBufferPointer] = []
        entries.reserveCapacity(24)
        var declared = 0
        // envp is a NULL-terminated array of "NAME=value" C strings owned by libfcgi until finish.
        if var cursor = request.pointee.envp {
            while let entry = cursor.pointee {
                cursor += 1
                let bytes = UnsafeRawBufferPointer(start: entry, count: strlen(entry))
                // Only request headers (HTTP_*) and the CGI variables the API reads are kept.
                guard FastCGIRequest.isWanted(bytes) else { continue }
                if bytes.starts(with: FastCGIRequest.contentLength) {
                    declared = Int(String(decoding: bytes[FastCGIRequest.contentLength.count...], as: UTF8.self)) ?? 0
                }
                entries.append(bytes)
            }
        }
        let wanted = max(0, min(declared, maximumBody))
        var body = [UInt8](repeating: 0, count: wanted)
        var got = 0
        while got < wanted {
            // FCGX_GetStr fills from the request's input stream; 0 means end of stream.
            let n = body.withUnsafeMutableBytes { raw in
                FCGX_GetStr(raw.baseAddress!.assumingMemoryBound(to: CChar.self) + got, Int32(wanted - got), request.pointee.in)
            }
            if n <= 0 { break }
            got += Int(n)
        }
        body.removeSubrange(got...)
        // The entries point into libfcgi's memory, valid until finish: HTTPRequest copies them.
        return HTTPRequest(entries: entries, body: body)
    }

    /// The CGI variables read besides the HTTP_* headers (see `HTTPRequest`); KMS_PROBE is set
    /// only by nginx's /healthz and /readyz locations (see `Health`).
    private static let wantedVariables: [[UInt8]] = ["REQUEST_METHOD=", "QUERY_STRING=", "CONTENT_TYPE=",
                                                      "CONTENT_LENGTH=", "REMOTE_ADDR=", "KMS_PROBE="].map { Array($0.utf8) }
    private static let headerPrefix = Array("HTTP_".utf8)
    /// Parameters nginx sets itself for the responder (`KMS_METRICS_SCRAPE` on the metrics port);
    /// a client cannot send one: its headers arrive as HTTP_*.
    private static let servicePrefix = Array("KMS_".utf8)
    private static let contentLength = Array("CONTENT_LENGTH=".utf8)

    private static func isWanted(_ entry: UnsafeRawBufferPointer) -> Bool {
        if entry.starts(with: headerPrefix) || entry.starts(with: servicePrefix) { return true }
        return wantedVariables.contains { entry.starts(with: $0) }
    }

    func write(_ response: HTTPResponse) {
        let bytes = response.cgiMessage()
        bytes.withUnsafeBytes { raw in
            _ = FCGX_PutStr(raw.baseAddress!.assumingMemoryBound(to: CChar.self), Int32(raw.count), request.pointee.out)
        }
    }

    /// Ends the request. Returns the connection if nginx keeps it (`fastcgi_keep_conn on`) for
    /// its next request, which is the caller's to poll; otherwise it is closed at once.
    ///
    /// libfcgi's own close is a lingering one: `shutdown(SHUT_WR)`, then up to 2 s in `select`
    /// and `read` until nginx hangs up, so every request put its worker thread to sleep once
    /// more, after the response was already written. That guards TCP, where closing with unread
    /// input makes the kernel send a reset that can destroy the response still in flight. On a
    /// Unix socket the response is already in nginx's receive queue when `write` returns and
    /// closing cannot take it back; a reset is only reported to nginx if we leave input unread,
    /// so the rest of the input (the empty record that ends FCGI_STDIN) is read first.
    /// `FCGX_Detach` makes libfcgi's close a plain `close(2)`.
    func finish() -> Int32? {
        var scratch = [CChar](repeating: 0, count: 512)
        while FCGX_GetStr(&scratch, Int32(scratch.count), request.pointee.in) > 0 {}
        _ = FCGX_Detach(request)
        FCGX_Finish_r(request)
        // A kept connection stays open in libfcgi's request; it is the poller's from here on.
        let kept = request.pointee.ipcFd
        guard kept >= 0 else { return nil }
        request.pointee.ipcFd = -1
        return kept
    }
}
