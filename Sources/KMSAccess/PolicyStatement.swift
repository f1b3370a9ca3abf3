/// One compiled statement: its effect and the actions, resources and conditions it applies to.
/// A class: the compiled set shares statements and walks them without copying their lists.
final class PolicyStatement: Sendable {
    let deny: Bool
    let actions: [ActionPattern]
    let resources: [ResourcePattern]
    let conditions: [PolicyCondition]

    init(deny: Bool, actions: [ActionPattern], resources: [ResourcePattern], conditions: [PolicyCondition]) {
        self.deny = deny
        self.actions = actions
        self.resources = resources
        self.conditions = conditions
    }

    /// Whether the statement speaks about this request: an action pattern matches, a resource
    /// pattern matches and every condition holds.
    @inline(__always)
    func applies(action: UnsafeBufferPointer<UInt8>, colon: Int, resource: UnsafeBufferPointer<UInt8>,
                 context: ConditionInputs) -> Bool {
        // Each list is walked in place (no copy of its elements, no retain per element).
        let actionMatches = actions.withUnsafeBufferPointer { patterns in
            for i in patterns.indices where patterns[i].matches(action, colon: colon) { return true }
            return false
        }
        guard actionMatches else { return false }
        let resourceMatches = resources.withUnsafeBufferPointer { patterns in
            for i in patterns.indices where patterns[i].matches(resource) { return true }
            return false
        }
        guard resourceMatches else { return false }
        return conditions.withUnsafeBufferPointer { conditions in
            for i in conditions.indices where !conditions[i].holds(in: context) { return false }
            return true
        }
    }
}
