/// One tag of a CMK (`CreateKey.Tags`): a key and its one value. Tencent's Tag service rules
/// (product/651/13354), since the KMS documentation names none of its own:
/// a TagKey is 1–127 characters, a TagValue 1–255; both are made of Chinese and English letters,
/// digits, spaces (not at either end) and `+ - = . _ : / @ ( ) [ ] , ; > <` or the Chinese
/// `＋ － ＝ ／ ＠ （ ） 【 】 ：`; keys beginning `qcs:`, `project`, `项目`, `qcloud` or `tencent` are
/// reserved; a resource holds at most 50 tags, one value per key.
public struct KeyTag: Sendable, Equatable, Hashable {
    /// The tag's key (unique on a CMK).
    public let key: String
    /// The tag's value.
    public let value: String

    /// A tag as given; `validated(_:)` checks a request's tags.
    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }

    /// Tags one CMK may hold.
    public static let maximumPerKey = 50
    /// Characters (Unicode scalars) of a TagKey.
    public static let keyLength = 1...127
    /// Characters (Unicode scalars) of a TagValue.
    public static let valueLength = 1...255
    /// TagKey prefixes kept for the cloud's own tags (compared without regard to ASCII case).
    public static let reservedKeyPrefixes = ["qcs:", "project", "项目", "qcloud", "tencent"]

    /// The tags of a `Tags` parameter (objects of `TagKey` and `TagValue`), checked:
    /// a member missing or empty → `TagsNotExisted` (Tencent: "the tag key or tag value does not
    /// exist"); more than 50 tags, a length or character out of the rules, a reserved key or a
    /// member of another type → `InvalidParameter`; the same TagKey twice → `TagKeysDuplicated`.
    public static func validated(_ elements: [JSONValue], parameter: String = "Tags") throws -> [KeyTag] {
        guard elements.count <= maximumPerKey else {
            throw KMSError.invalid(parameter, "may hold at most \(maximumPerKey) tags")
        }
        var tags: [KeyTag] = []
        var seen = Set<String>()
        for (index, element) in elements.enumerated() {
            let name = "\(parameter).\(index)"
            guard case let .object(members) = element else { throw KMSError.invalid(name, "must be an object") }
            if members.contains(where: { $0.0 != "TagKey" && $0.0 != "TagValue" }) {
                throw KMSError(.unknownParameter, "`\(name)` holds a member other than TagKey and TagValue.")
            }
            let key = try text(element["TagKey"], name: "\(name).TagKey")
            let value = try text(element["TagValue"], name: "\(name).TagValue")
            try checkKey(key, name: "\(name).TagKey")
            try checkValue(value, name: "\(name).TagValue")
            guard seen.insert(key).inserted else {
                throw KMSError(.tagKeysDuplicated, "The TagKey `\(key)` is given more than once.")
            }
            tags.append(KeyTag(key: key, value: value))
        }
        return tags
    }

    /// A member that must be a non-empty string.
    static func text(_ value: JSONValue?, name: String) throws -> String {
        switch value {
        case nil, .null?: throw KMSError(.tagsNotExisted, "`\(name)` is missing.")
        case .string(let s)?:
            guard !s.isEmpty else { throw KMSError(.tagsNotExisted, "`\(name)` is empty.") }
            return s
        default: throw KMSError.invalid(name, "must be a string")
        }
    }

    /// A TagKey's length, characters and prefix.
    public static func checkKey(_ key: String, name: String = "TagKey") throws {
        try checkText(key, length: keyLength, name: name)
        let lowered = key.lowercased()
        if let prefix = reservedKeyPrefixes.first(where: { lowered.hasPrefix($0) }) {
            throw KMSError.invalid(name, "may not begin with the reserved prefix `\(prefix)`")
        }
    }

    /// A TagValue's length and characters.
    public static func checkValue(_ value: String, name: String = "TagValue") throws {
        try checkText(value, length: valueLength, name: name)
    }

    static func checkText(_ text: String, length: ClosedRange<Int>, name: String) throws {
        let scalars = text.unicodeScalars
        guard length.contains(scalars.count) else {
            throw KMSError.invalid(name, "must be \(length.lowerBound) to \(length.upperBound) characters")
        }
        guard scalars.allSatisfy(isAllowed) else {
            throw KMSError.invalid(name, "may hold only letters, digits, spaces and + - = . _ : / @ ( ) [ ] , ; > <")
        }
        guard scalars.first != " ", scalars.last != " " else {
            throw KMSError.invalid(name, "may not begin or end with a space")
        }
    }

    /// Every character the Tag service allows.
    static let allowedPunctuation: Set<Unicode.Scalar> = Set("+-=._:/@()[],;><＋－＝／＠（）【】： ".unicodeScalars)

    static func isAllowed(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: return true        // 0-9 A-Z a-z
        case 0x4E00...0x9FFF, 0x3400...0x4DBF: return true              // CJK ideographs (and extension A)
        default: return allowedPunctuation.contains(scalar)
        }
    }
}
