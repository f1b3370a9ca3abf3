import ArgumentParser
import Foundation
import KMSCore
import KMSCrypto
import KMSService

extension MasterKey {
    /// `kmsctl master-key check`: every master key file the database needs is present.
    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: """
            Check that every master key file the database needs is present beside --master-key: \
            master.key as soon as anything is sealed, and master.key.N for every N that a sealed value \
            names. Exits 1 naming each missing file. Reads only ids and counts, never a key.
            """)
        @OptionGroup var connection: Connection
        @Flag(help: "Print {\"required\":[{\"id\",\"values\",\"path\"}],\"missing\":[path],\"uncountable\":[table.column]}.")
        var json = false

        func run() throws {
            guard !connection.masterKey.isEmpty else { throw ValidationError("no master key: pass --master-key or set KMS_MASTER_KEY") }
            let check = try KeyRingCheck(database: try connection.open())
            let missing = check.missing(ringBase: connection.masterKey)
            if json {
                printJSON(.object([
                    ("required", .array(check.required.map { .object([
                        ("id", .int(Int64($0.id))), ("values", .int($0.values)),
                        ("path", .string(MasterKeyRing.path(connection.masterKey, id: $0.id)))]) })),
                    ("missing", .array(missing.map { .string($0.path) })),
                    ("uncountable", .array(check.uncountable.map { .string($0) })),
                ]))
            } else if missing.isEmpty {
                let ids = check.required.map { String($0.id) }.joined(separator: ", ")
                print(check.required.isEmpty ? "no sealed values yet: no master key file is needed"
                                             : "every master key file the database needs is present (ids \(ids))")
            }
            for column in check.uncountable {
                FileHandle.standardError.write(Data("kmsctl: warning: \(column) cannot be counted across tenants; its master keys are not checked\n".utf8))
            }
            guard missing.isEmpty else {
                for (requirement, path) in missing {
                    FileHandle.standardError.write(Data("kmsctl: error: master key file missing: \(path) (master key \(requirement.id), needed by \(requirement.values) sealed values)\n".utf8))
                }
                throw ExitCode(1)
            }
        }
    }
}
