/// Every action the service answers, by its Tencent name, each under the service it belongs to.
/// Adding an action means adding its `ActionSpec` to one of these groups. Names are unique across
/// services (metrics label requests by name alone).
enum ActionTable {
    /// The groups of each service.
    static let groups: [(APIService, [ActionSpec])] = [
        (.cam, UserActions.specs + AccessKeyActions.specs + PolicyActions.specs),
        (.kms, KeyActions.specs + LifecycleActions.specs + RotationActions.specs + CryptoActions.specs + ImportActions.specs
            + AsymmetricActions.specs + ServiceActions.specs + BindingActions.specs + DataKeyActions.specs),
        (.organization, OrganizationActions.specs),
    ]

    static let all: [String: ActionSpec] = {
        var table: [String: ActionSpec] = [:]
        for (service, specs) in groups {
            for var spec in specs {
                precondition(table[spec.name] == nil, "action \(spec.name) is listed twice")
                spec.service = service
                table[spec.name] = spec
            }
        }
        for (index, name) in table.keys.sorted().enumerated() { table[name]!.metricIndex = index }
        return table
    }()

    /// The names, for documentation and tests.
    static var names: [String] { all.keys.sorted() }

    /// The names of one service's actions.
    static func names(of service: APIService) -> [String] { all.values.filter { $0.service == service }.map(\.name).sorted() }
}
