/// One HTTP request as the transport hands it to the API: the CGI parameters nginx passed
/// (REQUEST_METHOD, QUERY_STRING, CONTENT_TYPE, HTTP_HOST, HTTP_AUTHORIZATION, HTTP_X_TC_*, …)
/// and the body.
///
/// The parameters stay as the bytes the transport read, in one block; a value becomes a
/// `String` only when asked for (a request reads about eight of them).
public struct HTTPRequest: Sendable {
    /// `NAME=value` entries back to back; `entries` says where each name and value lie.
    private let block: [UInt8]
    private let entries: [(name: Range<Int>, value: Range<Int>)]
    public var body: [UInt8]
    /// Some CGI parameter (a header, the query string) was not valid UTF-8; the API refuses
    /// the request rather than act on a repaired copy.
    public var hasInvalidEncoding: Bool

    public let method: String
    public let queryString: String
    public let contentType: String
    public let remoteAddress: String

    /// From raw `NAME=value` entries (the transport's C strings, without their NUL). Entries
    /// without `=` are ignored.
    public init(entries raw: [UnsafeRawBufferPointer], body: [UInt8]) {
        var block: [UInt8] = []
        block.reserveCapacity(raw.reduce(0) { $0 + $1.count })
        var entries: [(name: Range<Int>, value: Range<Int>)] = []
        entries.reserveCapacity(raw.count)
        for entry in raw {
            guard let eq = entry.firstIndex(of: UInt8(ascii: "=")) else { continue }
            let start = block.count
            block.append(contentsOf: entry)
            entries.append((start..<start + eq, start + eq + 1..<block.count))
        }
        self.init(block: block, entries: entries, body: body, hasInvalidEncoding: !HTTPRequest.isValidUTF8(block, entries))
    }

    public init(parameters: [String: String], body: [UInt8], hasInvalidEncoding: Bool = false) {
        var block: [UInt8] = []
        var entries: [(name: Range<Int>, value: Range<Int>)] = []
        for (name, value) in parameters {
            let start = block.count
            block.append(contentsOf: name.utf8)
            let eq = block.count
            block.append(UInt8(ascii: "="))
            block.append(contentsOf: value.utf8)
            entries.append((start..<eq, eq + 1..<block.count))
        }
        self.init(block: block, entries: entries, body: body, hasInvalidEncoding: hasInvalidEncoding)
    }

    private init(block: [UInt8], entries: [(name: Range<Int>, value: Range<Int>)], body: [UInt8], hasInvalidEncoding: Bool) {
        self.block = block
        self.entries = entries
        self.body = body
        self.hasInvalidEncoding = hasInvalidEncoding
        func variable(_ name: StaticString) -> String? {
            HTTPRequest.find(block, entries) { HTTPRequest.equal($0, name) }
        }
        method = variable("REQUEST_METHOD") ?? "GET"
        queryString = variable("QUERY_STRING") ?? ""
        contentType = variable("CONTENT_TYPE") ?? ""
        remoteAddress = variable("REMOTE_ADDR") ?? ""
    }

    /// A CGI parameter by its exact name (`REQUEST_METHOD`, `HTTP_X_TC_ACTION`).
    public func parameter(_ name: String) -> String? {
        var name = name
        return name.withUTF8 { wanted in HTTPRequest.find(block, entries) { $0.elementsEqual(wanted) } }
    }

    /// A request header by its lower-case HTTP name (`x-tc-action`); CONTENT_TYPE and
    /// CONTENT_LENGTH are CGI meta-variables rather than HTTP_* parameters.
    public func header(_ name: String) -> String? {
        switch name {
        case "content-type": return parameter("CONTENT_TYPE")
        case "content-length": return parameter("CONTENT_LENGTH")
        default:
            // HTTP_ + the name upper-cased with '-' as '_', compared byte by byte.
            var name = name
            return name.withUTF8 { wanted in
                HTTPRequest.find(block, entries) { candidate in
                    guard candidate.count == 5 + wanted.count, candidate.starts(with: "HTTP_".utf8) else { return false }
                    for (c, w) in zip(candidate.dropFirst(5), wanted) where c != (w == 0x2D ? 0x5F : (w >= 0x61 && w <= 0x7A ? w - 32 : w)) {
                        return false
                    }
                    return true
                }
            }
        }
    }

    /// The first header among `X-TC-*` and `Authorization` sent more than once, as its CGI name.
    /// nginx 1.22 passes each copy of a repeated request header as its own `HTTP_*` parameter
    /// (1.23 joins them with commas); either way the request is ambiguous and must be refused.
    public var repeatedSignatureHeader: String? {
        block.withUnsafeBufferPointer { bytes in
            // Pairwise over a dozen entries: no allocation on the hot path.
            for (i, entry) in entries.enumerated() {
                let name = UnsafeBufferPointer(rebasing: bytes[entry.name])
                guard name.starts(with: "HTTP_X_TC_".utf8) || HTTPRequest.equal(name, "HTTP_AUTHORIZATION") else { continue }
                for later in entries[(i + 1)...] where later.name.count == name.count
                    && UnsafeBufferPointer(rebasing: bytes[later.name]).elementsEqual(name) {
                    return String(decoding: name, as: UTF8.self)
                }
            }
            return nil
        }
    }

    private static func find(_ block: [UInt8], _ entries: [(name: Range<Int>, value: Range<Int>)],
                             where matches: (UnsafeBufferPointer<UInt8>) -> Bool) -> String? {
        block.withUnsafeBufferPointer { bytes in
            // The last entry with the name wins, as a dictionary built in order would.
            for entry in entries.reversed() where matches(UnsafeBufferPointer(rebasing: bytes[entry.name])) {
                return String(decoding: UnsafeBufferPointer(rebasing: bytes[entry.value]), as: UTF8.self)
            }
            return nil
        }
    }

    private static func equal(_ bytes: UnsafeBufferPointer<UInt8>, _ name: StaticString) -> Bool {
        bytes.count == name.utf8CodeUnitCount
            && name.withUTF8Buffer { bytes.elementsEqual($0) }
    }

    /// Whether every name and value is UTF-8 (checked once; most requests are pure ASCII).
    private static func isValidUTF8(_ block: [UInt8], _ entries: [(name: Range<Int>, value: Range<Int>)]) -> Bool {
        block.withUnsafeBufferPointer { bytes in
            var nonASCII: UInt8 = 0
            for byte in bytes { nonASCII |= byte }
            guard nonASCII & 0x80 != 0 else { return true }
            return entries.allSatisfy { entry in
                String(validating: UnsafeBufferPointer(rebasing: bytes[entry.name]), as: UTF8.self) != nil
                    && String(validating: UnsafeBufferPointer(rebasing: bytes[entry.value]), as: UTF8.self) != nil
            }
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
