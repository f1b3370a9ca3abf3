import ArgumentParser
import Foundation
import KMSAPI
import KMSService
import KMSCore

/// The responder's command line, parsed as `kmsctl`'s is. `scripts/lib/responder.sh` passes every
/// option from the stack's settings (`KMS_REGIONS`, `KMS_WORKERS`, `KMS_FRONT_WORKERS`, `KMS_LOG_LEVEL`, the log file, `KMS_RATE_LIMIT`, `KMS_CPU_BUDGET`, `KMS_DATA_KEY_LIMIT`, `KMS_CACHE_STALE_SECONDS`).
struct ResponderOptions: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kms-responder",
        abstract: "The KMS FastCGI responder: answers the Tencent KMS API (2019-01-18) behind nginx.")

    @Option(name: .customLong("socket"), help: "Unix socket to accept FastCGI connections on.")
    var socket: String

    @Option(name: .customLong("socket-group"), help: "Group given access to the socket (nginx's workers).")
    var socketGroup: String?

    @Option(name: .customLong("database"), help: "libpq connection string.")
    var database: String

    @Option(name: .customLong("master-key"), help: "Master key file (the ring: master.key, master.key.2, …).")
    var masterKey: String

    @Option(name: .customLong("regions"), help: "Served regions and their profiles: NAME=FIPS|SM,…")
    var regions: String = RegionTable.defaultSpec

    // Optional so that --help states the default as a rule (as `scripts/kms help` and the README
    // do), not as this machine's number.
    @Option(name: .customLong("workers"), help: "FastCGI worker threads per responder, 1-512 (default: 8 per core).")
    var workerCount: Int?

    /// The worker threads to run: `--workers`, else `defaultWorkers`.
    var workers: Int { workerCount ?? ResponderOptions.defaultWorkers }

    // The front lane (docs/OPERATIONS.md, "Worker threads"): nginx sends the symmetric crypto
    // actions here, a few threads that answer from the caches, so they never queue behind
    // requests waiting on PostgreSQL on the other socket's threads.
    @Option(name: .customLong("front-socket"),
            help: "Unix socket of the front lane (Encrypt, Decrypt, … from nginx's map); none: one socket for everything.")
    var frontSocket: String?

    @Option(name: .customLong("front-workers"), help: "Worker threads of the front lane, 1-64 (default: 1 per core, at most 16).")
    var frontWorkerCount: Int?

    /// The front lane's threads: `--front-workers`, else one per core up to 16 (cached crypto
    /// never waits, so more threads than cores only queue on the cores).
    var frontWorkers: Int { frontWorkerCount ?? min(ProcessInfo.processInfo.activeProcessorCount, 16) }

    @Option(name: .customLong("log-level"), help: "debug, info, warning or error (warning turns the per-request lines off).")
    var logLevel: String = "info"

    @Option(name: .customLong("log-file"),
            help: "Append JSON log lines to this file (reopened on SIGUSR1, for logrotate); stderr if not given.")
    var logFile: String?

    @Option(name: .customLong("rate-limit"), help: "Requests per second per account (bursts of twice that); 0 turns limiting off.")
    var rateLimit: Double = 10000

    @Option(name: .customLong("cpu-budget"),
            help: "CPU milliseconds per second per account for public-key operations (key-pair generation, BYOK unwrapping, asymmetric keys); 0 turns the budget off.")
    var cpuBudget: Double = 500

    @Option(name: .customLong("data-key-limit"),
            help: "Hosted data keys an account may hold per region (PendingDelete ones not counted); 0: none (IsAllowedDataKeyHosted false).")
    var dataKeyLimit: Int = DataKeyRules.defaultLimit

    @Option(name: .customLong("cache-stale-seconds"),
            help: "While the cache-invalidation connection to PostgreSQL is down (a failover), cached keys, credentials and CAM policies are used for at most this many seconds, then not at all until it is back; 0 empties the caches at once.")
    var cacheStaleSeconds: Int = 30

    @Option(name: .customLong("host-name"),
            help: "This responder host's name in a deployment of several (scripts/kms cluster passes it): its heartbeat in PostgreSQL makes --rate-limit and --cpu-budget hold across all live hosts. Without it the limits are this process's own (a single host).")
    var hostName: String?

    @Option(name: .customLong("bench-off"),
            help: "For scripts/kms bench only, never a service (scripts/kms up refuses it): safety features to switch off, comma-separated: \(BenchOffFeature.names).")
    var benchOffList: String?

    /// The features `--bench-off` switches off (`validate` has checked the names).
    var benchOff: Set<BenchOffFeature> { benchOffList.map { BenchOffFeature.parse($0)! } ?? [] }

    /// Eight worker threads per core, as `scripts/kms` (KMS_WORKERS) and the README say: they
    /// serve what waits on PostgreSQL (the front lane has the cached crypto), and more commits in
    /// flight share more WAL flushes.
    /// At most 64: each holds a PostgreSQL connection.
    static var defaultWorkers: Int { min(8 * ProcessInfo.processInfo.activeProcessorCount, 64) }

    /// The parsed log level (`validate` has checked the name).
    var level: Log.Level { Log.Level(name: logLevel)! }

    func validate() throws {
        guard !socket.isEmpty, !database.isEmpty, !masterKey.isEmpty else {
            throw ValidationError("--socket, --database and --master-key must not be empty")
        }
        guard (1...512).contains(workers) else { throw ValidationError("--workers takes 1-512") }
        guard (1...64).contains(frontWorkers) else { throw ValidationError("--front-workers takes 1-64") }
        guard frontSocket?.isEmpty != true, frontSocket != socket else {
            throw ValidationError("--front-socket must be a path other than --socket")
        }
        guard rateLimit >= 0 else { throw ValidationError("--rate-limit takes a number ≥ 0") }
        guard cpuBudget >= 0 else { throw ValidationError("--cpu-budget takes a number ≥ 0") }
        guard (0...3600).contains(cacheStaleSeconds) else { throw ValidationError("--cache-stale-seconds takes 0-3600") }
        guard (0...999_999_999).contains(dataKeyLimit) else { throw ValidationError("--data-key-limit takes 0-999999999") }
        guard Log.Level(name: logLevel) != nil else { throw ValidationError("unknown log level \(logLevel)") }
        if let hostName, !HostHeartbeat.validName(hostName) {
            throw ValidationError("--host-name takes 1-63 of A-Z a-z 0-9 . _ -")
        }
        if let benchOffList, BenchOffFeature.parse(benchOffList) == nil {
            throw ValidationError("--bench-off takes a comma-separated list of \(BenchOffFeature.names)")
        }
        guard logFile?.isEmpty != true else { throw ValidationError("--log-file must not be empty") }
    }
}
