import CPostgres
import KMSCore

/// One non-NULL cell of a result, as libpq holds it: binary (what statements ask for: no
/// parsing, no hex) or text (migrations' and tests' own SQL). Valid while its result lives.
public struct Cell {
    let bytes: UnsafeRawBufferPointer
    let binary: Bool
    let type: Oid
    let column: StaticString

    /// PostgreSQL's type OIDs (`pg_type.dat`) of the columns this service reads.
    enum OID {
        static let bool: Oid = 16, bytea: Oid = 17, name: Oid = 19, int8: Oid = 20, int2: Oid = 21, int4: Oid = 23
        static let text: Oid = 25, unknown: Oid = 705, bpchar: Oid = 1042, varchar: Oid = 1043, uuid: Oid = 2950
        static let textual: Set<Oid> = [text, varchar, bpchar, name, unknown]
    }

    func mismatch(_ wanted: String) -> StorageError {
        StorageError("column \(column) (type \(type), \(binary ? "binary" : "text")) does not decode as \(wanted)")
    }

    var utf8: String { String(decoding: bytes, as: UTF8.self) }
}

/// A Swift type a cell decodes to; anything else (a NULL, another column type, a value out of
/// range) is an error, never a default.
public protocol PostgresDecodable {
    /// The value the cell holds, or an error saying which column did not decode.
    static func decode(_ cell: Cell) throws -> Self
}

extension Int64: PostgresDecodable {
    /// See `PostgresDecodable`.
    public static func decode(_ cell: Cell) throws -> Int64 {
        let b = cell.bytes
        switch (cell.type, cell.binary, b.count) {
        case (Cell.OID.int8, true, 8): return Int64(bigEndian: b.loadUnaligned(as: Int64.self))
        case (Cell.OID.int4, true, 4): return Int64(Int32(bigEndian: b.loadUnaligned(as: Int32.self)))
        case (Cell.OID.int2, true, 2): return Int64(Int16(bigEndian: b.loadUnaligned(as: Int16.self)))
        case (Cell.OID.int8, false, _), (Cell.OID.int4, false, _), (Cell.OID.int2, false, _):
            guard let value = Int64(cell.utf8) else { throw cell.mismatch("Int64") }
            return value
        default: throw cell.mismatch("Int64")
        }
    }
}

extension Int: PostgresDecodable {
    /// See `PostgresDecodable`.
    public static func decode(_ cell: Cell) throws -> Int {
        guard let value = Int(exactly: try Int64.decode(cell)) else { throw cell.mismatch("Int") }
        return value
    }
}

extension Int32: PostgresDecodable {
    /// See `PostgresDecodable`.
    public static func decode(_ cell: Cell) throws -> Int32 {
        guard let value = Int32(exactly: try Int64.decode(cell)) else { throw cell.mismatch("Int32") }
        return value
    }
}

extension UInt32: PostgresDecodable {
    /// See `PostgresDecodable`.
    public static func decode(_ cell: Cell) throws -> UInt32 {
        guard let value = UInt32(exactly: try Int64.decode(cell)) else { throw cell.mismatch("UInt32") }
        return value
    }
}

extension Bool: PostgresDecodable {
    /// See `PostgresDecodable`.
    public static func decode(_ cell: Cell) throws -> Bool {
        guard cell.type == Cell.OID.bool, cell.bytes.count == 1 else { throw cell.mismatch("Bool") }
        let byte = cell.bytes[0]
        if cell.binary { return byte != 0 }
        switch byte {
        case UInt8(ascii: "t"): return true
        case UInt8(ascii: "f"): return false
        default: throw cell.mismatch("Bool")
        }
    }
}

extension String: PostgresDecodable {
    /// See `PostgresDecodable`.
    public static func decode(_ cell: Cell) throws -> String {
        if Cell.OID.textual.contains(cell.type) { return cell.utf8 }
        guard cell.type == Cell.OID.uuid else { throw cell.mismatch("String") }
        return try KeyID.decode(cell).description
    }
}

extension Array: PostgresDecodable where Element == UInt8 {
    /// See `PostgresDecodable`.
    public static func decode(_ cell: Cell) throws -> [UInt8] {
        guard cell.type == Cell.OID.bytea else { throw cell.mismatch("bytes") }
        if cell.binary { return Array(cell.bytes) }
        guard let bytes = Bytea.decode(cell.utf8) else { throw cell.mismatch("bytes") }
        return bytes
    }
}

extension KeyID: PostgresDecodable {
    /// See `PostgresDecodable`.
    public static func decode(_ cell: Cell) throws -> KeyID {
        let id: KeyID?
        if cell.type == Cell.OID.uuid && cell.binary {
            id = KeyID(bytes: Array(cell.bytes))
        } else if cell.type == Cell.OID.uuid || Cell.OID.textual.contains(cell.type) {
            id = KeyID(cell.utf8)
        } else {
            id = nil
        }
        guard let id else { throw cell.mismatch("KeyID") }
        return id
    }
}
