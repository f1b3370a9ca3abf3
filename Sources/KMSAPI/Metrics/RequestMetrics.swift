import KMSCore
import KMSMetrics
import Synchronization

/// `kms_requests_total{action,code}` and `kms_request_duration_seconds{action}`.
///
/// Each worker records into its own `CounterBlock` (one per `Service.Session`), so the request
/// path adds three relaxed atomic increments and no lock; a scrape sums the blocks. Labels come
/// only from the action table (or `unknown`) and from the error-code table (or `OK`): whatever a
/// caller sends, the number of series stays bounded.
public final class RequestMetrics: @unchecked Sendable {
    /// Label values of the action dimension, by index: the table's names sorted, then `unknown`.
    let actionNames: [String]
    /// Label values of the code dimension, by index: `OK`, then every Tencent code.
    let codeNames: [String]
    private let codeIndex: [String: Int]
    let buckets: HistogramBuckets
    private let blocks = Mutex<[CounterBlock]>([])
    /// For requests recorded without a worker's block.
    private let shared: CounterBlock

    /// The action label used when the request named no action the table knows.
    public static let unknownAction = "unknown"

    init(actions: [String: ActionSpec], buckets: HistogramBuckets = .requestDuration) {
        var names = [String](repeating: "", count: actions.count)
        for spec in actions.values { names[spec.metricIndex] = spec.name }
        actionNames = names + [RequestMetrics.unknownAction]
        codeNames = ["OK"] + KMSError.Code.allCases.map(\.rawValue)
        codeIndex = Dictionary(uniqueKeysWithValues: codeNames.enumerated().map { ($1, $0) })
        self.buckets = buckets
        shared = CounterBlock(count: actionNames.count * (codeNames.count + buckets.count + 1))
    }

    /// The index of the `unknown` action.
    var unknownAction: Int { actionNames.count - 1 }

    // One block: requests [action][code], then bucket counts [action][bucket], then the sum of
    // nanoseconds [action].
    private var bucketBase: Int { actionNames.count * codeNames.count }
    private var sumBase: Int { bucketBase + actionNames.count * buckets.count }

    /// A block for one worker, summed into every scrape from now on.
    func makeBlock() -> CounterBlock {
        let block = CounterBlock(count: shared.count)
        blocks.withLock { $0.append(block) }
        return block
    }

    /// Counts one request of action `action` (an index) that ended with `result` ("Success" or
    /// a Tencent code) after `nanoseconds` (nil: not timed, counted only).
    @inline(__always)
    func record(into block: CounterBlock?, action: Int, result: String, nanoseconds: UInt64?) {
        let block = block ?? shared
        // The common case first: a success needs no lookup.
        let code = result == "Success" ? 0 : (codeIndex[result] ?? codeIndex[KMSError.Code.internalError.rawValue]!)
        block.add(action * codeNames.count + code)
        guard let nanoseconds else { return }
        block.add(bucketBase + action * buckets.count + buckets.index(nanoseconds: nanoseconds))
        block.add(sumBase + action, nanoseconds)
    }

    /// The two families, summed over every worker; series that never counted anything are left out.
    public func families() -> [MetricFamily] {
        var totals = [UInt64](repeating: 0, count: shared.count)
        shared.accumulate(into: &totals)
        for block in blocks.withLock({ $0 }) { block.accumulate(into: &totals) }

        var requests = MetricFamily(name: "kms_requests_total",
                                    help: "API requests answered, by action and result (OK or the Tencent error code).", type: .counter)
        var durations = MetricFamily(name: "kms_request_duration_seconds",
                                     help: "Time from the responder receiving an API request to its answer being ready, by action.",
                                     type: .histogram)
        for (a, action) in actionNames.enumerated() {
            for (c, code) in codeNames.enumerated() where totals[a * codeNames.count + c] > 0 {
                requests.samples.append(.init(labels: [.init("action", action), .init("code", code)],
                                              value: Double(totals[a * codeNames.count + c])))
            }
            let counts = Array(totals[(bucketBase + a * buckets.count)..<(bucketBase + (a + 1) * buckets.count)])
            guard counts.contains(where: { $0 > 0 }) else { continue }
            durations.samples += buckets.samples(labels: [.init("action", action)], counts: counts,
                                                 sum: Double(totals[sumBase + a]) / 1e9)
        }
        return [requests, durations]
    }
}
