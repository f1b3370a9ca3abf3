import CLinux
import Dispatch
import Foundation
import Synchronization
import KMSAPI
import KMSService
import KMSHTTP
import KMSCore
import KMSCrypto
import KMSFastCGI
import KMSStorage

// The FastCGI responder: `kms-responder --socket PATH --database DSN --master-key PATH [options]`
// (the options: ResponderOptions.swift).

func fail(_ message: String) -> Never {
    // A JSON line like every other (to stderr until the log file is open), then exit.
    Log.event("responder_start_failed", .error, ["error": .string(message)])
    Log.flush()
    exit(2)
}

// A responder holds key material in memory: never let it be dumped to a core file.
guard kms_disable_core_dumps() == 0 else { fail("cannot make the process non-dumpable") }
kms_limit_malloc_arenas()
// Nor into the log: the Swift runtime's crash handler (the backtracer, on by default on Linux)
// prints every register with the 16 bytes of memory it points at to stderr, which is our log.
// With the default actions a crash is just a crash: the supervisor restarts us, no core is written.
for sig in [SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP] { signal(sig, SIG_DFL) }

let options = ResponderOptions.parseOrExit()
Log.minimum = options.level
if let logFile = options.logFile {
    do { try Log.open(path: logFile) } catch { fail("\(error)") }
}
// The server's notices (its shutdown's FATAL to each connection) as log lines, not raw stderr.
PostgresConnection.noticeHandler = { message in
    Log.event("database_notice", .warning, ["msg": .string(String(message.prefix { $0 != "\n" }))])
}

let service: Service
let server: FastCGIServer
/// The front lane (`--front-socket`): its own threads for the actions nginx sends there.
let frontServer: FastCGIServer?
let sealer: Sealer
let regions: RegionTable
let auditWriter: AuditWriter
let wrappingKeys = WrappingKeyPool()
// A host of a deployment shares its accounts' limits with the other live hosts (HostHeartbeat).
let hostShare: HostShare? = options.hostName == nil ? nil : HostShare()
let scheduledWorker = Mutex<ScheduledWorker?>(nil)
do {
    regions = try RegionTable(spec: options.regions)
    sealer = try Sealer(masterKeys: try MasterKeyRing.load(base: options.masterKey))
    auditWriter = AuditWriter(sealer: sealer, makeDatabase: { [database = options.database] in try Database(conninfo: database) })
    service = Service(regions: regions, sealer: sealer, auditWriter: auditWriter, wrappingKeys: wrappingKeys,
                      rateLimiter: RateLimiter(rate: options.rateLimit, share: hostShare),
                      cpuBudget: CPUBudget(rate: options.cpuBudget, share: hostShare), dataKeyLimit: options.dataKeyLimit, benchOff: options.benchOff, clock: { Int64(Date().timeIntervalSince1970) })
    // libfcgi installs its own SIGTERM handler in FCGX_Init unless one is set; ignore the
    // signals first and take them through Dispatch so shutdown is ours.
    signal(SIGTERM, SIG_IGN)
    signal(SIGINT, SIG_IGN)
    signal(SIGPIPE, SIG_IGN)
    server = try FastCGIServer(socketPath: options.socket, socketGroup: options.socketGroup)
    frontServer = try options.frontSocket.map { try FastCGIServer(socketPath: $0, socketGroup: options.socketGroup) }
    Log.event("responder_listening", .info, ["socket": .string(options.socket), "workers": .int(Int64(options.workers)),
                                           "front_socket": options.frontSocket.map { .string($0) } ?? .null,
                                           "front_workers": frontServer == nil ? .int(0) : .int(Int64(options.frontWorkers)),
                                           "regions": .string(regions.regions.map { "\($0.name)=\($0.profile.rawValue)" }.joined(separator: ",")),
                                           "pid": .int(Int64(getpid()))])
    if let off = options.benchOffList {
        Log.event("bench_off", .warning, ["features": .string(off), "msg": "benchmark only: safety features switched off"])
    }
} catch let e as KMSError {
    fail(e.reason)
} catch {
    fail("\(error)")
}

var signalSources: [DispatchSourceSignal] = []
for sig in [SIGTERM, SIGINT] {
    let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
    source.setEventHandler {
        Log.event("responder_stopping", .info, ["signal": .int(Int64(sig))])
        frontServer?.stop()
        server.stop()
    }
    source.resume()
    signalSources.append(source)
}
// SIGUSR1: logrotate has moved the log file away; write on under its name.
signal(SIGUSR1, SIG_IGN)
let reopenSource = DispatchSource.makeSignalSource(signal: SIGUSR1, queue: .global())
reopenSource.setEventHandler { Log.reopen() }
reopenSource.resume()

