/// The caller's EncryptionContext: string pairs bound to a ciphertext (SPEC §4).
///
/// Its canonical encoding sorts the names by their UTF-8 bytes and length-prefixes every name
/// and value, so member order never matters and `{"ab":"c"}` never encodes like `{"a":"bc"}`.
public struct EncryptionContext: Equatable, Sendable {
    /// Longest accepted EncryptionContext parameter, in characters.
    public static let maximumLength = 1024

    public let pairs: [(String, String)]

    public static let empty = EncryptionContext(sortedPairs: [])

    init(sortedPairs: [(String, String)]) { pairs = sortedPairs }

    public static func == (lhs: EncryptionContext, rhs: EncryptionContext) -> Bool {
        lhs.pairs.count == rhs.pairs.count && zip(lhs.pairs, rhs.pairs).allSatisfy { $0 == $1 }
    }

    /// Parses the parameter value: a JSON object of string to string. Absent or empty → `.empty`.
    public init(parameter: String?, name: String = "EncryptionContext") throws {
        guard let text = parameter, !text.isEmpty else { self = .empty; return }
        guard text.count <= Self.maximumLength else {
            throw KMSError.invalidValue(name, "must be at most \(Self.maximumLength) characters")
        }
        guard case let .object(members) = (try? JSONValue.parse(text)) ?? .null else {
            throw KMSError.invalidValue(name, "must be a JSON object of strings")
        }
        var pairs: [(String, String)] = []
        for (key, value) in members {
            guard case let .string(string) = value else {
                throw KMSError.invalidValue(name, "must map strings to strings")
            }
            pairs.append((key, string))
        }
        pairs.sort { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }
        self.init(sortedPairs: pairs)
    }

    /// count (u32 BE), then per pair: len(name) u32 BE, name, len(value) u32 BE, value.
    public var canonicalEncoding: [UInt8] {
        var out: [UInt8] = []
        out.appendUInt32(UInt32(pairs.count))
        for (name, value) in pairs {
            out.appendUInt32(UInt32(name.utf8.count)); out.append(contentsOf: name.utf8)
            out.appendUInt32(UInt32(value.utf8.count)); out.append(contentsOf: value.utf8)
        }
        return out
    }
}

extension Array where Element == UInt8 {
    mutating func appendUInt32(_ value: UInt32) {
        append(UInt8(value >> 24)); append(UInt8(value >> 16 & 0xFF))
        append(UInt8(value >> 8 & 0xFF)); append(UInt8(value & 0xFF))
    }
}
