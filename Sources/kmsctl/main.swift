import ArgumentParser
import Foundation
import KMSService
import KMSCore
import KMSCrypto
import KMSStorage

/// The admin CLI. `--database` and `--master-key` default to $KMS_DATABASE_URL and $KMS_MASTER_KEY.
struct KMSCtl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kmsctl",
        abstract: "Administers a KMS deployment: master key, migrations, accounts and credentials, seed files.",
        subcommands: [MasterKey.self, Migrate.self, Account.self, Operator.self, Credential.self, Apply.self, Export.self, Audit.self, Jobs.self])
}

struct Connection: ParsableArguments {
    @Option(help: "libpq connection string (default: $KMS_DATABASE_URL).")
    var database: String = ProcessInfo.processInfo.environment["KMS_DATABASE_URL"] ?? ""

    @Option(name: .customLong("master-key"), help: "Master key file (default: $KMS_MASTER_KEY).")
    var masterKey: String = ProcessInfo.processInfo.environment["KMS_MASTER_KEY"] ?? ""

    func open() throws -> Database {
        guard !database.isEmpty else { throw ValidationError("no database: pass --database or set KMS_DATABASE_URL") }
        return try Database(conninfo: database)
    }

    func registry() throws -> AccountRegistry {
        AccountRegistry(sealer: try sealer(), database: try open())
    }

    /// Every master key of the ring (`master.key`, `master.key.2`, …).
    func sealer() throws -> Sealer {
        guard !masterKey.isEmpty else { throw ValidationError("no master key: pass --master-key or set KMS_MASTER_KEY") }
        return try Sealer(masterKeys: try MasterKeyRing.load(base: masterKey))
    }
}

var now: Int64 { Int64(Date().timeIntervalSince1970) }

func printJSON(_ value: JSONValue) { print(value.serializedString) }

struct MasterKey: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "master-key", abstract: "Create the master key; rotate it; check the key files the database needs.",
                                                    subcommands: [Init.self, Rotate.self, Check.self])

    struct Rotate: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: """
            Add a new master key and re-seal every secret under it, while the service runs: every account \
            and every region found in the database, served or not. Responders load the new key within a \
            second; values they seal meanwhile are caught by a second pass. With --retire, older rotation \
            keys are removed only when no value in any table is still sealed under them (otherwise nothing \
            is deleted and the command fails); key 1 stays: the fingerprint and audit keys derive from it.
            """)
        @OptionGroup var connection: Connection
        @Option(help: "Seconds to wait for responders to load the new key before re-sealing.") var wait: Double = 3
        @Flag(help: "Then delete the older rotation keys, if nothing is still sealed under them.") var retire = false
        func run() throws {
            let id = try MasterKeyRing.addKey(base: connection.masterKey)
            print("added master key \(id) (\(MasterKeyRing.path(connection.masterKey, id: id)))")
            Thread.sleep(forTimeInterval: wait)
            let sealer = try connection.sealer()
            let rotation = MasterKeyRotation(sealer: sealer, database: try connection.open())
            var counts = try rotation.reseal()
            print("re-sealed \(counts.credentials) credential secrets, \(counts.materials) material versions, \(counts.importKeys) import keys")
            if counts.unreadable > 0 { print("WARNING: \(counts.unreadable) values open under no loaded master key (damaged or moved); left as they are") }
            // Values sealed by a responder that had not yet loaded the new key.
            Thread.sleep(forTimeInterval: 1)
            let second = try rotation.reseal()
            counts = try rotation.reseal(dryRun: true)
            print("second pass re-sealed \(second.credentials + second.materials + second.importKeys); \(counts.olderLeft) values left under older keys")
            if retire {
                do {
                    let retired = try rotation.retire(ringBase: connection.masterKey, keep: id)
                    print("retired master keys \(retired.isEmpty ? "none" : retired.map { String($0) }.joined(separator: ", ")); keys now: 1 and \(id)")
                } catch let refused as MasterKeyRotation.RetirementRefused {
                    throw ValidationError("\(refused)")
                }
            }
        }
    }

    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create the 256-bit master key file (mode 0600) if it does not exist.")
        @OptionGroup var connection: Connection
        func run() throws {
            guard !connection.masterKey.isEmpty else { throw ValidationError("no master key path") }
            let created = try MasterKeyFile.create(path: connection.masterKey)
            print(created ? "created master key \(connection.masterKey)" : "master key \(connection.masterKey) already exists")
        }
    }
}

struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply the numbered SQL migrations that are not yet applied.")
    @OptionGroup var connection: Connection
    @Option(help: "Directory of NNN_name.sql files (default: $KMS_SQL_DIR, which `scripts/kms ctl` sets to the repository's SQL/; else ./SQL).")
    var dir: String?
    func run() throws {
        let dir = self.dir ?? ProcessInfo.processInfo.environment["KMS_SQL_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "SQL"
        // A wrong directory must not read as "schema is up to date".
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ValidationError("no migrations directory \(dir) (in \(FileManager.default.currentDirectoryPath)): pass --dir with the repository's SQL/ directory")
        }
        let migrator = Migrator(directory: dir)
        guard !(try migrator.migrations()).isEmpty else { throw ValidationError("no NNN_name.sql migrations in \(dir)") }
        let applied = try migrator.apply(to: try connection.open())
        print(applied.isEmpty ? "schema is up to date" : "applied: \(applied.joined(separator: ", "))")
    }
}

func credentialJSON(_ c: IssuedCredential) -> JSONValue {
    .object([("AppId", .int(c.appId)), ("Uin", .int(c.uin)), ("SecretId", .string(c.secretId)),
             ("SecretKey", .string(c.shownSecretKey))])
}

struct Account: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create, list, disable and re-enable accounts.",
                                                    subcommands: [Create.self, List.self, Disable.self, Enable.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an account with one credential.")
        @OptionGroup var connection: Connection
        @Option(help: "The account's name (for people; need not be unique).") var name: String
        @Flag(help: "Print {AppId, Uin, SecretId, SecretKey} as one JSON object.") var json = false
        func run() throws {
            let issued = try connection.registry().createAccount(name: name, now: now)
            if json { printJSON(credentialJSON(issued)) } else {
                print("AppId \(issued.appId)  Uin \(issued.uin)\nSecretId  \(issued.secretId)\nSecretKey \(issued.shownSecretKey)")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List accounts.")
        @OptionGroup var connection: Connection
        @Flag(help: "A JSON array of {AppId, Uin, Name, CreatedAt (Unix seconds), Enabled, Kind (tenant|operator)}.") var json = false
        func run() throws {
            let rows = try AccountRegistry.listing(database: try connection.open())
            if json {
                printJSON(.array(rows.map { .object([("AppId", .int($0.appId)), ("Uin", .int($0.uin)), ("Name", .string($0.name)), ("CreatedAt", .int($0.createdAt)),
                                                     ("Enabled", .bool($0.enabled)), ("Kind", .string($0.kind.rawValue))]) }))
            } else {
                for r in rows { print("\(r.appId)\t\(r.uin)\t\(r.name)\t\(r.kind.rawValue)\t\(r.enabled ? "enabled" : "disabled")") }
            }
        }
    }
}

struct Credential: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Add, list, disable and re-enable an account's credentials (SecretId/SecretKey).",
                                                    subcommands: [Create.self, List.self, Disable.self, Enable.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a credential to an account.")
        @OptionGroup var connection: Connection
        @Option(name: .customLong("app-id"), help: "The account (AppId) that gets the new credential.") var appId: Int64
        @Flag(help: "Print {AppId, Uin, SecretId, SecretKey} as one JSON object.") var json = false
        func run() throws {
            let issued = try connection.registry().createCredential(appId: appId, now: now)
            if json { printJSON(credentialJSON(issued)) } else { print("SecretId  \(issued.secretId)\nSecretKey \(issued.shownSecretKey)") }
        }
    }

    struct Disable: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable a credential: its requests fail with AuthFailure.SecretIdNotFound.")
        @OptionGroup var connection: Connection
        @Option(name: .customLong("secret-id"), help: "The credential's SecretId (AKID…).") var secretId: String
        func run() throws {
            guard try AccountRegistry.setCredential(secretId, enabled: false, database: try connection.open()) else {
                throw ValidationError("no credential \(secretId)")
            }
            print("disabled \(secretId)")
        }
    }

    struct Enable: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Re-enable a disabled credential.")
        @OptionGroup var connection: Connection
        @Option(name: .customLong("secret-id"), help: "The credential's SecretId (AKID…).") var secretId: String
        func run() throws {
            guard try AccountRegistry.setCredential(secretId, enabled: true, database: try connection.open()) else {
                throw ValidationError("no credential \(secretId)")
            }
            print("enabled \(secretId)")
        }
    }
}

