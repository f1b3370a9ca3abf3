import XCTest
@testable import KMSAPI
import KMSHTTP
import KMSCore

/// The `Authorization` header's grammar: anything malformed is `AuthFailure.InvalidAuthorization`
/// (SPEC §1), both when parsed alone and when it arrives on a request.
final class TC3AuthorizationTests: XCTestCase {
    static let credential = "Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/kms/tc3_request"
    static let signedHeaders = "SignedHeaders=content-type;host"
    static let signature = "Signature=" + String(repeating: "0123456789abcdef", count: 4)

    static func header(_ fields: [String], algorithm: String = "TC3-HMAC-SHA256 ") -> String {
        algorithm + fields.joined(separator: ", ")
    }

    static let valid = header([credential, signedHeaders, signature])

    func testTheCanonicalHeaderParsesIntoItsParts() throws {
        let auth = try TC3Authorization(parsing: Self.valid)
        XCTAssertEqual(auth.secretId, "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE")
        XCTAssertEqual(auth.date, "2019-02-25")
        XCTAssertEqual(auth.service, "kms")
        XCTAssertEqual(auth.signedHeaders, ["content-type", "host"])
        XCTAssertEqual(auth.signatureBytes, Array(String(repeating: "0123456789abcdef", count: 4).utf8))
    }

    func testFieldsParseInAnyOrderWithSpacesAndTabsAroundThem() throws {
        let c = Self.credential, s = Self.signedHeaders, g = Self.signature
        for text in [Self.header([g, c, s]), Self.header([s, g, c]), "TC3-HMAC-SHA256 \(c),\(s),\(g)",
                     "TC3-HMAC-SHA256  \t\(c) ,\t\(s) , \(g) \t", "TC3-HMAC-SHA256 Credential = " + c.dropFirst(11) + ", \(s), \(g)"] {
            XCTAssertEqual(try TC3Authorization(parsing: text), try TC3Authorization(parsing: Self.valid), text)
        }
        let many = (0..<30).map { "x-h\($0)" }.joined(separator: ";")
        XCTAssertEqual(try TC3Authorization(parsing: Self.header([Self.credential, "SignedHeaders=Host;CONTENT-TYPE;\(many)", Self.signature]))
                        .signedHeaders.count, 32, "32 signed headers are allowed, names lower-cased")
    }

    func testEveryMalformedHeaderIsInvalidAuthorization() {
        let c = Self.credential, s = Self.signedHeaders, g = Self.signature
        let hex64 = String(repeating: "0123456789abcdef", count: 4)
        let cases: [String: String] = [
            "lower-case algorithm": Self.header([c, s, g], algorithm: "tc3-hmac-sha256 "),
            "no space after the algorithm": Self.header([c, s, g], algorithm: "TC3-HMAC-SHA256"),
            "another algorithm": Self.header([c, s, g], algorithm: "TC3-HMAC-SHA1 "),
            "a leading space": " " + Self.valid,
            "no Credential": Self.header([s, g]),
            "no SignedHeaders": Self.header([c, g]),
            "no Signature": Self.header([c, s]),
            "Credential twice": Self.header([c, s, g, c]),
            "Signature twice": Self.header([c, s, g, g]),
            "a field without =": Self.header([c, s, g, "Extra"]),
            "an empty field": Self.header([c, s, g, ""]),
            "a lower-case field name": Self.header(["c" + c.dropFirst(), s, g]),
            "a scope of three parts": Self.header(["Credential=AKIDx/2019-02-25/tc3_request", s, g]),
            "a scope of five parts": Self.header(["Credential=AKIDx/2019-02-25/kms/tc3_request/x", s, g]),
            "an empty SecretId": Self.header(["Credential=/2019-02-25/kms/tc3_request", s, g]),
            "a scope not ending in tc3_request": Self.header(["Credential=AKIDx/2019-02-25/kms/TC3_REQUEST", s, g]),
            "host not signed": Self.header([c, "SignedHeaders=content-type", g]),
            "content-type not signed": Self.header([c, "SignedHeaders=host;x-tc-action", g]),
            "an empty signed header name": Self.header([c, "SignedHeaders=content-type;;host", g]),
            "a trailing separator": Self.header([c, "SignedHeaders=content-type;host;", g]),
            "a space inside the list": Self.header([c, "SignedHeaders=content-type; host", g]),
            "33 signed headers": Self.header([c, "SignedHeaders=content-type;host;" + (0..<31).map { "x-h\($0)" }.joined(separator: ";"), g]),
            "a signature of 63 digits": Self.header([c, s, "Signature=" + hex64.dropLast()]),
            "a signature of 65 digits": Self.header([c, s, "Signature=" + hex64 + "0"]),
            "an upper-case signature": Self.header([c, s, "Signature=" + hex64.uppercased()]),
            "an empty signature": Self.header([c, s, "Signature="]),
            "over 2048 bytes": Self.header([c, s, g]) + String(repeating: " ", count: 2048),
        ]
        for (name, text) in cases {
            XCTAssertThrowsError(try TC3Authorization(parsing: text), name) {
                XCTAssertEqual(($0 as? KMSError)?.code, .authFailureInvalidAuthorization, name)
            }
            // The same header on a request fails the same way, before anything else about it is read.
            let http = HTTPRequest(parameters: ["REQUEST_METHOD": "POST", "CONTENT_TYPE": "application/json",
                                                "HTTP_AUTHORIZATION": text], body: Array("{}".utf8))
            XCTAssertThrowsError(try APIRequest(http), name) {
                XCTAssertEqual(($0 as? KMSError)?.code, .authFailureInvalidAuthorization, name)
            }
        }
    }

    func testARequestWithNeitherAnAuthorizationHeaderNorAFormSignatureIsInvalidAuthorization() {
        for (contentType, body) in [("application/json", #"{"KeyId":"k"}"#), ("application/x-www-form-urlencoded", "Action=ListKeys&Nonce=1")] {
            let http = HTTPRequest(parameters: ["REQUEST_METHOD": "POST", "CONTENT_TYPE": contentType], body: Array(body.utf8))
            XCTAssertThrowsError(try APIRequest(http), contentType) {
                XCTAssertEqual(($0 as? KMSError)?.code, .authFailureInvalidAuthorization, contentType)
            }
        }
    }
}
