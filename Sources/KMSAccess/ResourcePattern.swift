/// One compiled entry of a statement's `resource`: `*`, or a six-segment pattern
/// `qcs:project:service:region:account:resource` with `*` wildcards inside segments.
///
/// Matching, segment by segment: the project segment is ignored (Tencent keeps it only for
/// compatibility); the service is compared without regard to case (`*` for any); an empty region or
/// account means any (Tencent: an omitted account is the owner's, and nothing here crosses accounts);
/// the resource segment is compared exactly, case included, with `*` matching any run of characters
/// (slashes included). A request for an action that is not resource-level names the resource `*`,
/// which only the pattern `*` matches: as Tencent documents, a statement that names specific
/// resources does not grant operation-level actions such as `kms:CreateKey`.
final class ResourcePattern: Sendable {
    let matchesEverything: Bool
    /// Lowercased; empty when any service matches.
    let service: [UInt8]
    /// nil when any region (or account) matches.
    let region: WildcardPattern?
    let account: WildcardPattern?
    let resource: WildcardPattern

    init(matchesEverything: Bool, service: [UInt8], region: WildcardPattern?, account: WildcardPattern?, resource: WildcardPattern) {
        self.matchesEverything = matchesEverything
        self.service = service
        self.region = region
        self.account = account
        self.resource = resource
    }

    @inline(__always)
    func matches(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        if matchesEverything { return true }
        // Find the five colons that separate six segments; the last segment keeps any further colon.
        var colons = (0, 0, 0, 0, 0)
        var found = 0
        var i = 0
        while i < bytes.count, found < 5 {
            if bytes[i] == UInt8(ascii: ":") {
                switch found {
                case 0: colons.0 = i
                case 1: colons.1 = i
                case 2: colons.2 = i
                case 3: colons.3 = i
                default: colons.4 = i
                }
                found += 1
            }
            i += 1
        }
        guard found == 5, colons.0 == 3, bytes[0] == UInt8(ascii: "q"), bytes[1] == UInt8(ascii: "c"),
              bytes[2] == UInt8(ascii: "s") else { return false }
        if !service.isEmpty {
            guard colons.2 - colons.1 - 1 == service.count else { return false }
            var j = 0
            while j < service.count {
                if WildcardPattern.lower(bytes[colons.1 + 1 + j]) != service[j] { return false }
                j += 1
            }
        }
        if let region, !region.matches(bytes, (colons.2 + 1)..<colons.3) { return false }
        if let account, !account.matches(bytes, (colons.3 + 1)..<colons.4) { return false }
        return resource.matches(bytes, (colons.4 + 1)..<bytes.count)
    }
}

extension ResourcePattern {
    /// Why a resource string of a policy was refused: which CAM code, and what is wrong.
    struct Refusal: Error {
        let kind: Kind
        let what: String
    }

    enum Kind { case malformed, qcs, service, region, uin, content }

    /// Reads one resource string. For `kms` the resource segment must be one of Tencent's KMS forms:
    /// `*`, `key/*`, `key/creatorUin/<uin>/*` or `key/creatorUin/<uin>/<KeyId>` (wildcards allowed
    /// inside the uin and the KeyId), or the same with `datakey` for KMS-hosted data keys
    /// (docs/DATA_KEYS.md: the form of DataKeyMetadata.ResourceId).
    static func parse(_ text: String) throws -> ResourcePattern {
        if text == "*" {
            return ResourcePattern(matchesEverything: true, service: [], region: nil, account: nil,
                                   resource: WildcardPattern("*", ignoresCase: false))
        }
        let segments = text.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard segments.count == 6 else {
            throw Refusal(kind: .malformed, what: "has \(segments.count) segments, not six (qcs:project:service:region:account:resource)")
        }
        guard segments[0] == "qcs" else { throw Refusal(kind: .qcs, what: "does not start with qcs") }
        let service = segments[2].lowercased()
        guard service == "*" || ActionCatalog.actions(of: service) != nil else {
            throw Refusal(kind: .service, what: "names an unknown service")
        }
        let region = segments[3]
        guard region.utf8.allSatisfy({ ($0 | 0x20) &- 97 < 26 || $0 &- 48 < 10 || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "*") }) else {
            throw Refusal(kind: .region, what: "has an invalid region")
        }
        let account = segments[4]
        if !account.isEmpty && account != "*" {
            guard account.hasPrefix("uin/"), account.count > 4,
                  account.utf8.dropFirst(4).allSatisfy({ $0 &- 48 < 10 || $0 == UInt8(ascii: "*") }) else {
                throw Refusal(kind: .uin, what: "has an account that is not uin/<OwnerUin>")
            }
        }
        let resource = segments[5]
        guard !resource.isEmpty, resource.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw Refusal(kind: .content, what: "has an empty or non-printable resource segment")
        }
        if service == "kms" && !isKMSKeyResource(resource) {
            throw Refusal(kind: .content, what: "is not key/creatorUin/<uin>/<KeyId> or datakey/creatorUin/<uin>/<DataKeyId> (or key/*, datakey/*)")
        }
        return ResourcePattern(
            matchesEverything: false,
            service: service == "*" ? [] : Array(service.utf8),
            region: region.isEmpty || region == "*" ? nil : WildcardPattern(region, ignoresCase: false),
            account: account.isEmpty || account == "*" ? nil : WildcardPattern(account, ignoresCase: false),
            resource: WildcardPattern(resource, ignoresCase: false))
    }

    static func isKMSKeyResource(_ resource: Substring) -> Bool {
        if resource == "*" || resource == "key/*" || resource == "datakey/*" { return true }
        let parts = resource.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "key" || parts[0] == "datakey", parts[1] == "creatorUin" else { return false }
        let uinOK = !parts[2].isEmpty && parts[2].utf8.allSatisfy { $0 &- 48 < 10 || $0 == UInt8(ascii: "*") }
        let keyOK = !parts[3].isEmpty && parts[3].utf8.allSatisfy {
            ($0 | 0x20) &- 97 < 26 || $0 &- 48 < 10 || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "*")
        }
        return uinOK && keyOK
    }
}
