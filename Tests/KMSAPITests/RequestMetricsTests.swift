import XCTest
import KMSMetrics
@testable import KMSAPI

final class RequestMetricsTests: XCTestCase {
    private func render(_ metrics: RequestMetrics) -> String { PrometheusText.render(metrics.families()) }

    func testCountsByActionAndCodeWithOKForSuccess() throws {
        let metrics = RequestMetrics(actions: ActionTable.all)
        let encrypt = try XCTUnwrap(ActionTable.all["Encrypt"]).metricIndex
        let block = metrics.makeBlock()
        metrics.record(into: block, action: encrypt, result: "Success", nanoseconds: 300_000)
        metrics.record(into: block, action: encrypt, result: "Success", nanoseconds: 2_000_000)
        metrics.record(into: metrics.makeBlock(), action: encrypt, result: "ResourceUnavailable.CmkNotFound", nanoseconds: 50_000)
        let text = render(metrics)
        XCTAssertTrue(text.contains("kms_requests_total{action=\"Encrypt\",code=\"OK\"} 2\n"), text)
        XCTAssertTrue(text.contains("kms_requests_total{action=\"Encrypt\",code=\"ResourceUnavailable.CmkNotFound\"} 1\n"), text)
        XCTAssertTrue(text.contains("kms_request_duration_seconds_bucket{action=\"Encrypt\",le=\"0.0001\"} 1\n"), text)
        XCTAssertTrue(text.contains("kms_request_duration_seconds_bucket{action=\"Encrypt\",le=\"0.0005\"} 2\n"), text)
        XCTAssertTrue(text.contains("kms_request_duration_seconds_bucket{action=\"Encrypt\",le=\"+Inf\"} 3\n"), text)
        XCTAssertTrue(text.contains("kms_request_duration_seconds_count{action=\"Encrypt\"} 3\n"), text)
        XCTAssertTrue(text.contains("kms_request_duration_seconds_sum{action=\"Encrypt\"} 0.00235\n"), text)
        // Actions nobody called have no series.
        XCTAssertFalse(text.contains("action=\"Decrypt\""), text)
    }

    func testLabelsComeOnlyFromTheTables() {
        let metrics = RequestMetrics(actions: ActionTable.all)
        // What a caller might send never becomes a label: unknown actions are `unknown`, and a
        // result that is no Tencent code (cannot happen; guarded anyway) counts as InternalError.
        metrics.record(into: nil, action: metrics.unknownAction, result: "InvalidAction", nanoseconds: 1)
        metrics.record(into: nil, action: metrics.unknownAction, result: "x\"} 1\nevil", nanoseconds: nil)
        let text = render(metrics)
        XCTAssertTrue(text.contains("kms_requests_total{action=\"unknown\",code=\"InvalidAction\"} 1\n"), text)
        XCTAssertTrue(text.contains("kms_requests_total{action=\"unknown\",code=\"InternalError\"} 1\n"), text)
        XCTAssertFalse(text.contains("evil"), text)
        // Untimed requests are counted but not observed.
        XCTAssertTrue(text.contains("kms_request_duration_seconds_count{action=\"unknown\"} 1\n"), text)
        let labelled = Set(metrics.actionNames)
        XCTAssertEqual(labelled, Set(ActionTable.names + ["unknown"]))
        XCTAssertEqual(metrics.codeNames.count, Set(metrics.codeNames).count, "no code listed twice")
    }

    func testEveryActionHasItsOwnIndex() {
        let indices = ActionTable.all.values.map(\.metricIndex)
        XCTAssertEqual(Set(indices).count, indices.count)
        XCTAssertEqual(Set(indices), Set(0..<ActionTable.all.count))
    }
}
