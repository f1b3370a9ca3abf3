import Foundation
import XCTest
import KMSCore
import KMSCrypto
import KMSStorage
@testable import KMSAPI
@testable import KMSService
import KMSHTTP

/// The integration tests' database: `KMS_TEST_DATABASE_URL` (an owner connection string, set by
/// `scripts/kms test`), every migration of `KMS_TEST_SQL_DIR` applied. Without it a test fails, never skips.
enum TestDatabase {
    static let env = ProcessInfo.processInfo.environment

    static func ownerURL() throws -> String {
        guard let url = env["KMS_TEST_DATABASE_URL"] else {
            XCTFail("KMS_TEST_DATABASE_URL is not set: run the integration tests through scripts/kms test")
            throw StorageError("no database")
        }
        return url
    }

    /// The same database as the responder's role.
    static func appURL() throws -> String { try ownerURL().replacingOccurrences(of: "user=kms_owner", with: "user=kms_app") }

    /// An owner connection, the schema migrated.
    static func owner() throws -> Database {
        let owner = try Database(conninfo: try ownerURL())
        try Migrator(directory: env["KMS_TEST_SQL_DIR"] ?? "SQL").apply(to: owner)
        return owner
    }

    /// A connection as the responder's role (row-level security applies).
    static func app() throws -> Database { try Database(conninfo: try appURL()) }
}

/// Whether `condition` holds within `seconds`, asked every 20 ms (a change reaching another process).
func within(seconds: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Date(timeIntervalSinceNow: seconds)
    while Date() < deadline {
        if condition() { return true }
        Thread.sleep(forTimeInterval: 0.02)
    }
    return condition()
}

/// A clock the test moves by hand.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Int64
    init(_ start: Int64) { value = start }
    var now: Int64 { lock.lock(); defer { lock.unlock() }; return value }
    func set(_ t: Int64) { lock.lock(); value = t; lock.unlock() }
    var function: @Sendable () -> Int64 { { [self] in now } }
}

/// The real API service over the real database, with an injected clock, driven by TC3-signed
/// requests built here exactly as the SDK builds them. nginx and FastCGI are not in the way, so
/// time can be anything the test wants.
struct ServiceHarness {
    static let env = ProcessInfo.processInfo.environment

    let service: Service
    let session: Service.Session
    let auditWriter: AuditWriter
    let database: Database
    let owner: Database
    let sealer: Sealer
    /// Master key 1 of this harness's deployment.
    let rootKey: SecureBytes
    let clock: TestClock
    let appURL: String

    /// `sharing`: another harness whose master key this one uses (a second process of one deployment).
    /// `regions`: the served regions (a test may serve one that the deployment later drops).
    /// `cpuBudget`: the per-account CPU budget (off by default). `dataKeyLimit`: hosted data keys per account and region.
    init(clock: TestClock, rateLimit: Double = 0, cpuBudget: CPUBudget = CPUBudget(rate: 0), sharing other: ServiceHarness? = nil,
         regions: String = RegionTable.defaultSpec, dataKeyLimit: Int = DataKeyRules.defaultLimit) throws {
        owner = try TestDatabase.owner()
        let appURL = try TestDatabase.appURL()
        database = try Database(conninfo: appURL)
        rootKey = other?.rootKey ?? Random.secret(32)
        sealer = try other?.sealer ?? Sealer(masterKey: rootKey)
        self.clock = clock
        self.appURL = appURL
        auditWriter = AuditWriter(sealer: sealer, makeDatabase: { try Database(conninfo: appURL) })
        service = Service(regions: try RegionTable(spec: regions), sealer: sealer, auditWriter: auditWriter,
                          rateLimiter: RateLimiter(rate: rateLimit), cpuBudget: cpuBudget, dataKeyLimit: dataKeyLimit,
                          clock: clock.function)
        session = service.makeSession(database: database)
    }

    /// A cache invalidator for this harness's caches (a second process's, when the test changes
    /// things through another harness), already listening; `stop()` it when done.
    func listeningInvalidator() -> CacheInvalidator {
        let invalidator = CacheInvalidator(keys: service.keyCache, credentials: service.credentialCache, access: service.accessCache,
                                           conninfo: appURL, staleSeconds: 30)
        invalidator.start()
        Thread.sleep(forTimeInterval: 0.3)  // LISTEN in effect
        return invalidator
    }

    /// A second responder process of this deployment (same master key and clock, caches of its
    /// own), its invalidator already listening; `stop()` the invalidator when done.
    func secondProcess() throws -> (harness: ServiceHarness, invalidator: CacheInvalidator) {
        let other = try ServiceHarness(clock: clock, sharing: self)
        return (other, other.listeningInvalidator())
    }

    /// A scheduled worker on its own connection (or `database`), with this harness's key and clock.
    func worker(_ database: Database) -> ScheduledWorker {
        ScheduledWorker(database: database, sealer: sealer, regions: service.regions, keyCache: service.keyCache, clock: clock.function)
    }

    func appConnection() throws -> Database { try TestDatabase.app() }

    func newAccount() throws -> IssuedCredential {
        try AccountRegistry(sealer: sealer, database: owner).createAccount(name: "it", now: clock.now)
    }

    /// Calls `action` and returns the `Response` object.
    @discardableResult
    func call(_ action: String, _ params: JSONValue, as account: IssuedCredential, region: String = "ap-guangzhou",
              database: Database? = nil) -> JSONValue {
        let body = params.serialized()
        let host = "kms.test:443"
        let timestamp = clock.now
        let date = RequestSignature.utcDate(timestamp)
        // Action and region are signed too (as SPEC §1 allows): the test clock stands still, and the
        // replay memory refuses one signature used for two actions or regions (SPEC §6).
        let canonical = ["POST", "/", "", "content-type:application/json\nhost:\(host)\nx-tc-action:\(action.lowercased())\n"
                            + "x-tc-region:\(region.lowercased())\n", "content-type;host;x-tc-action;x-tc-region",
                         Digest.sha256Hex(body)].joined(separator: "\n")
        let signature = RequestSignature.tc3Signature(secretKey: account.secretKey, date: date, service: "kms",
                                                      timestamp: timestamp, canonicalRequest: canonical)
        let request = HTTPRequest(parameters: [
            "REQUEST_METHOD": "POST", "CONTENT_TYPE": "application/json", "HTTP_HOST": host,
            "HTTP_X_TC_ACTION": action, "HTTP_X_TC_VERSION": "2019-01-18", "HTTP_X_TC_TIMESTAMP": String(timestamp),
            "HTTP_X_TC_REGION": region, "HTTP_X_TC_LANGUAGE": "en-US",
            "HTTP_AUTHORIZATION": "TC3-HMAC-SHA256 Credential=\(account.secretId)/\(date)/kms/tc3_request, SignedHeaders=content-type;host;x-tc-action;x-tc-region, Signature=\(signature)",
        ], body: body)
        let response = service.handle(request, session: database.map { service.makeSession(database: $0) } ?? session)
        guard let parsed = try? JSONValue.parse(response.body), let inner = parsed["Response"] else {
            XCTFail("unparsable response")
            return .null
        }
        return inner
    }

    /// The error code of a response, or nil for success.
    static func errorCode(_ response: JSONValue) -> String? {
        guard case let .string(code)? = response["Error"]?["Code"] else { return nil }
        return code
    }

    static func string(_ response: JSONValue, _ name: String) -> String {
        guard case let .string(s)? = response[name] else { return "" }
        return s
    }
}
