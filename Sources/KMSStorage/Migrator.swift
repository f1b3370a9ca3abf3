import KMSCore
#if canImport(Glibc)
import Glibc
#endif

/// Applies the numbered SQL files of `SQL/` (`001_name.sql`, …) in order, each in its own
/// transaction, recording each in `schema_migrations` so a second run changes nothing.
public struct Migrator {
    public let directory: String

    public init(directory: String) { self.directory = directory }

    /// The migration files found, ordered by number.
    public func migrations() throws -> [(version: Int, name: String, sql: String)] {
        guard let dir = opendir(directory) else { throw StorageError("cannot open migrations directory \(directory)") }
        defer { closedir(dir) }
        var found: [(Int, String, String)] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            guard name.hasSuffix(".sql"), let number = Int(name.prefix { $0.isNumber }) else { continue }
            found.append((number, name, try readFile("\(directory)/\(name)")))
        }
        found.sort { $0.0 < $1.0 }
        for (a, b) in zip(found, found.dropFirst()) where a.0 == b.0 {
            throw StorageError("two migrations numbered \(a.0)")
        }
        return found.map { (version: $0.0, name: $0.1, sql: $0.2) }
    }

    /// Applies what is missing; returns the names applied. A session advisory lock keeps two
    /// concurrent runs from applying the same file twice.
    @discardableResult
    public func apply(to database: Database) throws -> [String] {
        let connection = try database.connection
        try connection.execute(script: "SET client_min_messages = warning")
        try connection.execute(script: """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version integer PRIMARY KEY,
                name text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now())
            """)
        try connection.execute(script: "SELECT pg_advisory_lock(7201190118)")
        defer { try? connection.execute(script: "SELECT pg_advisory_unlock(7201190118)") }
        let applied = try connection.execute(name: "migrations_applied", sql: "SELECT version FROM schema_migrations", parameters: [])
        let done = Set((0..<applied.rowCount).map { Int(applied.int64($0, 0)) })
        var names: [String] = []
        for migration in try migrations() where !done.contains(migration.version) {
            try database.transaction(tenant: nil) { db in
                try db.connection.execute(script: migration.sql)
                _ = try db.connection.execute(name: "migrations_record",
                                              sql: "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                                              parameters: [String(migration.version), migration.name])
            }
            names.append(migration.name)
        }
        return names
    }

    private func readFile(_ path: String) throws -> String {
        guard let file = fopen(path, "r") else { throw StorageError("cannot read \(path)") }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&buffer, 1, buffer.count, file)
            if n <= 0 { break }
            bytes.append(contentsOf: buffer[0..<n])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
