import XCTest
@testable import KMSAPI
import KMSHTTP
import KMSCore

/// The v1 signature (SPEC §1): METHOD + host + "/?" + every parameter but Signature, sorted by name,
/// `k=v` joined by `&`, values decoded (not URL-encoded); Base64(HMAC-SHA1 or HMAC-SHA256).
///
/// Besides Tencent's published v1 example, the signatures were made once with Python's `hmac`:
///     s = method + host + "/?" + "&".join(f"{k}={v}" for k, v in sorted(params.items()))
///     base64.b64encode(hmac.new(b"Gu5t9xGARNpq86cd98joQYCN3EXAMPLE", s.encode(), hashlib.sha256).digest())
/// (the string each was made from is quoted beside it).
final class V1SignatureTests: XCTestCase {
    static let secretId = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE"
    var key: SecureBytes { SecureBytes(Array("Gu5t9xGARNpq86cd98joQYCN3EXAMPLE".utf8)) }

    /// A v1 request as nginx passes it: a query (GET) or a form body (POST), encoded as given.
    func request(_ method: String, host: String = "kms.tencentcloudapi.com", _ form: String) throws -> APIRequest {
        var parameters = ["REQUEST_METHOD": method, "HTTP_HOST": host]
        if method == "GET" {
            parameters["QUERY_STRING"] = form
            return try APIRequest(HTTPRequest(parameters: parameters, body: []))
        }
        parameters["CONTENT_TYPE"] = "application/x-www-form-urlencoded"
        return try APIRequest(HTTPRequest(parameters: parameters, body: Array(form.utf8)))
    }

    func failure(_ request: APIRequest) -> KMSError.Code? {
        do { try RequestSignature.verify(request, secretKey: key); return nil } catch { return (error as? KMSError)?.code ?? .internalError }
    }

    /// ListKeyDetail with a value that form encoding changes (`a b+c未`), parameters out of order.
    func listKeyDetail(_ extra: String, signature: String) -> String {
        "SearchKeyAlias=a%20b%2Bc%E6%9C%AA&Version=2019-01-18&Action=ListKeyDetail&Origin=EXTERNAL&Offset=0&OrderType=1"
            + "&Region=ap-guangzhou&Timestamp=1551113065&Nonce=11886&SecretId=\(Self.secretId)\(extra)&Signature=\(signature)"
    }

    func testTencentsDocumentedV1ExampleVerifies() throws {
        // GETcvm.tencentcloudapi.com/?Action=DescribeInstances&InstanceIds.0=ins-09dx96dg&Limit=20&Nonce=11886&Offset=0
        //   &Region=ap-guangzhou&SecretId=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE&Timestamp=1465185768&Version=2017-03-12
        let query = "Action=DescribeInstances&InstanceIds.0=ins-09dx96dg&Limit=20&Nonce=11886&Offset=0&Region=ap-guangzhou"
            + "&SecretId=\(Self.secretId)&Signature=EliP9YW3pW28FpsEdkXt%2F%2BWcGeI%3D&Timestamp=1465185768&Version=2017-03-12"
        let signed = try request("GET", host: "cvm.tencentcloudapi.com", query)
        XCTAssertNil(failure(signed))
        XCTAssertEqual(failure(try request("GET", host: "kms.tencentcloudapi.com", query)), .authFailureSignatureFailure)
        XCTAssertEqual(failure(try request("GET", host: "cvm.tencentcloudapi.com", query.replacingOccurrences(of: "Limit=20", with: "Limit=21"))),
                       .authFailureSignatureFailure)
    }

    func testAPOSTWithHmacSHA256SignsTheDecodedValuesSorted() throws {
        // POSTkms.tencentcloudapi.com/?Action=ListKeyDetail&Nonce=11886&Offset=0&OrderType=1&Origin=EXTERNAL&Region=ap-guangzhou
        //   &SearchKeyAlias=a b+c未&SecretId=…&SignatureMethod=HmacSHA256&Timestamp=1551113065&Version=2019-01-18
        let form = listKeyDetail("&SignatureMethod=HmacSHA256", signature: "Age2AecRq%2BeQcZScUXacsWwv%2FjVkfo1IcVBfKJgZxSQ%3D")
        XCTAssertNil(failure(try request("POST", form)))
        // The same string signed with the other method does not pass as this one.
        XCTAssertEqual(failure(try request("POST", listKeyDetail("&SignatureMethod=HmacSHA256", signature: "jJLz4c9RPHVkLPbSeAnJWHwIp80%3D"))),
                       .authFailureSignatureFailure)
        XCTAssertEqual(failure(try request("GET", form)), .authFailureSignatureFailure, "the method is signed")
    }

