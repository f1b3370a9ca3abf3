/// The upper bounds of a latency histogram, in seconds, and how one observation finds its bucket.
///
/// Observations are counted per bucket (not cumulatively) on the request path, so recording is
/// one increment; `samples` makes them cumulative, as the format requires, at scrape time.
public struct HistogramBuckets: Sendable {
    /// Upper bounds in seconds, ascending; `+Inf` is implied.
    public let bounds: [Double]
    /// The same bounds in nanoseconds, compared on the request path.
    let boundsNanoseconds: [UInt64]

    /// Request latencies: 100 µs (a cached Encrypt) to 10 s (a request stuck behind a lock or a
    /// slow disk); roughly ×2.5 apart so p50/p99 interpolate well in between.
    public static let requestDuration = HistogramBuckets(bounds: [
        0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
    ])

    public init(bounds: [Double]) {
        precondition(zip(bounds, bounds.dropFirst()).allSatisfy { $0 < $1 }, "bucket bounds must ascend")
        self.bounds = bounds
        boundsNanoseconds = bounds.map { UInt64(($0 * 1e9).rounded()) }
    }

    /// Buckets including `+Inf`.
    public var count: Int { bounds.count + 1 }

    /// The bucket of an observation of `nanoseconds`: the first bound it does not exceed, or the
    /// last (`+Inf`) one.
    @inline(__always)
    public func index(nanoseconds: UInt64) -> Int {
        var i = 0
        while i < boundsNanoseconds.count, nanoseconds > boundsNanoseconds[i] { i += 1 }
        return i
    }

    /// `_bucket` (cumulative, `le` last among `labels`), `_sum` and `_count` samples from
    /// per-bucket counts (`count` of them) and the sum of observations in seconds.
    public func samples(labels: [MetricFamily.Label], counts: [UInt64], sum: Double) -> [MetricFamily.Sample] {
        precondition(counts.count == count, "one count per bucket, +Inf included")
        var samples: [MetricFamily.Sample] = []
        samples.reserveCapacity(count + 2)
        var cumulative: UInt64 = 0
        for (i, n) in counts.enumerated() {
            cumulative &+= n
            let le = i < bounds.count ? PrometheusText.format(bounds[i]) : "+Inf"
            samples.append(.init(suffix: "_bucket", labels: labels + [.init("le", le)], value: Double(cumulative)))
        }
        samples.append(.init(suffix: "_sum", labels: labels, value: sum))
        samples.append(.init(suffix: "_count", labels: labels, value: Double(cumulative)))
        return samples
    }
}
