/// The compiled union of every policy attached to one sub-user. `decide` runs on every request a
/// sub-user makes, Encrypt included: it walks the statements over the request's bytes in place,
/// with no allocation, no regular expression and no lock.
public struct PolicySet: Sendable {
    /// Deny statements first: one that applies ends the evaluation.
    let denies: [PolicyStatement]
    let allows: [PolicyStatement]

    /// The union of `documents`' statements.
    public init(_ documents: [PolicyDocument]) {
        let statements = documents.flatMap(\.statements)
        denies = statements.filter(\.deny)
        allows = statements.filter { !$0.deny }
    }

    /// No policy: everything is implicitly denied.
    public static let empty = PolicySet([])

    /// Whether there is no statement at all.
    public var isEmpty: Bool { denies.isEmpty && allows.isEmpty }

    /// An explicit deny wins over any allow; with no statement that allows the request, it is
    /// implicitly denied.
    public func decide(_ request: AccessRequest) -> AccessDecision {
        if isEmpty { return .implicitDeny }
        // Native strings are contiguous UTF-8: read in place. Others (bridged) are copied once.
        if let decision = request.action.utf8.withContiguousStorageIfAvailable({ action in
            request.resource.utf8.withContiguousStorageIfAvailable { resource in
                decide(action, request.actionColon, resource, request.context.inputs)
            }
        }), let decision {
            return decision
        }
        let action = Array(request.action.utf8), resource = Array(request.resource.utf8)
        return action.withUnsafeBufferPointer { action in
            resource.withUnsafeBufferPointer { resource in
                decide(action, request.actionColon, resource, request.context.inputs)
            }
        }
    }

    private func decide(_ action: UnsafeBufferPointer<UInt8>, _ colon: Int,
                        _ resource: UnsafeBufferPointer<UInt8>, _ context: ConditionInputs) -> AccessDecision {
        let denied = denies.withUnsafeBufferPointer { statements in
            for i in statements.indices
            where statements[i].applies(action: action, colon: colon, resource: resource, context: context) {
                return true
            }
            return false
        }
        if denied { return .explicitDeny }
        return allows.withUnsafeBufferPointer { statements in
            for i in statements.indices
            where statements[i].applies(action: action, colon: colon, resource: resource, context: context) {
                return AccessDecision.allow
            }
            return AccessDecision.implicitDeny
        }
    }
}
