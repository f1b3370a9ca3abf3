/// A safety feature that `kms-responder --bench-off` may switch off, for `scripts/kms bench`'s
/// feature-cost A/B only: the bench measures what each one costs Encrypt by running a responder
/// without it beside one with it. `scripts/kms up` refuses the flag (docs/SECURITY.md): a service
/// never runs without replay protection.
public enum BenchOffFeature: String, CaseIterable, Sendable {
    /// `ReplayMemory`: signatures and v1 nonces are not remembered (replays are accepted).
    case replayMemory = "replay-memory"
    /// `RequestMetrics`: requests are not counted or timed for `/metrics`.
    case metrics

    /// The names `--bench-off` accepts, for its help and its refusals.
    public static var names: String { allCases.map(\.rawValue).joined(separator: ",") }

    /// The features named in `list` (comma-separated, e.g. `replay-memory,metrics`), or nil when
    /// an item is not a feature's name (an empty list or item included: nothing is guessed).
    public static func parse(_ list: String) -> Set<BenchOffFeature>? {
        var features = Set<BenchOffFeature>()
        for name in list.split(separator: ",", omittingEmptySubsequences: false) {
            guard let feature = BenchOffFeature(rawValue: String(name)) else { return nil }
            features.insert(feature)
        }
        return features
    }
}
