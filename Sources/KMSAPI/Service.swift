import KMSCore
import KMSService
import KMSHTTP
import KMSCrypto
import KMSStorage
import KMSMetrics

/// The API service: turns one HTTP request into one Tencent-style JSON response.
///
/// One `Service` is shared by every worker; each worker passes its own `Session`.
public final class Service: @unchecked Sendable {
    /// The KMS API version served (`APIService` has every service's).
    public static let apiVersion = APIService.kms.version

    let regions: RegionTable
    /// Every operation on a key; handlers reach keys only through these.
    let operations: KeyOperations
    let actions: [String: ActionSpec]
    let clock: @Sendable () -> Int64
    let auditWriter: AuditWriter
    let rateLimiter: RateLimiter
    /// Keys with their opened material (see `KeyCache` for the consistency rules).
    public let keyCache: KeyCache
    /// Credentials with their opened secrets.
    public let credentialCache: CredentialCache
    /// Sub-users' compiled policies.
    public let accessCache: AccessCache
    let signingKeys = SigningKeyCache()
    /// Signatures and v1 nonces already used, with what for (SPEC §6).
    let replayMemory: ReplayMemory
    /// Requests and their latencies by action and result, for `/metrics`.
    public let requestMetrics: RequestMetrics
    /// False only under `--bench-off replay-memory` (`BenchOffFeature`): signatures are not remembered.
    let remembersSignatures: Bool
    /// False only under `--bench-off metrics`: requests are not counted for `/metrics`.
    let countsRequests: Bool

    /// A service for `regions`, opening secrets with `sealer`; `clock` gives Unix seconds.
    public init(regions: RegionTable, sealer: Sealer, auditWriter: AuditWriter, wrappingKeys: WrappingKeyPool = WrappingKeyPool(),
                rateLimiter: RateLimiter = RateLimiter(rate: 0), cpuBudget: CPUBudget = CPUBudget(rate: 0), keyCache: KeyCache = KeyCache(),
                credentialCache: CredentialCache = CredentialCache(), accessCache: AccessCache = AccessCache(),
                replayMemory: ReplayMemory = ReplayMemory(), dataKeyLimit: Int = DataKeyRules.defaultLimit,
                benchOff: Set<BenchOffFeature> = [], clock: @escaping @Sendable () -> Int64) {
        self.regions = regions
        self.remembersSignatures = !benchOff.contains(.replayMemory)
        self.countsRequests = !benchOff.contains(.metrics)
        self.replayMemory = replayMemory
        self.keyCache = keyCache
        self.credentialCache = credentialCache
        self.accessCache = accessCache
        self.rateLimiter = rateLimiter
        self.operations = KeyOperations(sealer: sealer, regions: regions, keyCache: keyCache, wrappingKeys: wrappingKeys,
                                        cpuBudget: cpuBudget, dataKeyLimit: dataKeyLimit)
        self.auditWriter = auditWriter
        self.actions = ActionTable.all
        self.requestMetrics = RequestMetrics(actions: actions)
        self.clock = clock
    }

    /// What one worker thread owns: its database connection and its audit lane.
    public final class Session {
        public let database: Database
        let lane: AuditLane
        /// This worker's request counters (`RequestMetrics`).
        let counters: CounterBlock
        init(database: Database, lane: AuditLane, counters: CounterBlock) {
            self.database = database
            self.lane = lane
            self.counters = counters
        }
    }

    /// A session for one worker thread over its own connection.
    public func makeSession(database: Database) -> Session {
        Session(database: database, lane: AuditLane(sealer: operations.keyring.sealer), counters: requestMetrics.makeBlock())
    }

    /// Answers one request: always HTTP 200 `application/json`, a Tencent success or error body.
    public func handle(_ http: HTTPRequest, session: Session) -> HTTPResponse {
        let started = DispatchTimeNow.nanoseconds
        var metricAction = requestMetrics.unknownAction
        let requestId = KeyID(random: Random.bytes(16)).description
        let audit = RequestAudit(requestId: requestId, client: http.remoteAddress)
        // Known once the request parses; before that (or if it does not), guessed from the raw request.
        var english: Bool? = nil
        let response: HTTPResponse
        var result = "Success"
        // For the log line only, and only for InternalError: where it failed, and what failed.
        var failedAt: String? = nil, failure: String? = nil
        do {
            let request = try APIRequest(http)
            english = request.english
            audit.action = FormDecoding.sanitized(request.action)
            audit.region = FormDecoding.sanitized(request.region)
            guard let spec = actions[request.action], spec.service == request.service else {
                _ = try authorize(request, requestId: requestId, session: session, audit: audit, mutates: false)
                throw KMSError(.invalidAction, "The action `\(FormDecoding.sanitized(request.action))` does not exist.")
            }
            metricAction = spec.metricIndex
            let context = try authorize(request, requestId: requestId, session: session, audit: audit, mutates: spec.mutates)
            let parameters = try Parameters(decoding: request.parameters, specs: spec.parameters, fromForm: request.fromForm)
            audit.keyID = parameters.string("KeyId").flatMap(KeyID.init)
            // The data key named, before access is checked: a refusal's record says which one was tried.
            // Only actions on one data key take DataKeyId; every other request skips the lookup.
            if spec.access == .dataKey { audit.dataKeyID = parameters.string("DataKeyId").flatMap(KeyID.init) }
            try checkAccess(spec, parameters, caller: context.caller, request: request, now: context.now, database: session.database)
            var fields = try spec.handler(context, parameters)
            fields.append(("RequestId", .string(requestId)))
            response = Service.render(.object(fields))
        } catch let error as KMSError {
            result = error.code.rawValue
            if error.code == .internalError { failedAt = "\(error.file):\(error.line)" }
            response = Service.errorResponse(error, requestId: requestId, english: english ?? APIRequest.prefersEnglish(http))
        } catch {
            // Library failures (storage, crypto) are logged with what failed; the caller sees InternalError only.
            result = KMSError.Code.internalError.rawValue
            failure = Log.describe(error)
            response = Service.errorResponse(KMSError(.internalError), requestId: requestId,
                                             english: english ?? APIRequest.prefersEnglish(http))
        }
        audit.log(code: result == "Success" ? "OK" : result, at: failedAt, error: failure)
        if !audit.written {
            // A request that never authenticated is counted into a summary (a flood of bogus
            // requests must not grow the trail by a row each); every other one is its own record.
            if audit.appId == nil { auditWriter.enqueueUnauthenticated(audit.record(result: result)) }
            else { auditWriter.enqueue(audit.record(result: result)) }
        }
        if countsRequests {
            requestMetrics.record(into: session.counters, action: metricAction, result: result,
                                  nanoseconds: DispatchTimeNow.nanoseconds &- started)
        }
        return response
    }

