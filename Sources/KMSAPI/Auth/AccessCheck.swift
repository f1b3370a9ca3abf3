import KMSAccess
import KMSCore
import KMSStorage

/// Who may do what (SPEC §6): an account's root credentials may do everything in the account; a
/// sub-user only what its attached policies allow (explicit deny wins, nothing attached allows
/// nothing); only the operator's root credentials manage tenant accounts, and the operator holds
/// no keys. Decided before the action runs, so a refusal reveals nothing about the key it names.
extension Service {
    func checkAccess(_ spec: ActionSpec, _ parameters: Parameters, caller: Caller, request: APIRequest, now: Int64,
                     database: Database) throws {
        switch spec.service {
        case .organization:
            guard caller.isOperator, caller.userUin == nil else { throw Service.refusal(spec, resource: "*", explicit: false) }
            return
        case .kms where caller.isOperator:
            throw Service.refusal(spec, resource: "*", explicit: false)
        default:
            break
        }
        // The root: one branch, nothing more, on the hot path.
        guard let userUin = caller.userUin else { return }
        let policies = try accessCache.policies(appId: caller.appId, userUin: userUin, database: database)
        let context = AccessContext(sourceIP: request.http.remoteAddress.isEmpty ? nil : request.http.remoteAddress, now: now,
                                    secureTransport: request.http.parameter("KMS_TLS") == "on")
        let action = spec.policyAction
        guard let resources = try spec.access.resources(parameters, region: request.region, ownerUin: caller.uin) else {
            try Service.enforce(policies.decide(AccessRequest(action: action, resource: "*", context: context)), spec, resource: "*")
            return
        }
        for resource in resources {
            try Service.enforce(policies.decide(AccessRequest(action: action, resource: resource, context: context)), spec,
                                resource: resource)
        }
    }

    private static func enforce(_ decision: AccessDecision, _ spec: ActionSpec, resource: String) throws {
        switch decision {
        case .allow: return
        case .explicitDeny: throw refusal(spec, resource: resource, explicit: true)
        case .implicitDeny: throw refusal(spec, resource: resource, explicit: false)
        }
    }

    /// Tencent's refusal: KMS answers `UnauthorizedOperation`, CAM and Organization (whose refusals
    /// come from the API gateway) `AuthFailure.UnauthorizedOperation`; the message names the
    /// operation and the resource, as Tencent's does.
    static func refusal(_ spec: ActionSpec, resource: String, explicit: Bool) -> KMSError {
        let code: KMSError.Code = spec.service == .kms ? .unauthorizedOperation : .authFailureUnauthorizedOperation
        let why = explicit ? "a policy explicitly denies it" : "no policy allows it"
        return KMSError(code, "You are not authorized to perform operation (\(spec.policyAction)) on resource (\(resource)): \(why).")
    }
}

extension ActionSpec {
    /// The action as a policy names it: `kms:Encrypt`, `cam:AddUser`.
    var policyAction: String { "\(service.rawValue):\(name)" }
}
