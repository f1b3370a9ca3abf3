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
    fputs("kms-responder: \(message)\n", stderr)
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

let service: Service
let server: FastCGIServer
let sealer: Sealer
let regions: RegionTable
let auditWriter: AuditWriter
let wrappingKeys = WrappingKeyPool()
let scheduledWorker = Mutex<ScheduledWorker?>(nil)
do {
    regions = try RegionTable(spec: options.regions)
    sealer = try Sealer(masterKeys: try MasterKeyRing.load(base: options.masterKey))
    auditWriter = AuditWriter(sealer: sealer, makeDatabase: { [database = options.database] in try Database(conninfo: database) })
    service = Service(regions: regions, sealer: sealer, auditWriter: auditWriter, wrappingKeys: wrappingKeys,
                      rateLimiter: RateLimiter(rate: options.rateLimit),
                      cpuBudget: CPUBudget(rate: options.cpuBudget), clock: { Int64(Date().timeIntervalSince1970) })
    // libfcgi installs its own SIGTERM handler in FCGX_Init unless one is set; ignore the
    // signals first and take them through Dispatch so shutdown is ours.
    signal(SIGTERM, SIG_IGN)
    signal(SIGINT, SIG_IGN)
    signal(SIGPIPE, SIG_IGN)
    server = try FastCGIServer(socketPath: options.socket, socketGroup: options.socketGroup)
    Log.info("listening on \(options.socket) with \(options.workers) workers; regions \(regions.regions.map { "\($0.name)=\($0.profile.rawValue)" }.joined(separator: ","))")
} catch let e as KMSError {
    fail(e.reason)
} catch {
    fail("\(error)")
}

var signalSources: [DispatchSourceSignal] = []
for sig in [SIGTERM, SIGINT] {
    let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
    source.setEventHandler {
        Log.info("signal \(sig): finishing in-flight requests and stopping")
        server.stop()
    }
    source.resume()
    signalSources.append(source)
}

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
            Log.info("master keys loaded: \(loaded.map { String($0) }.joined(separator: ", ")); sealing under \(sealer.currentKeyId)")
        } catch {
            Log.error("master keys could not be loaded: \(error)")
        }
    }
}
masterKeyWatcher.start()
// /readyz reads what this thread last found (Health, ReadinessMonitor): probes never wait on PostgreSQL.
let readiness = ReadinessMonitor(conninfo: databaseURL, sealer: sealer)
readiness.start()
let health = Health(readiness: readiness)
let invalidator = CacheInvalidator(keys: service.keyCache, credentials: service.credentialCache, conninfo: databaseURL)
invalidator.start()
// The scheduled worker has its own connection; if the database is not up yet it retries.
let workerThread = Thread {
    while true {
        do {
            let worker = ScheduledWorker(database: try Database(conninfo: databaseURL), sealer: sealer, regions: regions, keyCache: service.keyCache, clock: { Int64(Date().timeIntervalSince1970) })
            worker.start()
            scheduledWorker.withLock { $0 = worker }
            return
        } catch {
            Log.error("scheduled worker: database connection failed: \(error); retrying")
            Thread.sleep(forTimeInterval: 2)
        }
    }
}
workerThread.start()
let metrics = MetricsEndpoint(service: service, auditWriter: auditWriter, wrappingKeys: wrappingKeys,
                              scheduledWorker: { scheduledWorker.withLock { $0 } }, startTime: Date().timeIntervalSince1970)

server.run(workers: options.workers) { index in
    // Each worker owns its connection. A database that is down at start-up or later is
    // retried on the next request; the request meanwhile gets InternalError.
    var session: Service.Session? = nil
    return { request in
        // Before the session: probes and scrapes need no database connection of the worker's.
        if let probe = health.answer(request) { return probe }
        if request.parameter(MetricsEndpoint.marker) != nil { return metrics.respond(to: request) }
        if session == nil {
            do { session = service.makeSession(database: try Database(conninfo: databaseURL)) } catch {
                Log.error("worker \(index): database connection failed: \(error)")
                return service.unavailable(request)
            }
        }
        return service.handle(request, session: session!)
    }
}
wrappingKeys.stop()
invalidator.stop()
auditWriter.stop()
scheduledWorker.withLock { $0?.stop() }
Log.info("stopped")
