/// CAM's rule for user and policy names: letters, digits and `+=,.@_-`, within a length.
enum CAMName {
    static func isValid(_ name: String, maximumLength: Int) -> Bool {
        !name.isEmpty && name.utf8.count <= maximumLength && name.utf8.allSatisfy(isAllowed)
    }

    static func isAllowed(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "+=,.@_-".utf8.contains(c)
        }
    }
}
