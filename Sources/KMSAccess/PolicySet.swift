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
        var action = request.action
        var resource = request.resource
        return action.withUTF8 { actionBytes in
            resource.withUTF8 { resourceBytes in
                let colon = request.actionColon
                for statement in denies
                where statement.applies(action: actionBytes, colon: colon, resource: resourceBytes, context: request.context) {
                    return .explicitDeny
                }
                for statement in allows
                where statement.applies(action: actionBytes, colon: colon, resource: resourceBytes, context: request.context) {
                    return .allow
                }
                return .implicitDeny
            }
        }
    }
}