struct Audit: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Read, check and archive the audit trail.",
                                                    subcommands: [Verify.self, Tail.self, Archive.self])

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-compute every record's chain MAC; exit 1 if any record was edited, inserted or deleted.")
        @OptionGroup var connection: Connection
        @Option(help: "Verify this archive file (from `audit archive`) instead of the database.") var archive: String?
        func run() throws {
            let sealer = try connection.sealer()
            if let archive {
                guard let data = FileManager.default.contents(atPath: archive) else { throw ValidationError("cannot read \(archive)") }
                let lines = String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
                let (records, problems) = AuditArchiver(sealer: sealer).verifyArchive(lines: lines)
                print("\(records) archived records checked")
                for problem in problems { print("PROBLEM: \(problem)") }
                if !problems.isEmpty { throw ExitCode(1) }
                print("audit archive intact")
                return
            }
            let report = try AuditVerifier(sealer: sealer).verify(try connection.open())
            if let checkpoint = report.checkpoint {
                print("from checkpoint \(checkpoint.id) (records up to seq \(checkpoint.cutSeq) archived)")
            }
            print("\(report.records) records in \(report.lanes) lanes checked")
            for problem in report.problems { print("PROBLEM: \(problem)") }
            if !report.problems.isEmpty { throw ExitCode(1) }
            print("audit trail intact")
        }
    }

    struct Archive: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Export the records older than DATE to FILE (JSON lines) and prune them, leaving a checkpoint.",
            discussion: """
                The file holds every pruned record with its chain MAC, between the checkpoint it continues from and \
                the new one: `audit verify --archive FILE` checks it offline (with the master key). `audit verify` \
                then verifies the remaining records from the new checkpoint. Audit writes wait while it runs.
                """)
        @OptionGroup var connection: Connection
        @Option(help: "Archive records older than this: YYYY-MM-DD (UTC midnight) or RFC 3339 (2026-01-31T12:00:00Z).")
        var before: String
        @Option(help: "The archive file to create (it must not exist).") var to: String
        func run() throws {
            let iso = ISO8601DateFormatter()
            let day = ISO8601DateFormatter()
            day.formatOptions = [.withFullDate]
            guard let date = iso.date(from: before) ?? day.date(from: before) else {
                throw ValidationError("--before: not YYYY-MM-DD or RFC 3339: \(before)")
            }
            let now = Date()
            guard date <= now else { throw ValidationError("--before is in the future") }
            do {
                let outcome = try AuditArchiver(sealer: try connection.sealer()).archive(
                    try connection.open(), beforeMilliseconds: Int64(date.timeIntervalSince1970 * 1000), to: to,
                    nowMilliseconds: Int64(now.timeIntervalSince1970 * 1000))
                guard let checkpoint = outcome.checkpoint else {
                    print("nothing to archive before \(before)")
                    return
                }
                print("archived \(outcome.archived) records (up to seq \(checkpoint.cutSeq)) to \(to) and pruned them")
            } catch let failure as AuditArchiver.Failure {
                throw ValidationError("audit archive: \(failure.description)")
            }
        }
    }
}

struct Jobs: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The scheduled work (deletions, expiries, rotations): list it, bring dead jobs back.",
        subcommands: [List.self, Retry.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: """
            List scheduled jobs, oldest due first, with their failed attempts and last error. A job is dead \
            after \(JobRetryPolicy.standard.maxAttempts) failed attempts and is not tried again until retried.
            """)
        @OptionGroup var connection: Connection
        @Flag(help: "Only dead jobs.") var dead = false
        @Flag(help: "A JSON array of {Id, Kind, AppId, Region, KeyId, DueAt, Attempts, NotBefore, LastError, Dead, DeadAt}.") var json = false
        func run() throws {
            let rows = try connection.open().run(ListScheduledJobs(deadOnly: dead))
            if json {
                printJSON(.array(rows.map { r in .object([
                    ("Id", .int(r.job.id)), ("Kind", .string(r.job.kind.rawValue)), ("AppId", .int(r.job.tenant.appId)),
                    ("Region", .string(r.job.tenant.region)), ("KeyId", .string(r.job.keyID.description)),
                    ("DueAt", .int(r.job.dueAt)), ("Attempts", .int(Int64(r.job.attempts))), ("NotBefore", .int(r.notBefore)),
                    ("LastError", r.lastError.map { .string($0) } ?? .null), ("Dead", .bool(r.deadAt != nil)),
                    ("DeadAt", r.deadAt.map { .int($0) } ?? .null),
                ]) }))
            } else {
                for r in rows {
                    let state = r.deadAt != nil ? "dead" : r.job.attempts > 0 ? "retrying" : "scheduled"
                    print("\(r.job.id)\t\(r.job.kind.rawValue)\t\(r.job.tenant.appId)\t\(r.job.tenant.region)\t\(r.job.keyID)\tdue \(r.job.dueAt)\t\(state)\tattempts \(r.job.attempts)\t\(r.lastError ?? "-")")
                }
            }
        }
    }

    struct Retry: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Try a (dead) job again at once, its attempts counted from zero.")
        @OptionGroup var connection: Connection
        @Argument(help: "The job's Id (kmsctl jobs list).") var id: Int64
        func run() throws {
            guard try connection.open().run(RetryJob(id: id)) else { throw ValidationError("no scheduled job \(id)") }
            print("job \(id) will be tried again")
        }
    }
}

KMSCtl.runReportingFailures()
