import XCTest
@testable import KMSAPI
import KMSCore
import KMSCrypto

final class SignatureTests: XCTestCase {
    /// Tencent's own example from the TC3-HMAC-SHA256 documentation (service cvm).
    func testTencentDocumentationExample() {
        let body = #"{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}"#
        let canonical = [
            "POST", "/", "", "content-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\n",
            "content-type;host", Digest.sha256Hex(Array(body.utf8)),
        ].joined(separator: "\n")
        let signature = RequestSignature.tc3Signature(
            secretKey: SecureBytes(Array("Gu5t9xGARNpq86cd98joQYCN3EXAMPLE".utf8)), date: "2019-02-25", service: "cvm",
            timestamp: 1_551_113_065, canonicalRequest: canonical)
        XCTAssertEqual(signature, "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168")
    }

    func testUTCDateOfTimestamp() {
        XCTAssertEqual(RequestSignature.utcDate(1_551_113_065), "2019-02-25")
        XCTAssertEqual(RequestSignature.utcDate(0), "1970-01-01")
        XCTAssertEqual(RequestSignature.utcDate(951_782_400), "2000-02-29")
        XCTAssertEqual(RequestSignature.utcDate(4_102_444_799), "2099-12-31")
    }

    func testAuthorizationHeaderParsing() throws {
        let header = "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
        let auth = try TC3Authorization(parsing: header)
        XCTAssertEqual(auth.secretId, "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE")
        XCTAssertEqual(auth.signedHeaders, ["content-type", "host"])
        let broken = [
            "", "TC3-HMAC-SHA256", "HMAC Credential=a/b/c/tc3_request, SignedHeaders=content-type;host, Signature=" + String(repeating: "a", count: 64),
            header.replacingOccurrences(of: "tc3_request", with: "tc4_request"),
            header.replacingOccurrences(of: "content-type;host", with: "host"),
            header.replacingOccurrences(of: "Signature=72", with: "Signature=XX"),
            header + ", Extra=1",
        ]
        for text in broken {
            XCTAssertThrowsError(try TC3Authorization(parsing: text), text) {
                XCTAssertEqual(($0 as? KMSError)?.code, .authFailureInvalidAuthorization)
            }
        }
    }
}
