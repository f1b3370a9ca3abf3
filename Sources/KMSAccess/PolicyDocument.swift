import KMSCore

/// A parsed and validated policy document (CAM syntax 2.0).
///
/// ```json
/// {"version":"2.0","statement":[{"effect":"allow","action":["kms:Encrypt","kms:Decrypt"],
///   "resource":"qcs::kms:ap-guangzhou:uin/100000000001:key/creatorUin/100000000001/<KeyId>"}]}
/// ```
/// Element names are lowercase only (Tencent: "元素保留字仅支持小写"); `version` must be `"2.0"`;
/// `statement` is an array of statements (a single statement object is accepted too); a statement has
/// `effect` (allow or deny, any case), `action` and `resource` (a string or an array of strings) and an
/// optional `condition`. `principal` belongs to role trust policies and bucket policies, never to a
/// policy attached to a user, and is refused, as Tencent refuses it. Anything else is refused with the
/// CAM code for the element and the place (`statement[1].resource[0]: …`).
public struct PolicyDocument: Sendable {
    /// The document, normalised (compact JSON, members in the order given): what GetPolicy returns.
    public let normalizedText: String
    let statements: [PolicyStatement]

    /// Tencent's limit on a custom policy: 6144 characters (Unicode scalars of the decoded document).
    public static let maximumLength = 6144

    /// Parses `text` (the JSON a caller passed as CreatePolicy.PolicyDocument). Text that starts with
    /// `%7B` is URL-decoded first (`%XX` escapes only: `+` stays `+`, as JSON has no use for it as a
    /// space and ISO 8601 offsets need it). Throws `KMSError` with a CAM `InvalidParameter…` code whose
    /// reason names where the problem is: the line, column and byte for JSON syntax, the path of the
    /// element for everything else. Reasons quote at most a short token of the document.
    public static func parse(_ text: String) throws -> PolicyDocument {
        // Cheap bound before any work: a URL-encoded character takes at most 12 bytes.
        guard text.utf8.count <= maximumLength * 12 else {
            throw KMSError(.policyDocumentLengthOverLimit, "The policy document is longer than \(maximumLength) characters.")
        }
        var bytes = Array(text.utf8)
        if bytes.count >= 3, bytes[0] == UInt8(ascii: "%"), bytes[1] == UInt8(ascii: "7"), bytes[2] | 0x20 == UInt8(ascii: "b") {
            bytes = try percentDecoded(bytes)
        }
        guard let decoded = String(validating: bytes, as: UTF8.self) else {
            throw KMSError(.policyDocumentError, "The policy document is not valid UTF-8.")
        }
        let length = decoded.unicodeScalars.count
        guard length <= maximumLength else {
            throw KMSError(.policyDocumentLengthOverLimit, "The policy document has \(length) characters; at most \(maximumLength) are allowed.")
        }
        let json: JSONValue
        do {
            json = try JSONValue.parse(bytes)
        } catch let error as JSONParseError {
            throw KMSError(.policyDocumentError, "The policy document is not valid JSON at \(position(of: error.offset, in: bytes)): \(error.reason).")
        }
        let statements = try PolicyReader.statements(of: json)
        return PolicyDocument(normalizedText: json.serializedString, statements: statements)
    }

    /// `line L, column C (byte B)`, counted in the decoded document, 1-based, columns in bytes.
    static func position(of offset: Int, in bytes: [UInt8]) -> String {
        let end = min(offset, bytes.count)
        var line = 1
        var lineStart = 0
        for i in 0..<end where bytes[i] == 0x0A {
            line += 1
            lineStart = i + 1
        }
        return "line \(line), column \(end - lineStart + 1) (byte \(end))"
    }

    static func percentDecoded(_ bytes: [UInt8]) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "%") {
                guard i + 2 < bytes.count, let high = hex(bytes[i + 1]), let low = hex(bytes[i + 2]) else {
                    throw KMSError(.policyDocumentError, "The URL-encoded policy document has an invalid % escape at byte \(i).")
                }
                out.append(high << 4 | low)
                i += 3
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return out
    }

    private static func hex(_ byte: UInt8) -> UInt8? {
        if byte &- 48 < 10 { return byte &- 48 }
        let lower = byte | 0x20
        return lower &- 97 < 6 ? lower &- 87 : nil
    }
}
