import KMSCore

/// The parsed `Authorization: TC3-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…` header.
struct TC3Authorization: Equatable {
    let secretId: String
    let date: String
    let service: String
    let signedHeaders: [String]
    let signature: String

    init(parsing header: String) throws {
        let bad = KMSError(.authFailureInvalidAuthorization)
        let prefix = "TC3-HMAC-SHA256 "
        guard header.hasPrefix(prefix), header.utf8.count <= 2048 else { throw bad }
        var fields: [String: String] = [:]
        for part in header.dropFirst(prefix.count).split(separator: ",") {
            let pieces = part.split(separator: "=", maxSplits: 1)
            guard pieces.count == 2 else { throw bad }
            let name = pieces[0].trimmingCharacters()
            guard fields[name] == nil else { throw bad }
            fields[name] = pieces[1].trimmingCharacters()
        }
        guard let credential = fields["Credential"], let signed = fields["SignedHeaders"], let signature = fields["Signature"],
              fields.count == 3 else { throw bad }
        let scope = credential.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard scope.count == 4, !scope[0].isEmpty, scope[3] == "tc3_request" else { throw bad }
        let headers = signed.split(separator: ";", omittingEmptySubsequences: false).map { $0.lowercased() }
        guard !headers.contains(where: \.isEmpty), headers.contains("content-type"), headers.contains("host"), headers.count <= 32 else {
            throw bad
        }
        guard signature.utf8.count == 64, signature.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else {
            throw bad
        }
        secretId = scope[0]
        date = scope[1]
        service = scope[2]
        signedHeaders = headers
        self.signature = signature
    }
}
