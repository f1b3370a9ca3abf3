import XCTest
@testable import KMSHTTP

final class HTTPRequestTests: XCTestCase {
    /// Builds a request the way the transport does, from raw `NAME=value` entries.
    func request(_ entries: [[UInt8]], body: [UInt8] = []) -> HTTPRequest {
        let copies = entries.map { bytes -> UnsafeMutableRawBufferPointer in
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 1)
            buffer.copyBytes(from: bytes)
            return buffer
        }
        defer { copies.forEach { $0.deallocate() } }
        return HTTPRequest(entries: copies.map { UnsafeRawBufferPointer($0) }, body: body)
    }

    func testHeadersAndVariablesAreFoundByName() {
        let http = request([Array("REQUEST_METHOD=POST".utf8), Array("CONTENT_TYPE=application/json".utf8),
                            Array("HTTP_X_TC_ACTION=Encrypt".utf8), Array("HTTP_HOST=127.0.0.1:8080".utf8),
                            Array("QUERY_STRING=".utf8), Array("NO_EQUALS_SIGN".utf8), Array("HTTP_X_EMPTY=".utf8)])
        XCTAssertFalse(http.hasInvalidEncoding)
        XCTAssertEqual(http.method, "POST")
        XCTAssertEqual(http.contentType, "application/json")
        XCTAssertEqual(http.queryString, "")
        XCTAssertEqual(http.remoteAddress, "")
        XCTAssertEqual(http.header("x-tc-action"), "Encrypt")
        XCTAssertEqual(http.header("X-TC-Action"), "Encrypt")
        XCTAssertEqual(http.header("host"), "127.0.0.1:8080")
        XCTAssertEqual(http.header("content-type"), "application/json")
        XCTAssertEqual(http.header("x-empty"), "")
        XCTAssertNil(http.header("x-tc-act"))
        XCTAssertNil(http.header("x-tc-actions"))
        XCTAssertNil(http.parameter("NO_EQUALS_SIGN"))
        XCTAssertEqual(http.parameter("HTTP_X_TC_ACTION"), "Encrypt")
    }

    func testAValueThatIsNotUTF8MarksTheRequest() {
        XCTAssertTrue(request([Array("REQUEST_METHOD=GET".utf8), Array("QUERY_STRING=a=".utf8) + [0xFF, 0xFE]]).hasInvalidEncoding)
        XCTAssertTrue(request([[0x48, 0x54, 0x54, 0x50, 0x5F, 0xC3] + Array("=x".utf8)]).hasInvalidEncoding)
        // Non-ASCII but valid UTF-8 is fine.
        let http = request([Array("HTTP_X_NOTE=密钥".utf8)])
        XCTAssertFalse(http.hasInvalidEncoding)
        XCTAssertEqual(http.header("x-note"), "密钥")
    }

    func testTheDictionaryFormMatchesTheRawForm() {
        let http = HTTPRequest(parameters: ["REQUEST_METHOD": "GET", "QUERY_STRING": "Action=Encrypt", "HTTP_X_TC_REGION": "ap-guangzhou"],
                               body: [1, 2])
        XCTAssertEqual(http.method, "GET")
        XCTAssertEqual(http.queryString, "Action=Encrypt")
        XCTAssertEqual(http.header("x-tc-region"), "ap-guangzhou")
        XCTAssertEqual(http.body, [1, 2])
    }
}
