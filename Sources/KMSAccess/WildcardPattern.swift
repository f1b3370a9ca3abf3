/// A pattern in which `*` stands for any run of characters (including none, including `/` and `:`),
/// compiled once into its literal parts so that matching neither allocates nor backtracks more than
/// a leftmost search per part. CAM documents no other wildcard, so `?` is an ordinary character.
final class WildcardPattern: Sendable {
    /// The literal runs between stars, concatenated (lowercased when the pattern ignores ASCII case);
    /// run `i` ends at `ends[i]`. One flat array, so matching touches two buffers and retains nothing.
    let literal: [UInt8]
    let ends: [Int]
    let leadingStar: Bool
    let trailingStar: Bool
    let ignoresCase: Bool

    init<S: StringProtocol>(_ text: S, ignoresCase: Bool) {
        let bytes = Array(text.utf8).map { ignoresCase ? WildcardPattern.lower($0) : $0 }
        let parts = bytes.split(separator: UInt8(ascii: "*"), omittingEmptySubsequences: true)
        literal = parts.flatMap { $0 }
        var end = 0
        ends = parts.map { end += $0.count; return end }
        leadingStar = bytes.first == UInt8(ascii: "*")
        trailingStar = bytes.last == UInt8(ascii: "*")
        self.ignoresCase = ignoresCase
    }

    /// True when the pattern is nothing but stars: it matches everything.
    var matchesEverything: Bool { ends.isEmpty && leadingStar }

    @inline(__always)
    static func lower(_ byte: UInt8) -> UInt8 { byte &- 65 < 26 ? byte | 0x20 : byte }

    /// Whether `subject[range]` matches the whole pattern.
    func matches(_ subject: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
        literal.withUnsafeBufferPointer { literal in
            ends.withUnsafeBufferPointer { ends in
                match(literal, ends, subject, range)
            }
        }
    }

    @inline(__always)
    private func match(_ literal: UnsafeBufferPointer<UInt8>, _ ends: UnsafeBufferPointer<Int>,
                       _ subject: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
        let count = ends.count
        if count == 0 { return leadingStar || range.isEmpty }
        var position = range.lowerBound
        var end = range.upperBound
        var first = 0
        var last = count - 1
        if !leadingStar && !trailingStar && count == 1 {
            return end - position == ends[0] && equal(literal, 0, ends[0], subject, at: position)
        }
        if !leadingStar {
            guard end - position >= ends[0], equal(literal, 0, ends[0], subject, at: position) else { return false }
            position += ends[0]
            first = 1
        }
        if !trailingStar {
            let from = last == 0 ? 0 : ends[last - 1]
            let length = ends[last] - from
            guard end - position >= length, equal(literal, from, ends[last], subject, at: end - length) else { return false }
            end -= length
            last -= 1
        }
        var index = first
        while index <= last {
            let from = index == 0 ? 0 : ends[index - 1]
            let length = ends[index] - from
            var start = position
            var found = false
            while end - start >= length {
                if equal(literal, from, ends[index], subject, at: start) { found = true; break }
                start += 1
            }
            guard found else { return false }
            position = start + length
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
    private func equal(_ literal: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int,
                       _ subject: UnsafeBufferPointer<UInt8>, at offset: Int) -> Bool {
        var i = from
        var j = offset
        if ignoresCase {
            while i < to {
                if WildcardPattern.lower(subject[j]) != literal[i] { return false }
                i += 1; j += 1
            }
        } else {
            // Eight bytes at a time: resource strings are long (a KMS key's is ~100 bytes).
            let lhs = UnsafeRawBufferPointer(literal), rhs = UnsafeRawBufferPointer(subject)
            while to - i >= 8 {
                if lhs.loadUnaligned(fromByteOffset: i, as: UInt64.self) != rhs.loadUnaligned(fromByteOffset: j, as: UInt64.self) {
                    return false
                }
                i += 8; j += 8
            }
            while i < to {
                if subject[j] != literal[i] { return false }
                i += 1; j += 1
            }
        }
        return true
    }
}
