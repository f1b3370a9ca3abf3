import XCTest
@testable import KMSMetrics

final class PrometheusTextTests: XCTestCase {
    func testRendersHelpTypeAndSamplesExactly() {
        let text = PrometheusText.render([
            MetricFamily(name: "kms_requests_total", help: "API requests.", type: .counter, samples: [
                .init(labels: [.init("action", "Encrypt"), .init("code", "OK")], value: 3),
                .init(labels: [.init("action", "unknown"), .init("code", "InvalidAction")], value: 1),
            ]),
            .single("kms_audit_queue_depth", "Records waiting.", .gauge, 0),
        ])
        XCTAssertEqual(text, """
            # HELP kms_requests_total API requests.
            # TYPE kms_requests_total counter
            kms_requests_total{action="Encrypt",code="OK"} 3
            kms_requests_total{action="unknown",code="InvalidAction"} 1
            # HELP kms_audit_queue_depth Records waiting.
            # TYPE kms_audit_queue_depth gauge
            kms_audit_queue_depth 0

            """)
    }

    func testEscapesBackslashQuoteAndNewlineInLabelValues() {
        XCTAssertEqual(PrometheusText.escapeLabelValue(#"a\b"c"# + "\nd"), #"a\\b\"c\nd"#)
        XCTAssertEqual(PrometheusText.escapeLabelValue("plain"), "plain")
        let text = PrometheusText.render([MetricFamily(name: "m", help: "h", type: .gauge,
                                                       samples: [.init(labels: [.init("l", "x\"y")], value: 1)])])
        XCTAssertTrue(text.contains(#"m{l="x\"y"} 1"#), text)
    }

    func testEscapesBackslashAndNewlineInHelp() {
        let text = PrometheusText.render([.single("m", "one\\two\nthree", .gauge, 1)])
        XCTAssertTrue(text.hasPrefix("# HELP m one\\\\two\\nthree\n"), text)
    }

    func testFormatsValuesAsTheFormatSpellsThem() {
        XCTAssertEqual(PrometheusText.format(42), "42")
        XCTAssertEqual(PrometheusText.format(0.25), "0.25")
        XCTAssertEqual(PrometheusText.format(0.0001), "0.0001")
        XCTAssertEqual(PrometheusText.format(.infinity), "+Inf")
        XCTAssertEqual(PrometheusText.format(-.infinity), "-Inf")
        XCTAssertEqual(PrometheusText.format(.nan), "NaN")
        XCTAssertEqual(PrometheusText.format(18_446_744_073_709_551_615), "1.8446744073709552e+19")
    }
}
