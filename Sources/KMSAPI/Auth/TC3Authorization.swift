import KMSCore

/// The parsed `Authorization: TC3-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…` header.
/// Parsed over bytes: it runs on every request.
struct TC3Authorization: Equatable {
    let secretId: String
    let date: String
    let service: String
    let signedHeaders: [String]
    /// The signature's 64 lower-case hex digits as ASCII bytes (compared on every request).
    let signatureBytes: [UInt8]

    static let prefix = Array("TC3-HMAC-SHA256 ".utf8)

    init(parsing header: String) throws {
        var header = header
        self = try header.withUTF8 { try TC3Authorization(bytes: $0) }
    }

    private static let credentialName = Array("Credential".utf8), signedHeadersName = Array("SignedHeaders".utf8),
                       signatureName = Array("Signature".utf8), scopeEnd = Array("tc3_request".utf8)

    /// Index ranges and byte loops over the header's UTF-8, without generic `split`: this runs on
    /// every request (the generic version cost ~24,000 instructions, most in metadata lookups).
    private init(bytes b: UnsafeBufferPointer<UInt8>) throws {
        let bad = KMSError(.authFailureInvalidAuthorization)
        let prefix = TC3Authorization.prefix
        guard b.count <= 2048, b.count >= prefix.count, prefix.indices.allSatisfy({ b[$0] == prefix[$0] }) else { throw bad }
        func equal(_ r: Range<Int>, _ literal: [UInt8]) -> Bool {
            r.count == literal.count && zip(r, literal).allSatisfy { b[$0] == $1 }
        }
        var credential: Range<Int>? = nil, signed: Range<Int>? = nil, signature: Range<Int>? = nil
        for part in Self.pieces(b, prefix.count..<b.count, UInt8(ascii: ",")) {
            let field = Self.trimmed(b, part)
            guard let eq = field.first(where: { b[$0] == UInt8(ascii: "=") }) else { throw bad }
            let name = Self.trimmed(b, field.lowerBound..<eq), value = Self.trimmed(b, (eq + 1)..<field.upperBound)
            if equal(name, Self.credentialName), credential == nil { credential = value }
            else if equal(name, Self.signedHeadersName), signed == nil { signed = value }
            else if equal(name, Self.signatureName), signature == nil { signature = value }
            else { throw bad }
        }
        guard let credential, let signed, let signature else { throw bad }
        let scope = Self.pieces(b, credential, UInt8(ascii: "/"))
        guard scope.count == 4, !scope[0].isEmpty, equal(scope[3], Self.scopeEnd) else { throw bad }
        let headers = Self.pieces(b, signed, UInt8(ascii: ";")).map { r in
            String(decoding: r.map { b[$0] >= 0x41 && b[$0] <= 0x5A ? b[$0] + 32 : b[$0] }, as: UTF8.self)
        }
        guard !headers.contains(where: \.isEmpty), headers.contains("content-type"), headers.contains("host"), headers.count <= 32 else {
            throw bad
        }
        guard signature.count == 64, signature.allSatisfy({ (0x30...0x39).contains(b[$0]) || (0x61...0x66).contains(b[$0]) }) else {
            throw bad
        }
        func text(_ r: Range<Int>) -> String? { String(validating: UnsafeBufferPointer(rebasing: b[r]), as: UTF8.self) }
        guard let id = text(scope[0]), let date = text(scope[1]), let service = text(scope[2]) else { throw bad }
        secretId = id
        self.date = date
        self.service = service
        signedHeaders = headers
        signatureBytes = Array(UnsafeBufferPointer(rebasing: b[signature]))
    }

    /// The ranges between `separator`s within `range` (empty ones included).
    private static func pieces(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ separator: UInt8) -> [Range<Int>] {
        var out: [Range<Int>] = []
        out.reserveCapacity(4)
        var start = range.lowerBound
        for i in range where b[i] == separator {
            out.append(start..<i)
            start = i + 1
        }
        out.append(start..<range.upperBound)
        return out
    }

    /// `range` without leading and trailing ASCII whitespace.
    private static func trimmed(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Range<Int> {
        var lower = range.lowerBound, upper = range.upperBound
        while lower < upper, ASCII.isWhitespace(b[lower]) { lower += 1 }
        while upper > lower, ASCII.isWhitespace(b[upper - 1]) { upper -= 1 }
        return lower..<upper
    }
}
