import CFastCGI
import Foundation
import KMSCore

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
        var parameters: [String: String] = [:]
        parameters.reserveCapacity(24)
        var invalidEncoding = false
        // envp is a NULL-terminated array of "NAME=value" C strings owned by libfcgi until finish.
        if var cursor = request.pointee.envp {
            while let entry = cursor.pointee {
                cursor += 1
                let bytes = UnsafeRawBufferPointer(start: entry, count: strlen(entry))
                // Only request headers (HTTP_*) and the CGI variables the API reads become Strings.
                guard FastCGIRequest.isWanted(bytes) else { continue }
                // Validate rather than repair: a value with invalid UTF-8 must not turn into U+FFFD.
                guard let eq = bytes.firstIndex(of: UInt8(ascii: "=")) else { continue }
                if let name = String(validating: bytes[..<eq], as: UTF8.self),
                   let value = String(validating: bytes[(eq + 1)...], as: UTF8.self) {
                    parameters[name] = value
                } else {
                    invalidEncoding = true
                }
            }
        }
        let declared = parameters["CONTENT_LENGTH"].flatMap { Int($0) } ?? 0
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
        return HTTPRequest(parameters: parameters, body: body, hasInvalidEncoding: invalidEncoding)
    }

    /// The CGI variables read besides the HTTP_* headers (see `HTTPRequest`).
    private static let wantedVariables: [[UInt8]] = ["REQUEST_METHOD=", "QUERY_STRING=", "CONTENT_TYPE=",
                                                      "CONTENT_LENGTH=", "REMOTE_ADDR="].map { Array($0.utf8) }
    private static let headerPrefix = Array("HTTP_".utf8)

    private static func isWanted(_ entry: UnsafeRawBufferPointer) -> Bool {
        if entry.starts(with: headerPrefix) { return true }
        return wantedVariables.contains { entry.starts(with: $0) }
    }

    func write(_ response: HTTPResponse) {
        let reason = response.status == 200 ? "OK" : "Error"
        let head = "Status: \(response.status) \(reason)\r\nContent-Type: \(response.contentType)\r\nContent-Length: \(response.body.count)\r\n\r\n"
        var bytes = Array(head.utf8)
        bytes.append(contentsOf: response.body)
        bytes.withUnsafeBytes { raw in
            _ = FCGX_PutStr(raw.baseAddress!.assumingMemoryBound(to: CChar.self), Int32(raw.count), request.pointee.out)
        }
    }

    func finish() { FCGX_Finish_r(request) }
}