    func testHmacSHA1IsTheDefaultMethod() throws {
        // As above without SignatureMethod: POSTkms.tencentcloudapi.com/?Action=ListKeyDetail&…&Version=2019-01-18
        XCTAssertNil(failure(try request("POST", listKeyDetail("", signature: "jJLz4c9RPHVkLPbSeAnJWHwIp80%3D"))))
        XCTAssertNil(failure(try request("POST", listKeyDetail("&SignatureMethod=HmacSHA1", signature: "r5dHxlA%2FUIGzI6O1cEL3l%2FeE8%2FM%3D"))))
    }

    func testValuesAreSignedDecodedNeverURLEncoded() throws {
        // Signed over the URL-encoded values (SearchKeyAlias=a%20b%2Bc%E6%9C%AA): what a wrong client would send.
        XCTAssertEqual(failure(try request("POST", listKeyDetail("", signature: "%2FCIvUUomnoYokb9jogDHU8FgK9w%3D"))),
                       .authFailureSignatureFailure)
    }

    func testAGETSortsNamesByteWiseAndSignsTheHostWithItsPort() throws {
        // GETkms.tencentcloudapi.com:8443/?Action=DescribeKeys&KeyIds.0=k0&KeyIds.1=k1&KeyIds.10=k10&KeyIds.2=k2&…&KeyIds.9=k9
        //   &Nonce=11886&Region=ap-guangzhou&SecretId=…&SignatureMethod=HmacSHA256&Timestamp=1551113065&Version=2019-01-18
        let ids = (0..<11).reversed().map { "KeyIds.\($0)=k\($0)" }.joined(separator: "&")
        let query = "Signature=%2FeNtunIbudnYZfHoFig2bugzWQNWoGm6lCru5pIGGHc%3D&\(ids)&Action=DescribeKeys&Version=2019-01-18"
            + "&Region=ap-guangzhou&Timestamp=1551113065&Nonce=11886&SecretId=\(Self.secretId)&SignatureMethod=HmacSHA256"
        XCTAssertNil(failure(try request("GET", host: "kms.tencentcloudapi.com:8443", query)))
        XCTAssertEqual(failure(try request("GET", host: "kms.tencentcloudapi.com", query)), .authFailureSignatureFailure)
    }

    func testTheCommonParametersAreReadAndNeverReachTheAction() throws {
        let parsed = try request("POST", listKeyDetail("&Language=en-US", signature: "x"))
        XCTAssertEqual(parsed.action, "ListKeyDetail")
        XCTAssertEqual(parsed.version, "2019-01-18")
        XCTAssertEqual(parsed.region, "ap-guangzhou")
        XCTAssertEqual(parsed.timestamp, 1_551_113_065)
        XCTAssertEqual(parsed.secretId, Self.secretId)
        XCTAssertEqual(parsed.nonce, "11886")
        XCTAssertTrue(parsed.english)
        XCTAssertTrue(parsed.fromForm)
        XCTAssertEqual(parsed.style, .v1(signature: "x", method: "HmacSHA1"))
        XCTAssertEqual(parsed.parameters, .object([("Offset", "0"), ("OrderType", "1"), ("Origin", "EXTERNAL"), ("SearchKeyAlias", "a b+c未")]))
        XCTAssertFalse(parsed.signedPairs.contains { $0.0 == "Signature" })
        XCTAssertEqual(parsed.signedPairs.count, 11)
    }

    func testAMethodOtherThanSHA1OrSHA256AndMissingCommonParametersAreRefused() {
        let cases: [(String, KMSError.Code)] = [
            (listKeyDetail("&SignatureMethod=HmacMD5", signature: "x"), .invalidParameterValue),
            (listKeyDetail("&SignatureMethod=hmacsha256", signature: "x"), .invalidParameterValue),
            (listKeyDetail("", signature: "x").replacingOccurrences(of: "&Nonce=11886", with: ""), .missingParameter),
            (listKeyDetail("", signature: "x").replacingOccurrences(of: "&Timestamp=1551113065", with: ""), .missingParameter),
            (listKeyDetail("", signature: "x").replacingOccurrences(of: "Timestamp=1551113065", with: "Timestamp=soon"), .invalidParameter),
            (listKeyDetail("", signature: "x").replacingOccurrences(of: "&Action=ListKeyDetail", with: "&Action="), .missingParameter),
            (listKeyDetail("", signature: "x").replacingOccurrences(of: "&SecretId=\(Self.secretId)", with: ""), .missingParameter),
            (listKeyDetail("", signature: "x").replacingOccurrences(of: "&Signature=x", with: ""), .authFailureInvalidAuthorization),
            (listKeyDetail("", signature: "x") + "&Nonce=2", .invalidParameter),
        ]
        for (form, code) in cases {
            XCTAssertThrowsError(try request("POST", form), form) { XCTAssertEqual(($0 as? KMSError)?.code, code, form) }
        }
    }
}
