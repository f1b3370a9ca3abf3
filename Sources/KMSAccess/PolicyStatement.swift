/// One compiled statement: its effect and the actions, resources and conditions it applies to.
struct PolicyStatement: Sendable {
    let deny: Bool
    let actions: [ActionPattern]
    let resources: [ResourcePattern]
    let conditions: [PolicyCondition]

    /// Whether the statement speaks about this request: an action pattern matches, a resource
    /// pattern matches and every condition holds.
    @inline(__always)
    func applies(action: UnsafeBufferPointer<UInt8>, colon: Int, resource: UnsafeBufferPointer<UInt8>,
                 context: AccessContext) -> Bool {
        var actionMatches = false
        for pattern in actions where pattern.matches(action, colon: colon) { actionMatches = true; break }
        guard actionMatches else { return false }
        var resourceMatches = false
        for pattern in resources where pattern.matches(resource) { resourceMatches = true; break }
        guard resourceMatches else { return false }
        for condition in conditions where !condition.holds(in: context) { return false }
        return true
    }
}
