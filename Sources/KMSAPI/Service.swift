import KMSCore
import KMSCrypto
import KMSStorage

/// The API service: turns one HTTP request into one Tencent-style JSON response.
///
/// One `Service` is shared by every worker; each worker passes its own `Database`.
public final class Service: @unchecked Sendable {
    public static let apiVersion = "2019-01-18"

    let regions: RegionTable
    let keyring: Keyring
    let actions: [String: ActionSpec]
    let clock: @Sendable () -> Int64
    let wrappingKeys: WrappingKeyPool

    public init(regions: RegionTable, sealer: Sealer, wrappingKeys: WrappingKeyPool = WrappingKeyPool(),
                clock: @escaping @Sendable () -> Int64) {
        self.regions = regions
        self.keyring = Keyring(sealer: sealer)
        self.wrappingKeys = wrappingKeys
        self.actions = ActionTable.all
        self.clock = clock
    }

    public func handle(_ http: HTTPRequest, database: Database) -> HTTPResponse {
        let requestId = KeyID(random: Random.bytes(16)).description
        var english = APIRequest.prefersEnglish(http)
        var action = "-"
        var account = "-"
        do {
            let request = try APIRequest(http)
            english = request.english
            action = request.action
            let context = try authorize(request, requestId: requestId, database: database)
            account = String(context.caller.appId)
            guard let spec = actions[request.action] else {
                throw KMSError(.invalidAction, "The action `\(FormDecoding.sanitized(request.action))` does not exist.")
            }
            let parameters = try Parameters(decoding: request.parameters, specs: spec.parameters, fromForm: request.fromForm)
            var fields = try spec.handler(context, parameters)
            fields.append(("RequestId", .string(requestId)))
            Log.write(.debug, "request=\(requestId) action=\(FormDecoding.sanitized(action)) account=\(account) ok")
            return Service.render(.object(fields))
        } catch let error as KMSError {
            Log.write(error.code == .internalError ? .error : .debug,
                      "request=\(requestId) action=\(FormDecoding.sanitized(action)) account=\(account) error=\(error.code.rawValue) at=\(error.file):\(error.line)")
            return Service.errorResponse(error, requestId: requestId, english: english)
        } catch {
            // Library failures (storage, crypto) are logged with what failed; the caller sees InternalError only.
            Log.error("request=\(requestId) action=\(FormDecoding.sanitized(action)) account=\(account) internal: \(error)")
            return Service.errorResponse(KMSError(.internalError), requestId: requestId, english: english)
        }
    }

    /// The answer when no database connection can be had: InternalError, in the caller's language.
    public func unavailable(_ http: HTTPRequest) -> HTTPResponse {
        let requestId = KeyID(random: Random.bytes(16)).description
        return Service.errorResponse(KMSError(.internalError), requestId: requestId, english: APIRequest.prefersEnglish(http))
    }

    /// Version, signature, credential and region: everything before the action runs.
    private func authorize(_ request: APIRequest, requestId: String, database: Database) throws -> ActionContext {
        guard request.version == Service.apiVersion else {
            throw KMSError(.noSuchVersion, "The version `\(FormDecoding.sanitized(request.version))` does not exist.")
        }
        let now = clock()
        try RequestSignature.checkTimestamp(request.timestamp, now: now)
        guard request.secretId.utf8.count == 36, let credential = try database.run(FindCredential(secretId: request.secretId)),
              credential.enabled else {
            throw KMSError(.authFailureSecretIdNotFound)
        }
        let secretKey = try keyring.openCredentialSecret(credential.secretKeySealed, secretId: credential.secretId)
        try RequestSignature.verify(request, secretKey: secretKey)
        if let token = request.token, !token.isEmpty {
            // Temporary (STS) credentials do not exist here; a token can only be wrong.
            throw KMSError(.authFailureTokenFailure)
        }
        guard let profile = regions.profile(of: request.region) else {
            throw KMSError(.unsupportedRegion, "The region `\(FormDecoding.sanitized(request.region))` is not served.")
        }
        return ActionContext(caller: Caller(appId: credential.appId, uin: credential.uin, secretId: credential.secretId),
                             region: request.region, profile: profile, requestId: requestId, database: database,
                             keyring: keyring, wrappingKeys: wrappingKeys, regions: regions, now: now)
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