    /// Version, signature, credential and region: everything before the action runs.
    private func authorize(_ request: APIRequest, requestId: String, session: Session, audit: RequestAudit,
                           mutates: Bool) throws -> ActionContext {
        let database = session.database
        guard let service = request.service, request.version == service.version else {
            throw KMSError(.noSuchVersion, "The version `\(FormDecoding.sanitized(request.version))` does not exist.")
        }
        let now = clock()
        try RequestSignature.checkTimestamp(request.timestamp, now: now)
        guard request.secretId.utf8.count == 36, let (credential, secretKey) = try credential(request.secretId, database),
              credential.usable else {
            throw KMSError(.authFailureSecretIdNotFound)
        }
        try RequestSignature.verify(request, secretKey: secretKey, signingKeys: signingKeys)
        // Known from here on: a replay is recorded against the account, not summarised as anonymous.
        let caller = Caller(appId: credential.appId, uin: credential.uin, secretId: credential.secretId, userUin: credential.userUin,
                            isOperator: credential.isOperator)
        audit.appId = credential.appId
        audit.secretId = credential.secretId
        audit.callerUin = caller.principalUin
        // Only a verified signature is remembered: nobody can spend another caller's signature in advance.
        if remembersSignatures {
            switch request.style {
            case .tc3(let auth):
                try replayMemory.admitTC3(signatureHex: auth.signatureBytes, action: request.action, region: request.region,
                                          version: request.version, timestamp: request.timestamp, now: now)
            case .v1:
                try replayMemory.admitNonce(secretId: credential.secretId, nonce: request.nonce, timestamp: request.timestamp, now: now)
            }
        }
        try rateLimiter.admit(credential.appId)
        if let token = request.token, !token.isEmpty {
            // Temporary (STS) credentials do not exist here; a token can only be wrong.
            throw KMSError(.authFailureTokenFailure)
        }
        // CAM and Organization are global: their rows carry the account only, whatever Region was sent.
        var profile: CryptoProfile? = nil
        if service.isRegional {
            guard let served = regions.profile(of: request.region) else {
                throw KMSError(.unsupportedRegion, "The region `\(FormDecoding.sanitized(request.region))` is not served.")
            }
            profile = served
        }
        let scope = KeyScope(tenant: Tenant(appId: credential.appId, region: service.isRegional ? request.region : ""), now: now,
                             database: database, audit: mutates ? TransactionAudit(request: audit, lane: session.lane) : nil)
        return ActionContext(caller: caller, scope: scope, regionProfile: profile, request: audit, operations: operations)
    }

    /// A credential and its opened secret, from the cache or the database.
    private func credential(_ secretId: String, _ database: Database) throws -> (CredentialRow, SecureBytes)? {
        if let cached = credentialCache.lookup(secretId) { return cached }
        let generation = credentialCache.currentGeneration
        guard let row = try database.run(FindCredential(secretId: secretId)) else { return nil }
        let secretKey = try operations.keyring.openCredentialSecret(row.secretKeySealed, secretId: row.secretId)
        credentialCache.store(row, secretKey: secretKey, generation: generation)
        return (row, secretKey)
    }

    static func render(_ response: JSONValue) -> HTTPResponse {
        HTTPResponse(body: JSONValue.object([("Response", response)]).serialized())
    }

    static func errorResponse(_ error: KMSError, requestId: String, english: Bool) -> HTTPResponse {
        let base = error.code.defaultMessage(english: english)
        let message: String
        if error.code == .internalError || error.reason.isEmpty {
            message = base
        } else {
            message = english ? error.reason : "\(base)（\(error.reason)）"
        }
        return render(.object([
            ("Error", .object([("Code", .string(error.code.rawValue)), ("Message", .string(message))])),
            ("RequestId", .string(requestId)),
        ]))
    }
}
