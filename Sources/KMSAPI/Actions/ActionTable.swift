/// Every action the service answers, by its Tencent name. Adding an action means adding its
/// `ActionSpec` to one of these groups.
enum ActionTable {
    static let all: [String: ActionSpec] = {
        var table: [String: ActionSpec] = [:]
        for spec in KeyActions.specs + LifecycleActions.specs + RotationActions.specs + CryptoActions.specs + ImportActions.specs
            + ServiceActions.specs {
            precondition(table[spec.name] == nil, "action \(spec.name) is listed twice")
            table[spec.name] = spec
        }
        for (index, name) in table.keys.sorted().enumerated() { table[name]!.metricIndex = index }
        return table
    }()

    /// The names, for documentation and tests.
    static var names: [String] { all.keys.sorted() }
}
