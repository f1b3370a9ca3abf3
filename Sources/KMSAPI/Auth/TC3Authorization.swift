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
        let bad = KMSError(.authFailureInvalidAuthorization)
        let bytes = Array(header.utf8)
        guard bytes.count <= 2048, bytes.starts(with: TC3Authorization.prefix) else { throw bad }
        var credential: ArraySlice<UInt8>? = nil, signed: ArraySlice<UInt8>? = nil, signature: ArraySlice<UInt8>? = nil
        for part in bytes[TC3Authorization.prefix.count...].split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false) {
            let field = part.trimmingASCIIWhitespace()
            guard let eq = field.firstIndex(of: UInt8(ascii: "=")) else { throw bad }
            let name = field[..<eq].trimmingASCIIWhitespace(), value = field[(eq + 1)...].trimmingASCIIWhitespace()
            switch String(decoding: name, as: UTF8.self) {
            case "Credential" where credential == nil: credential = value
            case "SignedHeaders" where signed == nil: signed = value
            case "Signature" where signature == nil: signature = value
            default: throw bad
            }
        }
        guard let credential, let signed, let signature else { throw bad }
        let scope = credential.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        guard scope.count == 4, !scope[0].isEmpty, scope[3].elementsEqual("tc3_request".utf8) else { throw bad }
        let headers = signed.split(separator: UInt8(ascii: ";"), omittingEmptySubsequences: false).map {
            String(decoding: $0.map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 32 : $0 }, as: UTF8.self)
        }
        guard !headers.contains(where: \.isEmpty), headers.contains("content-type"), headers.contains("host"), headers.count <= 32 else {
            throw bad
        }
        guard signature.count == 64, signature.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else {
            throw bad
        }
        guard let id = String(validating: scope[0], as: UTF8.self), let date = String(validating: scope[1], as: UTF8.self),
              let service = String(validating: scope[2], as: UTF8.self) else { throw bad }
        secretId = id
        self.date = date
        self.service = service
        signedHeaders = headers
        signatureBytes = Array(signature)
    }
}
