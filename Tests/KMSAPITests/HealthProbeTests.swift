import XCTest
@testable import KMSAPI
import KMSCrypto
import KMSHTTP
import KMSService

/// Which requests `Health` answers and how: only those nginx's probe locations mark, as
/// one-line text/plain; every other request goes on to the API untouched.
final class HealthProbeTests: XCTestCase {
    func health() throws -> Health {
        // Never started: the monitor has not checked anything yet.
        Health(readiness: ReadinessMonitor(conninfo: "host=/nonexistent dbname=kms", sealer: try Sealer(masterKey: Random.secret(32))))
    }

    func testARequestWithoutTheProbeMarkIsLeftToTheAPI() throws {
        let request = HTTPRequest(parameters: ["REQUEST_METHOD": "GET", "HTTP_X_KMS_PROBE": "healthz"], body: [])
        XCTAssertNil(try health().answer(request))
    }

    func testHealthzAnswersOkWhileTheResponderRuns() throws {
        let answer = try XCTUnwrap(try health().answer(HTTPRequest(parameters: ["KMS_PROBE": "healthz"], body: [])))
        XCTAssertEqual(answer.status, 200)
        XCTAssertTrue(answer.contentType.hasPrefix("text/plain"))
        XCTAssertEqual(String(decoding: answer.body, as: UTF8.self), "ok\n")
    }

    func testReadyzIs503WithOneLineOfReasonUntilChecked() throws {
        let answer = try XCTUnwrap(try health().answer(HTTPRequest(parameters: ["KMS_PROBE": "readyz"], body: [])))
        XCTAssertEqual(answer.status, 503)
        XCTAssertTrue(answer.contentType.hasPrefix("text/plain"))
        XCTAssertEqual(String(decoding: answer.body, as: UTF8.self), "starting: postgresql not checked yet\n")
    }

    func testAnUnknownProbeIsNotFound() throws {
        let answer = try XCTUnwrap(try health().answer(HTTPRequest(parameters: ["KMS_PROBE": "metrics"], body: [])))
        XCTAssertEqual(answer.status, 404)
    }
}
