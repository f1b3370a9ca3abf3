import ArgumentParser
import Foundation
import KMSCore
import KMSProvisioning

/// The regions the stack serves: $KMS_REGIONS, which `scripts/kms ctl` sets from the stack's settings.
func servedRegions() throws -> RegionTable {
    try RegionTable(spec: ProcessInfo.processInfo.environment["KMS_REGIONS"].flatMap { $0.isEmpty ? nil : $0 } ?? RegionTable.defaultSpec)
}

/// `kmsctl apply FILE` (issue 18; README "Seeding a stack").
struct Apply: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: """
        Make the stack hold what a seed file (YAML or JSON) says: accounts and, per region, their keys. \
        What the file does not name is left alone; applying it again changes nothing. One transaction: \
        a file that fails anywhere changes nothing. Fixed material and fixed credentials are for \
        development stacks: refused when the stack listens beyond loopback (KMS_LISTEN, KMS_HTTP_LISTEN) \
        unless --allow-fixed-secrets.
        """)
    @OptionGroup var connection: Connection
    @Argument(help: "The seed file; - reads standard input.") var file: String
    @Flag(name: .customLong("dry-run"), help: "Say what would change, and change nothing.") var dryRun = false
    @Flag(name: .customLong("allow-fixed-secrets"),
          help: "Take fixed material and credentials although the stack listens beyond loopback (anyone who has the file has those keys).")
    var allowFixedSecrets = false

    func run() throws {
        let regions = try servedRegions()
        let seed: SeedFile
        do {
            seed = try SeedFile.parse(try readText(), regions: regions)
        } catch let error as SeedError {
            throw ValidationError("\(file):\(error.line): \(error.field): \(error.message)")
        }
        let exposed = Apply.addressesBeyondLoopback(ProcessInfo.processInfo.environment)
        if !allowFixedSecrets, !exposed.isEmpty, let account = seed.accounts.first(where: \.hasFixedSecrets) {
            throw ValidationError("""
                \(file):\(account.line): account \(account.name): fixed material or a fixed SecretKey, but this stack listens \
                beyond loopback (\(exposed.joined(separator: ", "))): anyone with the file would hold those keys. Seed \
                development stacks only, or pass --allow-fixed-secrets.
                """)
        }
        let applier = SeedApplier(sealer: try connection.sealer(), regions: regions, database: try connection.open())
        let outcome: SeedApplier.Outcome
        do {
            outcome = try applier.apply(seed, dryRun: dryRun, now: now)
        } catch let refusal as SeedApplier.Refusal {
            throw ValidationError("\(file):\(refusal.line): \(refusal.what) (nothing was changed)")
        }
        if outcome.changes.isEmpty {
            print("no changes: the stack already holds what \(file) says")
            return
        }
        for change in outcome.changes { print(change) }
        if dryRun {
            print("\(Apply.count(outcome.changes.count)) would be made; nothing was changed (--dry-run)")
            return
        }
        print("\(Apply.count(outcome.changes.count)) applied")
        for (account, credential) in outcome.issued {
            print("\(account): SecretId  \(credential.secretId)\n\(account): SecretKey \(credential.shownSecretKey)")
        }
    }

    static func count(_ n: Int) -> String { n == 1 ? "1 change" : "\(n) changes" }

    func readText() throws -> String {
        let data: Data
        if file == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            guard let read = FileManager.default.contents(atPath: file) else {
                let exists = FileManager.default.fileExists(atPath: file)
                throw ValidationError("\(file): \(exists ? "cannot be read (a directory, or no permission)" : "no such file")")
            }
            data = read
        }
        guard let text = String(data: data, encoding: .utf8) else { throw ValidationError("\(file): not UTF-8 text") }
        return text
    }

    /// The listen addresses (as `scripts/kms` reads them, default 127.0.0.1) that are not loopback.
    static func addressesBeyondLoopback(_ environment: [String: String]) -> [String] {
        ["KMS_LISTEN", "KMS_HTTP_LISTEN"].flatMap { name -> [String] in
            let value = environment[name].flatMap { $0.isEmpty ? nil : $0 } ?? "127.0.0.1"
            return value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }.filter { address in
            !(address.hasPrefix("127.") || address == "[::1]" || address == "::1")
        }
    }
}

/// `kmsctl export [--account NAME]` (issue 18).
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: """
        Write a seed file of what the stack holds (every tenant account, or the one named): accounts, \
        and their keys per region with ids, aliases, descriptions, states, rotation and tags. Never \
        material or secrets. `apply` makes another stack hold the same.
        """)
    @OptionGroup var connection: Connection
    @Option(help: "Only the account of this name.") var account: String?

    func run() throws {
        do {
            print(try SeedExporter(regions: try servedRegions(), database: try connection.open()).export(account: account, now: now), terminator: "")
        } catch let missing as SeedExporter.NoSuchAccount {
            throw ValidationError("\(missing)")
        }
    }
}
