import XCTest
@testable import KMSMetrics

final class HistogramBucketsTests: XCTestCase {
    func testObservationGoesToTheFirstBoundItDoesNotExceed() {
        let buckets = HistogramBuckets(bounds: [0.001, 0.01, 1])
        XCTAssertEqual(buckets.count, 4)
        XCTAssertEqual(buckets.index(nanoseconds: 0), 0)
        XCTAssertEqual(buckets.index(nanoseconds: 1_000_000), 0)  // le is inclusive
        XCTAssertEqual(buckets.index(nanoseconds: 1_000_001), 1)
        XCTAssertEqual(buckets.index(nanoseconds: 999_999_999), 2)
        XCTAssertEqual(buckets.index(nanoseconds: 1_000_000_001), 3)  // +Inf
    }

    func testBucketsAreCumulativeEndWithInfAndCountEqualsInf() {
        let buckets = HistogramBuckets(bounds: [0.001, 0.01, 1])
        let samples = buckets.samples(labels: [.init("action", "Encrypt")], counts: [2, 0, 3, 1], sum: 1.5)
        let text = PrometheusText.render([MetricFamily(name: "d", help: "h", type: .histogram, samples: samples)])
        XCTAssertEqual(text, """
            # HELP d h
            # TYPE d histogram
            d_bucket{action="Encrypt",le="0.001"} 2
            d_bucket{action="Encrypt",le="0.01"} 2
            d_bucket{action="Encrypt",le="1"} 5
            d_bucket{action="Encrypt",le="+Inf"} 6
            d_sum{action="Encrypt"} 1.5
            d_count{action="Encrypt"} 6

            """)
    }

    func testRequestDurationBucketsSpanSubMillisecondToSeconds() {
        let bounds = HistogramBuckets.requestDuration.bounds
        XCTAssertLessThanOrEqual(bounds.first!, 0.0001)
        XCTAssertGreaterThanOrEqual(bounds.last!, 10)
        XCTAssertTrue(zip(bounds, bounds.dropFirst()).allSatisfy { $0 < $1 })
        XCTAssertGreaterThanOrEqual(bounds.filter { $0 < 0.001 }.count, 3, "enough resolution below a millisecond")
    }
}