let databaseURL = options.database
// The pool fills from idle CPU only; a request that finds it dry pays from its account's budget.
wrappingKeys.start { _ = kms_lower_thread_priority() }
auditWriter.start()
// A master key added by `kmsctl master-key rotate` is loaded within a second, before re-sealing starts.
let masterKeyWatcher = Thread {
    var loaded = sealer.keyIds
    while true {
        Thread.sleep(forTimeInterval: 1)
        // Rotation only ever adds the next id; look for that one file, reload all only when it appears.
        let next = MasterKeyRing.path(options.masterKey, id: (loaded.max() ?? 1) &+ 1)
        guard access(next, F_OK) == 0, let keys = try? MasterKeyRing.load(base: options.masterKey), keys.map(\.id) != loaded else { continue }
        do {
            try sealer.install(keys)
            loaded = keys.map(\.id)
            Log.event("master_keys_loaded", .info, ["key_ids": .array(loaded.map { .int(Int64($0)) }),
                                                    "sealing_key_id": .int(Int64(sealer.currentKeyId))])
        } catch {
            Log.event("master_keys_load_failed", .error, ["error": .string(Log.describe(error))])
        }
    }
}
masterKeyWatcher.start()
// /readyz reads what this thread last found (Health, ReadinessMonitor): probes never wait on PostgreSQL.
let readiness = ReadinessMonitor(conninfo: databaseURL, sealer: sealer)
readiness.start()
let health = Health(readiness: readiness)
let invalidator = CacheInvalidator(keys: service.keyCache, credentials: service.credentialCache, access: service.accessCache,
                                   conninfo: databaseURL, staleSeconds: UInt64(options.cacheStaleSeconds))
invalidator.start()
let heartbeat = options.hostName.map { HostHeartbeat(host: $0, conninfo: databaseURL, share: hostShare!) }
heartbeat?.start()
// The scheduled worker has its own connection; if the database is not up yet it retries.
let workerThread = Thread {
    while true {
        do {
            let worker = ScheduledWorker(database: try Database(conninfo: databaseURL), sealer: sealer, regions: regions, keyCache: service.keyCache, clock: { Int64(Date().timeIntervalSince1970) })
            worker.start()
            scheduledWorker.withLock { $0 = worker }
            return
        } catch {
            Log.event("database_connect_failed", .error, ["thread": "scheduled-worker", "error": .string(Log.describe(error)), "retry_in_s": 2])
            Thread.sleep(forTimeInterval: 2)
        }
    }
}
workerThread.start()
let metrics = MetricsEndpoint(service: service, auditWriter: auditWriter, wrappingKeys: wrappingKeys,
                              scheduledWorker: { scheduledWorker.withLock { $0 } }, startTime: Date().timeIntervalSince1970)

/// The handler factory of both lanes: each worker owns its database connection, made on the first
/// request that needs it — a front worker needs it only for what the caches do not hold, so one
/// that has served only cached keys goes on serving them while PostgreSQL is down or failing over
/// (the staleness window). A database that is down is retried on the next request that needs it;
/// that request meanwhile gets InternalError.
@Sendable func makeWorker() -> FastCGIServer.Handler {
    let session = service.makeSession(database: Database(connectingLater: databaseURL))
    return { request in
        if let probe = health.answer(request) { return probe }
        if request.parameter(MetricsEndpoint.marker) != nil { return metrics.respond(to: request) }
        return service.handle(request, session: session)
    }
}

let frontLane = frontServer.map { front in
    let done = DispatchSemaphore(value: 0)
    let thread = Thread {
        front.run(workers: options.frontWorkers, threadName: "fcgi-front") { _ in makeWorker() }
        done.signal()
    }
    thread.start()
    return done
}
server.run(workers: options.workers) { _ in makeWorker() }
// Both lanes stop together (the signal handler stops both); wait for the front one's requests.
frontLane?.wait()
wrappingKeys.stop()
heartbeat?.stop()
invalidator.stop()
auditWriter.stop()
scheduledWorker.withLock { $0?.stop() }
Log.event("responder_stopped", .info)
Log.flush()
// Everything is written (audit records, log lines); leave without running atexit handlers:
// OpenSSL's cleanup frees its locks while the wrapping-key pool's thread may still be in a
// key generation, which crashed about one stop in eight (SIGSEGV in pthread_rwlock_wrlock).
_exit(0)
