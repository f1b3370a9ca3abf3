import XCTest
@testable import KMSHTTP

final class HTTPResponseCGITests: XCTestCase {
    func testAJSONAnswerIsStatusTypeLengthBlankLineBody() {
        let body = Array(#"{"Response":{}}"#.utf8)
        let message = HTTPResponse(body: body).cgiMessage()
        XCTAssertEqual(String(decoding: message, as: UTF8.self),
                       "Status: 200 OK\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n{\"Response\":{}}")
    }

    func testOtherStatusesCarryTheirCodeAndAReason() {
        let unavailable = HTTPResponse(status: 503, contentType: "text/plain", body: Array("down\n".utf8)).cgiMessage()
        XCTAssertEqual(String(decoding: unavailable, as: UTF8.self),
                       "Status: 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\ndown\n")
        let other = HTTPResponse(status: 404, contentType: "text/plain", body: []).cgiMessage()
        XCTAssertEqual(String(decoding: other, as: UTF8.self),
                       "Status: 404 Error\r\nContent-Type: text/plain\r\nContent-Length: 0\r\n\r\n")
    }

    func testDecimalDigitsAtEveryPowerOfTen() {
        for value in [0, 1, 9, 10, 11, 99, 100, 101, 999, 1000, 65536, 1_000_000, 123_456_789, Int.max] {
            var bytes: [UInt8] = []
            HTTPResponse.appendDecimal(value, to: &bytes)
            XCTAssertEqual(String(decoding: bytes, as: UTF8.self), String(value))
        }
        var negative: [UInt8] = []
        HTTPResponse.appendDecimal(-5, to: &negative)
        XCTAssertEqual(negative, Array("0".utf8))
    }
}
