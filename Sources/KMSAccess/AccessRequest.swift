/// What one request asks for: an action (`kms:Encrypt`, `cam:AddUser`,
/// `organization:CreateOrganizationMember`) on a resource (a six-segment resource string such as
/// `ResourceName.kmsKey(…)`, or `*` for an action that is not resource-level), in a context.
public struct AccessRequest: Sendable {
    /// `service:Action`.
    public let action: String
    /// A six-segment resource string, or `*`.
    public let resource: String
    /// What conditions are evaluated against.
    public let context: AccessContext

    /// Where the service name ends in `action` (the index of its `:`), found once here.
    let actionColon: Int

    /// A request for `action` on `resource`; the action's service/name split is found once, here.
    public init(action: String, resource: String, context: AccessContext) {
        self.action = action
        self.resource = resource
        self.context = context
        actionColon = action.utf8.firstIndex(of: UInt8(ascii: ":")).map { action.utf8.distance(from: action.utf8.startIndex, to: $0) } ?? -1
    }
}

/// The request's side of a policy's conditions.
public struct AccessContext: Sendable {
    /// The caller's address as given (nginx's `REMOTE_ADDR`); nil when unknown.
    public let sourceIP: String?
    /// The time of the request, Unix seconds.
    public let now: Int64
    /// Whether the request arrived over HTTPS.
    public let secureTransport: Bool

    /// What conditions read, as plain values (no reference to count on the hot path); `sourceIP`
    /// parsed once, here, so that every `qcs:ip` test is a mask and a compare. An address that does not
    /// parse counts as no address.
    let inputs: ConditionInputs

    /// The context of one request; `sourceIP` is parsed here, once.
    public init(sourceIP: String?, now: Int64, secureTransport: Bool) {
        self.sourceIP = sourceIP
        self.now = now
        self.secureTransport = secureTransport
        inputs = ConditionInputs(address: sourceIP.flatMap(IPAddress.parse), now: now, secureTransport: secureTransport)
    }
}

/// The values of the condition keys for one request.
struct ConditionInputs: Sendable {
    let address: IPAddress?
    let now: Int64
    let secureTransport: Bool
}

/// The outcome of evaluating a request against a sub-user's policies.
public enum AccessDecision: Sendable, Equatable {
    /// A statement allows it and none denies it.
    case allow
    /// A deny statement applies: no allow anywhere can lift it.
    case explicitDeny
    /// Nothing allows it (the default for everything).
    case implicitDeny
}
