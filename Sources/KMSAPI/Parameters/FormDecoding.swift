import KMSCore

/// `application/x-www-form-urlencoded` bodies and query strings, and the un-flattening of
/// Tencent's `KeyIds.0=a&Tags.0.TagKey=x` names into a JSON tree whose leaves are strings.
enum FormDecoding {
    /// Highest list index accepted in a flattened name; KMS lists hold at most 200 entries.
    static let maximumIndex = 1000
    /// Deepest flattened name (`a.b.c…`).
    static let maximumDepth = 8

    /// Splits and percent-decodes `a=1&b=2`; `+` is a space. Duplicate names are refused.
    static func pairs(_ text: String) throws -> [(String, String)] {
        var out: [(String, String)] = []
        var seen = Set<String>()
        for part in text.split(separator: "&", omittingEmptySubsequences: true) {
            let pieces = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = percentDecode(pieces[0]), !name.isEmpty,
                  let value = percentDecode(pieces.count > 1 ? pieces[1] : "") else {
                throw KMSError(.invalidParameter, "The request parameters are not valid form encoding.")
            }
            guard seen.insert(name).inserted else {
                throw KMSError(.invalidParameter, "The parameter `\(sanitized(name))` is given more than once.")
            }
            out.append((name, value))
        }
        return out
    }

    static func percentDecode(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let c = iterator.next() {
            switch c {
            case UInt8(ascii: "+"): bytes.append(0x20)
            case UInt8(ascii: "%"):
                guard let h = iterator.next().flatMap(Hex.value), let l = iterator.next().flatMap(Hex.value) else { return nil }
                bytes.append(h << 4 | l)
            default: bytes.append(c)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    /// A node of the flattened-name tree while it is being built.
    indirect enum Node {
        case leaf(String)
        case branch([String: Node])
    }

    /// Turns flattened pairs into a JSON object; numbered members become arrays, which must
    /// be numbered 0…n-1 without gaps.
    static func unflatten(_ pairs: [(String, String)]) throws -> JSONValue {
        var root: [String: Node] = [:]
        for (name, value) in pairs {
            let path = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            guard path.count <= maximumDepth, !path.contains(where: \.isEmpty) else {
                throw KMSError(.invalidParameter, "The parameter name `\(sanitized(name))` is not valid.")
            }
            try insert(value, at: path[...], into: &root, fullName: name)
        }
        return try convert(.branch(root), name: "")
    }

    static func insert(_ value: String, at path: ArraySlice<String>, into map: inout [String: Node], fullName: String) throws {
        let head = path.first!
        let conflict = KMSError(.invalidParameter, "The parameter `\(sanitized(fullName))` conflicts with another.")
        if path.count == 1 {
            guard map[head] == nil else { throw conflict }
            map[head] = .leaf(value)
            return
        }
        var children: [String: Node]
        switch map[head] {
        case nil: children = [:]
        case .branch(let existing)?: children = existing
        case .leaf?: throw conflict
        }
        map[head] = nil  // keep the dictionary uniquely referenced while it grows
        try insert(value, at: path.dropFirst(), into: &children, fullName: fullName)
        map[head] = .branch(children)
    }

    static func convert(_ node: Node, name: String) throws -> JSONValue {
        switch node {
        case .leaf(let value): return .string(value)
        case .branch(let children):
            let indices = children.keys.map { key -> Int? in key.allSatisfy(\.isASCIIDigit) ? Int(key) : nil }
            if !children.isEmpty, indices.allSatisfy({ $0 != nil }) {
                let numbers = indices.map { $0! }
                guard numbers.allSatisfy({ $0 <= maximumIndex }), Set(numbers) == Set(0..<children.count),
                      children.keys.allSatisfy({ $0 == "0" || !$0.hasPrefix("0") }) else {
                    throw KMSError(.invalidParameter, "The list parameter `\(sanitized(name))` must be numbered from 0 without gaps.")
                }
                return .array(try (0..<children.count).map { try convert(children[String($0)]!, name: "\(name).\($0)") })
            }
            if indices.contains(where: { $0 != nil }) && !name.isEmpty {
                throw KMSError(.invalidParameter, "The parameter `\(sanitized(name))` mixes list and object members.")
            }
            return .object(try children.keys.sorted().map { ($0, try convert(children[$0]!, name: name.isEmpty ? $0 : "\(name).\($0)")) })
        }
    }

    /// A caller-supplied name, cut short and stripped of anything but printable ASCII, for messages.
    static func sanitized(_ name: String) -> String {
        String(name.unicodeScalars.prefix(64).map { $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F && $0 != "`" ? Character($0) : "?" })
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
