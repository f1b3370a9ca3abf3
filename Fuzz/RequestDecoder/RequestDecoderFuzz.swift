// libFuzzer target: one hostile HTTP request through the request decoder (APIRequest), the
// timestamp check, the declared-parameter decoding and the signature check, as Service.handle
// runs them before any database access.
//
// Input: CGI parameters as `NAME=value` lines, then an empty line, then the body, e.g.
//     REQUEST_METHOD=POST\nCONTENT_TYPE=application/json\nHTTP_AUTHORIZATION=TC3-…\n\n{"KeyId":"x"}
#if DEBUG  // @testable import needs modules built for testing, as debug builds are
@testable import KMSAPI
import KMSCore
import KMSHTTP

/// A fixed server clock and secret, so a run is reproducible.
let now: Int64 = 1_700_000_000
let secretKey = SecureBytes(Array("Gu5t9xGARNpq86cd98joQYCN3EXAMPLE".utf8))

/// Splits the input at the first blank line into CGI parameters and body.
func httpRequest(_ bytes: [UInt8]) -> HTTPRequest {
    var end = bytes.count, bodyStart = bytes.count
    for i in bytes.indices.dropLast() where bytes[i] == 0x0A && bytes[i + 1] == 0x0A {
        end = i; bodyStart = i + 2
        break
    }
    var parameters: [String: String] = [:]
    for line in bytes[..<end].split(separator: 0x0A) {
        // Like the transport: libfcgi hands over C strings, so a NUL ends the line.
        let text = String(decoding: line.prefix { $0 != 0 }, as: UTF8.self)
        guard let eq = text.firstIndex(of: "=") else { continue }
        parameters[String(text[..<eq])] = String(text[text.index(after: eq)...])
    }
    return HTTPRequest(parameters: parameters, body: Array(bytes[bodyStart...]))
}

/// Anything but a KMSError, or an InternalError, would reach the caller as a 5xx-like failure.
func expectClientError(_ body: () throws -> Void) {
    do {
        try body()
    } catch let error as KMSError {
        precondition(error.code != .internalError, "hostile input produced InternalError: \(error)")
        _ = Service.errorResponse(error, requestId: "00000000-0000-0000-0000-000000000000", english: true)
    } catch {
        preconditionFailure("hostile input produced a non-KMSError: \(error)")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let http = httpRequest(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
    _ = APIRequest.prefersEnglish(http)
    expectClientError {
        let request = try APIRequest(http)
        try RequestSignature.checkTimestamp(request.timestamp, now: now)
        _ = RequestSignature.utcDate(request.timestamp)
        if let spec = ActionTable.all[request.action] {
            _ = try Parameters(decoding: request.parameters, specs: spec.parameters, fromForm: request.fromForm)
        }
        try RequestSignature.verify(request, secretKey: secretKey)
    }
    return 0
}
#endif
