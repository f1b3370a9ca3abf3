/// One HTTP request as the transport hands it to the API: the CGI parameters nginx passed
/// (REQUEST_METHOD, QUERY_STRING, CONTENT_TYPE, HTTP_HOST, HTTP_AUTHORIZATION, HTTP_X_TC_*, …)
/// and the body.
public struct HTTPRequest: Sendable {
    public var parameters: [String: String]
    public var body: [UInt8]
    /// Some CGI parameter (a header, the query string) was not valid UTF-8; it was left out, and
    /// the API refuses the request rather than act on a repaired copy.
    public var hasInvalidEncoding: Bool

    public init(parameters: [String: String], body: [UInt8], hasInvalidEncoding: Bool = false) {
        self.parameters = parameters
        self.body = body
        self.hasInvalidEncoding = hasInvalidEncoding
    }

    public var method: String { parameters["REQUEST_METHOD"] ?? "GET" }
    public var queryString: String { parameters["QUERY_STRING"] ?? "" }
    public var contentType: String { parameters["CONTENT_TYPE"] ?? "" }
    public var remoteAddress: String { parameters["REMOTE_ADDR"] ?? "" }

    /// A request header by its lower-case HTTP name (`x-tc-action`); CONTENT_TYPE and
    /// CONTENT_LENGTH are CGI meta-variables rather than HTTP_* parameters.
    public func header(_ name: String) -> String? {
        switch name {
        case "content-type": return parameters["CONTENT_TYPE"]
        case "content-length": return parameters["CONTENT_LENGTH"]
        default:
            // HTTP_ + the name upper-cased with '-' as '_', built as bytes (this runs several times a request).
            var key: [UInt8] = [0x48, 0x54, 0x54, 0x50, 0x5F]
            key.reserveCapacity(5 + name.utf8.count)
            for c in name.utf8 { key.append(c == 0x2D ? 0x5F : (c >= 0x61 && c <= 0x7A ? c - 32 : c)) }
            return parameters[String(decoding: key, as: UTF8.self)]
        }
    }
}

/// What the transport writes back. The API always answers 200 with `application/json`.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var contentType: String
    public var body: [UInt8]

    public init(status: Int = 200, contentType: String = "application/json", body: [UInt8]) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }
}
