import KMSCore
import KMSService
import KMSStorage

/// The verified caller: derived only from a SecretId whose signature checked out.
struct Caller {
    let appId: Int64
    let uin: Int64
    let secretId: String
}

/// What a handler has for one request: who calls, where its key operations run, the request
/// itself, and the service's key operations.
struct ActionContext {
    let caller: Caller
    /// The caller's tenant, the request's time, the worker's connection and, for a
    /// state-changing action, the audit record that commits with the change.
    let scope: KeyScope
    let profile: CryptoProfile
    /// The request's id and audit record.
    let request: RequestAudit
    let operations: KeyOperations

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

    init(name: String, mutates: Bool = false, parameters: [ParameterSpec], handler: @escaping ActionHandler) {
        self.name = name
        self.mutates = mutates
        self.parameters = parameters
        self.handler = handler
    }
}
