import CPostgres

/// An owned PGresult. Statements read it through `rows`, by column name; the raw accessors by
/// index are for migrations and tests' own SQL.
public final class QueryResult {
    private let result: OpaquePointer
    /// Column names already looked up, by the address of their literal: a name is found with
    /// `PQfnumber` once per result, not once per row.
    private var columns: [(name: UnsafeRawPointer, index: Int32)] = []

    init(_ result: OpaquePointer) { self.result = result }
    deinit { PQclear(result) }

    /// Rows returned.
    public var rowCount: Int { Int(PQntuples(result)) }
    /// Rows changed by INSERT/UPDATE/DELETE.
    public var affectedRows: Int { Int(String(cString: PQcmdTuples(result))) ?? 0 }

    /// The rows, for decoding by column name.
    public var rows: [Row] { (0..<Int32(PQntuples(result))).map { Row(result: self, index: $0) } }

    /// The only row, nil when there is none; more than one is an error.
    public func singleRow() throws -> Row? {
        switch PQntuples(result) {
        case 0: return nil
        case 1: return Row(result: self, index: 0)
        default: throw StorageError("one row expected, \(PQntuples(result)) returned")
        }
    }

    /// The index of `column`; a name the result does not have is an error.
    func index(of column: StaticString) throws -> Int32 {
        let key = column.hasPointerRepresentation ? UnsafeRawPointer(column.utf8Start) : nil
        if let key { for entry in columns where entry.name == key { return entry.index } }
        let index = column.description.withCString { PQfnumber(result, $0) }
        guard index >= 0 else { throw StorageError("the result has no column \(column)") }
        if let key { columns.append((key, index)) }
        return index
    }

    /// The cell at (`row`, `column`), nil when it is NULL.
    func cell(_ row: Int32, _ column: Int32, name: StaticString) -> Cell? {
        guard PQgetisnull(result, row, column) == 0 else { return nil }
        let bytes = UnsafeRawBufferPointer(start: PQgetvalue(result, row, column), count: Int(PQgetlength(result, row, column)))
        return Cell(bytes: bytes, binary: PQfformat(result, column) == 1, type: PQftype(result, column), column: name)
    }

    // Access by index, for migrations' and tests' own SQL (text results), and for a statement
    // written before `Row` until it is ported (binary results: the cell's type decides).

    /// Whether the cell is NULL.
    public func isNull(_ row: Int, _ column: Int) -> Bool { PQgetisnull(result, Int32(row), Int32(column)) == 1 }

    /// The cell as text; nil for NULL.
    public func string(_ row: Int, _ column: Int) -> String? {
        guard let cell = cell(Int32(row), Int32(column), name: "?") else { return nil }
        guard cell.binary else { return cell.utf8 }
        if let text = try? String.decode(cell) { return text }
        if let number = try? Int64.decode(cell) { return String(number) }
        if let flag = try? Bool.decode(cell) { return flag ? "t" : "f" }
        return nil
    }

    /// An integer cell; 0 for NULL or a cell that is not an integer. (`Row` throws instead.)
    public func int64(_ row: Int, _ column: Int) -> Int64 {
        guard let cell = cell(Int32(row), Int32(column), name: "?") else { return 0 }
        return (try? Int64.decode(cell)) ?? 0
    }

    /// A boolean cell; false for NULL.
    public func bool(_ row: Int, _ column: Int) -> Bool {
        cell(Int32(row), Int32(column), name: "?").flatMap { try? Bool.decode($0) } ?? false
    }

    /// A bytea cell; nil for NULL.
    public func bytes(_ row: Int, _ column: Int) -> [UInt8]? {
        cell(Int32(row), Int32(column), name: "?").flatMap { try? [UInt8].decode($0) }
    }
}

/// One row of a result. `decode(T.self, "column")` throws when the column is missing, NULL
/// (ask for `T?` where NULL is expected) or of a type that does not decode as `T`.
public struct Row {
    let result: QueryResult
    let index: Int32

    /// The value of `column`; a NULL is an error.
    public func decode<T: PostgresDecodable>(_ type: T.Type, _ column: StaticString) throws -> T {
        guard let cell = result.cell(index, try result.index(of: column), name: column) else {
            throw StorageError("unexpected NULL in column \(column)")
        }
        return try T.decode(cell)
    }

    /// The value of `column`, nil for NULL: for columns where NULL means something.
    public func decode<T: PostgresDecodable>(_ type: T?.Type, _ column: StaticString) throws -> T? {
        guard let cell = result.cell(index, try result.index(of: column), name: column) else { return nil }
        return try T.decode(cell)
    }

    /// A text column holding one of `T`'s raw values; any other text is an error.
    public func decode<T: RawRepresentable>(_ type: T.Type, _ column: StaticString) throws -> T where T.RawValue == String {
        guard let value = T(rawValue: try decode(String.self, column)) else { throw StorageError("column \(column) holds no \(T.self)") }
        return value
    }
}
