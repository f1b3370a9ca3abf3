import KMSCore
import KMSService
import KMSStorage

/// The verified caller: derived only from a SecretId whose signature checked out.
struct Caller {
    let appId: Int64
    /// The account's root Uin (the owner of its keys, as resource names spell it).
    let uin: Int64
    let secretId: String
    /// The sub-user whose access key signed the request; nil for the account's root credentials.
    let userUin: Int64?
    /// The operator's account: manages tenant accounts, holds no keys.
    let isOperator: Bool

    /// Who acted, as the audit trail and CAM name it: the sub-user's Uin, else the root Uin.
    var principalUin: Int64 { userUin ?? uin }
}

/// What a handler has for one request: who calls, where its key operations run, the request
/// itself, and the service's key operations.
struct ActionContext {
    let caller: Caller
    /// The caller's tenant, the request's time, the worker's connection and, for a
    /// state-changing action, the audit record that commits with the change.
    let scope: KeyScope
    /// The region's cryptographic profile; nil for the global services (CAM, Organization).
    let regionProfile: CryptoProfile?
    /// The request's id and audit record.
    let request: RequestAudit
    let operations: KeyOperations

    /// The region's profile. KMS requests always have one (`Service.authorize` refuses an unserved
    /// region); only global services' handlers, which never ask, would see the default.
    var profile: CryptoProfile { regionProfile ?? .fips }
    var tenant: Tenant { scope.tenant }
    var region: String { scope.tenant.region }
    /// Unix seconds, read once per request.
    var now: Int64 { scope.now }

    /// A transaction scoped to the caller's tenant. For a state-changing action the audit record
    /// is inserted just before COMMIT, so the change and its record are durable together or not at all.
    func transaction<R>(_ body: (KeyTransaction) throws -> R) throws -> R {
        try operations.transaction(scope, body)
    }
}

/// Response fields of an action, in order.
typealias ResponseFields = [(String, JSONValue)]

/// A handler in the fixed shape: decode → validate → load → check state → change → save → respond.
typealias ActionHandler = (ActionContext, Parameters) throws -> ResponseFields

/// One row of the action table.
struct ActionSpec {
    let name: String
    /// State-changing actions record their audit entry in the same transaction as the change.
    let mutates: Bool
    let parameters: [ParameterSpec]
    let handler: ActionHandler
    /// Its position among the table's names (sorted), where `RequestMetrics` counts it; set by `ActionTable`.
    var metricIndex = 0
    /// The service it belongs to; set by `ActionTable` from its group.
    var service = APIService.kms
    /// What a sub-user's policies must allow it on, from its declared parameters.
    let access: AccessRule

    init(name: String, mutates: Bool = false, parameters: [ParameterSpec], handler: @escaping ActionHandler) {
        self.name = name
        self.mutates = mutates
        self.parameters = parameters
        self.handler = handler
        access = AccessRule(parameters: parameters)
    }
}
