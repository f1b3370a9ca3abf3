extension HTTPResponse {
    /// The response as a CGI/FastCGI responder writes it to its web server: a `Status` line,
    /// `Content-Type`, `Content-Length`, a blank line, the body.
    ///
    /// Spelled out byte by byte: string interpolation of the two numbers cost ~6k instructions a
    /// request in the Swift runtime's protocol-conformance lookups (callgrind), more than
    /// everything else the transport does with a response.
    public func cgiMessage() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(64 + contentType.utf8.count + body.count)
        bytes.append(contentsOf: HTTPResponse.statusField)
        HTTPResponse.appendDecimal(status, to: &bytes)
        bytes.append(contentsOf: HTTPResponse.reasonPhrase(status))
        bytes.append(contentsOf: HTTPResponse.contentTypeField)
        bytes.append(contentsOf: contentType.utf8)
        bytes.append(contentsOf: HTTPResponse.contentLengthField)
        HTTPResponse.appendDecimal(body.count, to: &bytes)
        bytes.append(contentsOf: HTTPResponse.endOfHead)
        bytes.append(contentsOf: body)
        return bytes
    }

    private static let statusField = Array("Status: ".utf8)
    private static let contentTypeField = Array("\r\nContent-Type: ".utf8)
    private static let contentLengthField = Array("\r\nContent-Length: ".utf8)
    private static let endOfHead = Array("\r\n\r\n".utf8)
    private static let ok = Array(" OK".utf8)
    private static let unavailable = Array(" Service Unavailable".utf8)
    private static let error = Array(" Error".utf8)

    /// The reason phrase after the status code, with its leading space.
    private static func reasonPhrase(_ status: Int) -> [UInt8] {
        switch status {
        case 200: ok
        case 503: unavailable
        default: error
        }
    }

    /// Appends the decimal digits of `value` (negative values, which no response has, as 0).
    static func appendDecimal(_ value: Int, to bytes: inout [UInt8]) {
        var n = UInt(max(0, value))
        var divisor: UInt = 1
        while divisor <= n / 10 { divisor *= 10 }
        repeat {
            bytes.append(UInt8(ascii: "0") &+ UInt8(n / divisor))
            n %= divisor
            divisor /= 10
        } while divisor > 0
    }
}
