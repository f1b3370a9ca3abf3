/// The ASCII rules text parsing shares (headers, the Authorization header, configuration, libpq
/// messages): one definition of whitespace and one trimmer, over bytes and over strings; and the
/// shape of a name a caller gives a key (Alias, DataKeyName).
public enum ASCII {
    /// Space, tab, CR or LF: HTTP's optional whitespace plus the line ends libpq leaves on messages.
    @inlinable
    public static func isWhitespace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0D || c == 0x0A }

    /// `[A-Za-z0-9]`: a SecretId's and SecretKey's characters, and a key name's first.
    public static func isAlphanumeric(_ c: UInt8) -> Bool {
        (0x30...0x39).contains(c) || (0x41...0x5A).contains(c) || (0x61...0x7A).contains(c)
    }

    /// `[A-Za-z0-9_-]` only, the first a letter or digit: a CMK's Alias and a data key's name.
    public static func isKeyName(_ text: String) -> Bool {
        guard let first = text.utf8.first, isAlphanumeric(first) else { return false }
        return text.utf8.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }
}

extension BidirectionalCollection where Element == UInt8 {
    /// Without leading and trailing ASCII whitespace. Inlinable: it runs on every request's
    /// Authorization header and signed header values.
    @inlinable
    public func trimmingASCIIWhitespace() -> SubSequence {
        guard let first = firstIndex(where: { !ASCII.isWhitespace($0) }),
              let last = lastIndex(where: { !ASCII.isWhitespace($0) }) else { return self[endIndex...] }
        return self[first...last]
    }
}

extension StringProtocol {
    /// Without leading and trailing ASCII whitespace (inlinable: a Content-Type is trimmed per request).
    @inlinable
    public func trimmingASCIIWhitespace() -> String {
        String(Substring(Substring(self).utf8.trimmingASCIIWhitespace()))
    }
}
