/// One `ListKeyDetail.TagFilters` element: keys holding the tag `key` with one of `values`, or
/// with any value when `values` is empty. A key is listed when it matches every filter (AND
/// across filters, OR across one filter's values: Tencent's Tag service semantics; the KMS
/// documentation is silent). A filter naming a tag no key has matches nothing; it is not an error.
public struct KeyTagFilter: Sendable, Equatable {
    /// The TagKey the key must hold.
    public let key: String
    /// The values accepted; empty means any.
    public let values: [String]

    /// A filter as given; `validated(_:)` checks a request's filters.
    public init(key: String, values: [String]) {
        self.key = key
        self.values = values
    }

    /// Filters in one request: no key can hold more tags than this, so more filters can only
    /// repeat one (Terraform sends one filter per tag of its `tags` map).
    public static let maximumFilters = KeyTag.maximumPerKey
    /// Values of one filter (the Tag service's own TagFilter limit).
    public static let maximumValues = 10

    /// The filters of a `TagFilters` parameter (objects of `TagKey` and an optional list
    /// `TagValue`). Anything malformed → `InvalidParameter` (the one parameter code ListKeyDetail
    /// lists); a missing TagKey → `MissingParameter`. Lengths are held to the tag rules so that no
    /// filter is longer than any tag; characters are not checked (an impossible tag matches nothing).
    public static func validated(_ elements: [JSONValue], parameter: String = "TagFilters") throws -> [KeyTagFilter] {
        guard elements.count <= maximumFilters else {
            throw KMSError.invalid(parameter, "may hold at most \(maximumFilters) filters")
        }
        return try elements.enumerated().map { index, element in
            let name = "\(parameter).\(index)"
            guard case let .object(members) = element else { throw KMSError.invalid(name, "must be an object") }
            if members.contains(where: { $0.0 != "TagKey" && $0.0 != "TagValue" }) {
                throw KMSError(.unknownParameter, "`\(name)` holds a member other than TagKey and TagValue.")
            }
            guard let keyValue = element["TagKey"], keyValue != .null else { throw KMSError.missing("\(name).TagKey") }
            guard case let .string(key) = keyValue, KeyTag.keyLength.contains(key.unicodeScalars.count) else {
                throw KMSError.invalid("\(name).TagKey", "must be a string of \(KeyTag.keyLength.lowerBound) to \(KeyTag.keyLength.upperBound) characters")
            }
            var values: [String] = []
            switch element["TagValue"] {
            case nil, .null?: break
            case .array(let items)?:
                guard items.count <= maximumValues else {
                    throw KMSError.invalid("\(name).TagValue", "may hold at most \(maximumValues) values")
                }
                for item in items {
                    guard case let .string(value) = item, KeyTag.valueLength.contains(value.unicodeScalars.count) else {
                        throw KMSError.invalid("\(name).TagValue", "must hold strings of \(KeyTag.valueLength.lowerBound) to \(KeyTag.valueLength.upperBound) characters")
                    }
                    values.append(value)
                }
            default:
                throw KMSError.invalid("\(name).TagValue", "must be a list of strings")
            }
            return KeyTagFilter(key: key, values: values)
        }
    }

    /// Whether a key holding `tags` is listed under `filters` (the rule the SQL applies; here for
    /// tests and documentation).
    public static func matches(_ tags: [KeyTag], _ filters: [KeyTagFilter]) -> Bool {
        filters.allSatisfy { filter in
            tags.contains { $0.key == filter.key && (filter.values.isEmpty || filter.values.contains($0.value)) }
        }
    }
}
