/// Every action name a policy may name, by service: `kms` (all actions of the KMS API 2019-01-18, not
/// only those this service implements, so that a policy written for Tencent's KMS is accepted here),
/// `cam` (CAM API 2019-01-16) and `organization` (Organization API 2021-03-31). The lists are generated
/// from Tencent's SDK (`ActionCatalog+Names.swift`, scripts/gen-action-catalog.py).
public enum ActionCatalog {
    /// Whether `action` (`service:Action`) is an action of a known service; service and action name are
    /// compared without regard to case, as CAM compares them.
    public static func isKnown(_ action: String) -> Bool {
        let pieces = action.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard pieces.count == 2, let actions = lowercased[pieces[0].lowercased()] else { return false }
        return actions.contains(pieces[1].lowercased())
    }

    /// The services a policy may name, lowercased.
    public static var services: [String] { names.map(\.service) }

    /// The action names of `service` (lowercase), as Tencent spells them; nil for an unknown service.
    static func actions(of service: String) -> [String]? {
        names.first { $0.service == service }?.actions
    }

    private static let lowercased: [String: Set<String>] = Dictionary(
        uniqueKeysWithValues: names.map { ($0.service, Set($0.actions.map { $0.lowercased() })) })
}
