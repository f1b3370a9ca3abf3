import KMSCore

/// `bytea`'s hex text form (`\x0a1b…`): what COPY's text format and array literals carry, and
/// what a text-format result holds. Statement parameters and results travel binary instead.
/// The digits are `Hex`'s, the one hex codec of the project.
enum Bytea {
    static func encode<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        Hex.encode(bytes, prefix: "\\x")
    }

    static func decode(_ text: String) -> [UInt8]? {
        let utf8 = text.utf8
        guard utf8.starts(with: "\\x".utf8) else { return nil }
        return Hex.decode(utf8.dropFirst(2))
    }
}
