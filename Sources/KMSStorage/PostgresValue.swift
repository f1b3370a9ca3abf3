import CPostgres

/// A value bound to one `$n` parameter of a statement. Bytes travel in binary format (no hex
/// on either side); every other value in PostgreSQL's text input form, which the server parses
/// for the type it gave the parameter.
public enum PostgresValue: Sendable, Equatable {
    /// SQL NULL.
    case null
    /// A `bigint` (or any integer type the server expects).
    case int64(Int64)
    /// An `integer`.
    case int32(Int32)
    /// A `boolean`.
    case bool(Bool)
    /// A `text` value, or the text form of another type (a uuid); it may not hold a NUL.
    case text(String)
    /// A `bytea`, sent binary.
    case bytes([UInt8])
    /// An array of text-input elements (`$n::text[]`, `$n::uuid[]`); nil is a NULL element.
    case textArray([String?])
    /// An array of integers (`$n::bigint[]`); nil is a NULL element.
    case int64Array([Int64?])
    /// An array of `bytea` (`$n::bytea[]`), each element in bytea's hex text form.
    case bytesArray([[UInt8]])
}

/// Parameters laid out as libpq takes them: one buffer holding every value (text values
/// NUL-terminated), a pointer into it per parameter, and, only when a value is binary, the
/// lengths, formats and types that libpq then needs.
struct EncodedParameters {
    private var storage: [UInt8] = []
    /// Where each value starts in `storage`; -1 for NULL.
    private var starts: [Int] = []
    private var lengths: [Int32] = []
    private var formats: [Int32] = []
    private var types: [Oid] = []
    private var hasBinary = false

    static let byteaOid: Oid = 17

    init(_ values: [PostgresValue]) throws {
        starts.reserveCapacity(values.count)
        lengths.reserveCapacity(values.count)
        formats.reserveCapacity(values.count)
        types.reserveCapacity(values.count)
        for value in values { try append(value) }
        // Never empty, so a zero-length value still has an address inside the buffer.
        storage.append(0)
    }

    var count: Int { starts.count }

    private mutating func append(_ value: PostgresValue) throws {
        let start = storage.count
        var format: Int32 = 0, type: Oid = 0
        switch value {
        case .null:
            starts.append(-1); lengths.append(0); formats.append(0); types.append(0)
            return
        case .int64(let v): PostgresValue.decimal(v, into: &storage)
        case .int32(let v): PostgresValue.decimal(Int64(v), into: &storage)
        case .bool(let v): storage.append(v ? UInt8(ascii: "t") : UInt8(ascii: "f"))
        case .text(let s):
            // A text parameter is a C string: a NUL would cut it short without a word.
            guard !s.utf8.contains(0) else { throw StorageError("a text parameter holds a NUL byte") }
            storage.append(contentsOf: s.utf8)
        case .bytes(let bytes):
            storage.append(contentsOf: bytes)
            (format, type) = (1, EncodedParameters.byteaOid)
            hasBinary = true
        case .textArray(let elements):
            try PostgresValue.arrayLiteral(elements.count, into: &storage) { i, out in
                guard let element = elements[i] else { return false }
                guard !element.utf8.contains(0) else { throw StorageError("an array parameter holds a NUL byte") }
                PostgresValue.quoted(element.utf8, into: &out)
                return true
            }
        case .int64Array(let elements):
            try PostgresValue.arrayLiteral(elements.count, into: &storage) { i, out in
                guard let element = elements[i] else { return false }
                PostgresValue.decimal(element, into: &out)
                return true
            }
        case .bytesArray(let elements):
            try PostgresValue.arrayLiteral(elements.count, into: &storage) { i, out in
                PostgresValue.quoted(Bytea.encode(elements[i]).utf8, into: &out)
                return true
            }
        }
        lengths.append(Int32(storage.count - start))
        if format == 0 { storage.append(0) }
        starts.append(start)
        formats.append(format)
        types.append(type)
    }

    /// Calls `body` with libpq's parameter arrays: count, types, values, lengths, formats. Types,
    /// lengths and formats are nil when every value is text (libpq reads text values to their NUL,
    /// and the server infers each type).
    func withLibpqArrays<R>(_ body: (Int32, UnsafePointer<Oid>?, UnsafePointer<UnsafePointer<CChar>?>?,
                                     UnsafePointer<Int32>?, UnsafePointer<Int32>?) throws -> R) rethrows -> R {
        try storage.withUnsafeBufferPointer { buffer in
            // The pointers are only used inside this closure, while `storage` cannot move.
            let base = UnsafeRawPointer(buffer.baseAddress!)
            let values: [UnsafePointer<CChar>?] = starts.map { $0 < 0 ? nil : (base + $0).assumingMemoryBound(to: CChar.self) }
            return try values.withUnsafeBufferPointer { values in
                guard hasBinary else { return try body(Int32(count), nil, values.baseAddress, nil, nil) }
                return try types.withUnsafeBufferPointer { types in
                    try lengths.withUnsafeBufferPointer { lengths in
                        try formats.withUnsafeBufferPointer { formats in
                            try body(Int32(count), types.baseAddress, values.baseAddress, lengths.baseAddress, formats.baseAddress)
                        }
                    }
                }
            }
        }
    }
}

extension PostgresValue {
    /// `{e1,e2,…}`; `element` writes element `i` and returns false for a NULL one.
    static func arrayLiteral(_ count: Int, into out: inout [UInt8],
                             _ element: (Int, inout [UInt8]) throws -> Bool) throws {
        out.append(UInt8(ascii: "{"))
        for i in 0..<count {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            if try !element(i, &out) { out.append(contentsOf: "NULL".utf8) }
        }
        out.append(UInt8(ascii: "}"))
    }

    /// An array element in double quotes, its quotes and backslashes escaped.
    static func quoted<C: Sequence>(_ bytes: C, into out: inout [UInt8]) where C.Element == UInt8 {
        out.append(UInt8(ascii: "\""))
        for byte in bytes {
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { out.append(UInt8(ascii: "\\")) }
            out.append(byte)
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Decimal digits straight into the buffer (no String on the way).
    static func decimal(_ value: Int64, into out: inout [UInt8]) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        let first = out.count
        var magnitude = value.magnitude
        repeat {
            out.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        out[first...].reverse()
    }
}
