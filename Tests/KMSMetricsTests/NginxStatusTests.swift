import XCTest
@testable import KMSMetrics

final class NginxStatusTests: XCTestCase {
    func testParsesStubStatusPage() {
        let page = "Active connections: 291 \nserver accepts handled requests\n 16630948 16630947 31070465 \nReading: 6 Writing: 179 Waiting: 106 \n"
        XCTAssertEqual(NginxStatus(page: page), NginxStatus(active: 291, accepted: 16_630_948, handled: 16_630_947,
                                                           requests: 31_070_465, reading: 6, writing: 179, waiting: 106))
    }

    func testRefusesAnythingElse() {
        XCTAssertNil(NginxStatus(page: ""))
        XCTAssertNil(NginxStatus(page: "<html><body>403 Forbidden</body></html>"))
        XCTAssertNil(NginxStatus(page: "Active connections: 1 \nserver accepts handled requests\n 1 1 \n"))
    }

    func testExportsConnectionFamilies() {
        let text = PrometheusText.render(NginxStatus(active: 1, accepted: 2, handled: 3, requests: 4, reading: 5, writing: 6, waiting: 7).families)
        for line in ["kms_nginx_connections_active 1", "kms_nginx_connections_accepted_total 2", "kms_nginx_connections_handled_total 3",
                     "kms_nginx_requests_total 4", "kms_nginx_connections_reading 5", "kms_nginx_connections_writing 6",
                     "kms_nginx_connections_waiting 7", "# TYPE kms_nginx_requests_total counter", "# TYPE kms_nginx_connections_active gauge"] {
            XCTAssertTrue(text.contains(line + "\n"), line)
        }
    }
}
