/// One compiled entry of a statement's `action`: `*`, or a service and an action-name pattern
/// (`kms:Encrypt`, `kms:Describe*`, `kms:*`), both compared without regard to ASCII case, as CAM does.
final class ActionPattern: Sendable {
    /// The lowercased service name; empty for `*` (every action of every service).
    let service: [UInt8]
    let name: WildcardPattern

    init(service: [UInt8], name: WildcardPattern) {
        self.service = service
        self.name = name
    }

    /// Whether the action `bytes` (`service:Name`, its `:` at `colon`) is one this pattern names.
    @inline(__always)
    func matches(_ bytes: UnsafeBufferPointer<UInt8>, colon: Int) -> Bool {
        if service.isEmpty { return true }
        guard colon == service.count else { return false }
        var i = 0
        while i < colon {
            if WildcardPattern.lower(bytes[i]) != service[i] { return false }
            i += 1
        }
        return name.matches(bytes, (colon + 1)..<bytes.count)
    }
}

extension ActionPattern {
    /// Outcome of reading one action string of a policy.
    enum Parsed {
        case pattern(ActionPattern)
        case malformed(String)
        case unknownService(String)
        case unknownAction(String)
    }

    /// Reads `text`: `*`, or `[name/]service:Pattern` where the pattern is letters and digits with `*`
    /// wildcards. The service must be in `ActionCatalog` and the pattern must name at least one of its
    /// actions, so a typo is refused at CreatePolicy instead of silently granting nothing.
    /// (`name/` is the prefix Tencent's documents write before API actions; `permid/` feature sets
    /// name console bundles this service does not have, and are refused as malformed.)
    static func parse(_ text: String) -> Parsed {
        if text == "*" { return .pattern(ActionPattern(service: [], name: WildcardPattern("*", ignoresCase: true))) }
        var body = Substring(text)
        if body.hasPrefix("name/") { body = body.dropFirst(5) }
        let pieces = body.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard pieces.count == 2 else { return .malformed("is not service:Action") }
        let service = pieces[0], name = pieces[1]
        guard !service.isEmpty, service.utf8.allSatisfy({ isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") }) else {
            return .malformed("has an invalid service name")
        }
        guard !name.isEmpty, name.utf8.allSatisfy({ isAlphanumeric($0) || $0 == UInt8(ascii: "*") }) else {
            return .malformed("has an invalid action name (letters, digits and * only)")
        }
        let lowered = service.lowercased()
        guard let actions = ActionCatalog.actions(of: lowered) else { return .unknownService(String(service)) }
        let pattern = WildcardPattern(name, ignoresCase: true)
        guard actions.contains(where: { pattern.matches($0) }) else { return .unknownAction(String(body)) }
        return .pattern(ActionPattern(service: Array(lowered.utf8), name: pattern))
    }

    static func isAlphanumeric(_ byte: UInt8) -> Bool {
        byte &- 48 < 10 || (byte | 0x20) &- 97 < 26
    }
}
