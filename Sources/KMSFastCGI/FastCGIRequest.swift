import CFastCGI
import Foundation
import KMSCore
import KMSHTTP

/// Owns one `FCGX_Request` for the life of a worker thread.
final class FastCGIRequest {
    private let request: UnsafeMutablePointer<FCGX_Request>

    init(listenFD: Int32) {
        request = UnsafeMutablePointer<FCGX_Request>.allocate(capacity: 1)
        // FAIL_ACCEPT_ON_INTR: a signal or a shutdown socket ends accept instead of looping in libfcgi.
        FCGX_InitRequest(request, listenFD, FCGI_FAIL_ACCEPT_ON_INTR)
    }

    deinit {
        FCGX_Free(request, 1)
        request.deallocate()
    }

    /// Waits for the next request; false once the listening socket is shut down.
    func accept() -> Bool { FCGX_Accept_r(request) >= 0 }

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

    /// Ends the request and closes the connection at once.
    ///
    /// libfcgi's own close is a lingering one: `shutdown(SHUT_WR)`, then up to 2 s in `select`
    /// and `read` until nginx hangs up, so every request put its worker thread to sleep once
    /// more, after the response was already written. That guards TCP, where closing with unread
    /// input makes the kernel send a reset that can destroy the response still in flight. On a
    /// Unix socket the response is already in nginx's receive queue when `write` returns and
    /// closing cannot take it back; a reset is only reported to nginx if we leave input unread,
    /// so the rest of the input (the empty record that ends FCGI_STDIN) is read first.
    /// `FCGX_Detach` makes libfcgi's close a plain `close(2)`.
    func finish() {
        var scratch = [CChar](repeating: 0, count: 512)
        while FCGX_GetStr(&scratch, Int32(scratch.count), request.pointee.in) > 0 {}
        _ = FCGX_Detach(request)
        FCGX_Finish_r(request)
    }
}
