import CPostgres
#if canImport(Glibc)
import Glibc
#endif

extension QueryResult {
    /// A result made on this side, without a server (libpq's `PQmakeEmptyPGresult`,
    /// `PQsetResultAttrs`, `PQsetvalue`): how unit tests decode rows of any shape. `type` is the
    /// column's PostgreSQL type OID; nil cells are NULL.
    convenience init(columns: [(name: String, type: UInt32, binary: Bool)], rows: [[[UInt8]?]]) {
        let result = PQmakeEmptyPGresult(nil, PGRES_TUPLES_OK)!
        // libpq copies the names and the values into the result; these copies live until it has.
        let names = columns.map { strdup($0.name) }
        defer { names.forEach { free($0) } }
        var descriptors = columns.enumerated().map { i, column in
            PGresAttDesc(name: names[i], tableid: 0, columnid: 0, format: column.binary ? 1 : 0, typid: column.type,
                         typlen: -1, atttypmod: -1)
        }
        precondition(PQsetResultAttrs(result, Int32(columns.count), &descriptors) == 1)
        for (r, row) in rows.enumerated() {
            for (c, value) in row.enumerated() {
                guard let value else {
                    precondition(PQsetvalue(result, Int32(r), Int32(c), nil, -1) == 1)
                    continue
                }
                // One byte more, so that an empty value still has an address (a NULL pointer means NULL).
                var bytes = value.map { CChar(bitPattern: $0) } + [0]
                precondition(PQsetvalue(result, Int32(r), Int32(c), &bytes, Int32(value.count)) == 1)
            }
        }
        self.init(result)
    }
}
