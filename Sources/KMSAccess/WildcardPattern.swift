/// A pattern in which `*` stands for any run of characters (including none, including `/` and `:`),
/// compiled once into its literal parts so that matching neither allocates nor backtracks more than
/// a leftmost search per part. CAM documents no other wildcard, so `?` is an ordinary character.
struct WildcardPattern: Sendable {
    /// The literal runs between stars, lowercased when the pattern ignores ASCII case.
    let parts: [[UInt8]]
    let leadingStar: Bool
    let trailingStar: Bool
    let ignoresCase: Bool

    init<S: StringProtocol>(_ text: S, ignoresCase: Bool) {
        let bytes = Array(text.utf8).map { ignoresCase ? WildcardPattern.lower($0) : $0 }
        parts = bytes.split(separator: UInt8(ascii: "*"), omittingEmptySubsequences: true).map(Array.init)
        leadingStar = bytes.first == UInt8(ascii: "*")
        trailingStar = bytes.last == UInt8(ascii: "*")
        self.ignoresCase = ignoresCase
    }

    /// True when the pattern is nothing but stars: it matches everything.
    var matchesEverything: Bool { parts.isEmpty && leadingStar }

    @inline(__always)
    static func lower(_ byte: UInt8) -> UInt8 { byte &- 65 < 26 ? byte | 0x20 : byte }

    /// Whether `subject[range]` matches the whole pattern.
    func matches(_ subject: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
        if parts.isEmpty { return leadingStar || range.isEmpty }
        var position = range.lowerBound
        var end = range.upperBound
        var first = 0
        var last = parts.count - 1
        if !leadingStar && !trailingStar && parts.count == 1 {
            return end - position == parts[0].count && equal(parts[0], subject, at: position)
        }
        if !leadingStar {
            guard end - position >= parts[0].count, equal(parts[0], subject, at: position) else { return false }
            position += parts[0].count
            first = 1
        }
        if !trailingStar {
            let part = parts[last]
            guard end - position >= part.count, equal(part, subject, at: end - part.count) else { return false }
            end -= part.count
            last -= 1
        }
        var index = first
        while index <= last {
            let part = parts[index]
            var found = false
            var start = position
            while end - start >= part.count {
                if equal(part, subject, at: start) { found = true; break }
                start += 1
            }
            guard found else { return false }
            position = start + part.count
            index += 1
        }
        return true
    }

    /// Matches a whole string (used when validating against the action catalog, not on the hot path).
    func matches(_ text: String) -> Bool {
        var copy = text
        return copy.withUTF8 { matches($0, 0..<$0.count) }
    }

    @inline(__always)
    private func equal(_ part: [UInt8], _ subject: UnsafeBufferPointer<UInt8>, at offset: Int) -> Bool {
        var i = 0
        while i < part.count {
            let byte = subject[offset + i]
            if (ignoresCase ? WildcardPattern.lower(byte) : byte) != part[i] { return false }
            i += 1
        }
        return true
    }
}
