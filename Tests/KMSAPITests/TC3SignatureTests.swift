import XCTest
@testable import KMSAPI
import KMSHTTP
import KMSCore
import KMSCrypto

/// TC3-HMAC-SHA256 (SPEC §1) through the real verifier: Tencent's published example, and requests
/// signed by an independent implementation.
///
/// The kms-scope signatures below were made once with Python's `hashlib`/`hmac` (the canonical
/// request, string to sign and HMAC chain written out from Tencent's documentation, nothing shared
/// with this code), e.g. for the plain JSON request (`df3758f1…`):
///     k = hmac(hmac(hmac(b"TC3"+SK, "2019-02-25"), "kms"), "tc3_request")
///     hmac(k, "TC3-HMAC-SHA256\n1551113065\n2019-02-25/kms/tc3_request\n" + sha256hex(canonical)).hexdigest()
final class TC3SignatureTests: XCTestCase {
    static let secretKey = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"
    static let secretId = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE"
    static let timestamp: Int64 = 1_551_113_065
    static let body = #"{"KeyId":"0f8e3a52-6c1d-4b7e-9a2f-1c3d5e7f9a0b"}"#
    static let jsonType = "application/json; charset=utf-8"

    // Tencent's documentation example (SPEC appendix), with the intermediate values it publishes.
    static let documentedBody = #"{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}"#
    static let documentedCanonical = [
        "POST", "/", "", "content-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\n",
        "content-type;host", "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064",
    ].joined(separator: "\n")
    static let documentedStringToSign = "TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n"
        + "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"
    static let documentedSignature = "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"

    var key: SecureBytes { SecureBytes(Array(Self.secretKey.utf8)) }

    /// A TC3 request as nginx passes it (CGI parameters), taken apart by the real `APIRequest`.
    func request(method: String = "POST", query: String = "", contentType: String = jsonType,
                 host: String = "kms.tencentcloudapi.com", body: String = body, timestamp: Int64 = timestamp,
                 date: String = "2019-02-25", service: String = "kms", signedHeaders: String = "content-type;host",
                 signature: String, extra: [String: String] = [:]) throws -> APIRequest {
        var parameters = [
            "REQUEST_METHOD": method, "QUERY_STRING": query, "CONTENT_TYPE": contentType, "HTTP_HOST": host,
            "HTTP_X_TC_ACTION": "DescribeKey", "HTTP_X_TC_VERSION": "2019-01-18", "HTTP_X_TC_REGION": "ap-guangzhou",
            "HTTP_X_TC_TIMESTAMP": String(timestamp),
            "HTTP_AUTHORIZATION": "TC3-HMAC-SHA256 Credential=\(Self.secretId)/\(date)/\(service)/tc3_request, "
                + "SignedHeaders=\(signedHeaders), Signature=\(signature)",
        ]
        parameters.merge(extra) { $1 }
        return try APIRequest(HTTPRequest(parameters: parameters, body: Array(body.utf8)))
    }

    func failure(_ request: APIRequest) -> KMSError.Code? {
        do { try RequestSignature.verify(request, secretKey: key); return nil } catch { return (error as? KMSError)?.code ?? .internalError }
    }

    // MARK: Tencent's documentation vector

    func testThePayloadAndCanonicalRequestHashAsDocumented() {
        XCTAssertEqual(Digest.sha256Hex(Array(Self.documentedBody.utf8)), "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064")
        XCTAssertEqual(Digest.sha256Hex(Array(Self.documentedCanonical.utf8)), "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031")
    }

    func testTheSigningKeyChainAndSignatureOfTheDocumentedStringToSign() {
        let signingKey = RequestSignature.tc3SigningKey(secretKey: key, date: "2019-02-25", service: "cvm")
        // The chain "TC3"+SecretKey → date → service → "tc3_request", computed independently (Python hmac).
        XCTAssertEqual(Hex.encode(signingKey.withUnsafeBytes { Array($0) }),
                       "ac658d5dde49e9bfdd14e04e062f66b05d9f637d44b8a8d845327d4a77f666b1")
        XCTAssertEqual(Hex.encode(HMAC.sha256(key: signingKey, data: Array(Self.documentedStringToSign.utf8))), Self.documentedSignature)
        // The signer builds exactly the documented string to sign from the canonical request, with or without a cached key.
        let signature = RequestSignature.tc3SignatureHex(date: "2019-02-25", service: "cvm", timestamp: Self.timestamp,
                                                         canonicalRequest: Array(Self.documentedCanonical.utf8), signingKey: signingKey)
        XCTAssertEqual(String(decoding: signature, as: UTF8.self), Self.documentedSignature)
        XCTAssertEqual(RequestSignature.tc3Signature(secretKey: SecureBytes(zeros: 32), date: "2019-02-25", service: "cvm",
                                                     timestamp: Self.timestamp, canonicalRequest: Self.documentedCanonical,
                                                     signingKey: signingKey), Self.documentedSignature)
    }

    func testTheDocumentedRequestIsRefusedUnderItsCVMScopeAndVerifiesUnderKMS() throws {
        let documented = { (service: String, signature: String) in
            try self.request(host: "cvm.tencentcloudapi.com", body: Self.documentedBody, service: service, signature: signature)
        }
        // The verifier rebuilds the documented canonical request, but only the kms scope is served.
        XCTAssertEqual(failure(try documented("cvm", Self.documentedSignature)), .authFailureSignatureFailure)
        XCTAssertNil(failure(try documented("kms", "c24aa05a48a913ba1a920768605c3124f8b0c376b1ccbb55fdb8c7f2af0d29d5")))
    }

    // MARK: The canonical request as the verifier builds it

    func testAJSONRequestSignedByAnIndependentSignerVerifiesWithAndWithoutTheKeyCache() throws {
        let signed = try request(signature: "df3758f1ccfabf46fbe8e8ad8495e6d332dd906b0be43e82904a9cb6220c2ad5")
        XCTAssertNil(failure(signed))
        let cache = SigningKeyCache()
        for _ in 0..<2 { XCTAssertNoThrow(try RequestSignature.verify(signed, secretKey: key, signingKeys: cache)) }
    }

    func testAChangedBodySecretOrTimestampFailsTheSignature() throws {
        let signature = "df3758f1ccfabf46fbe8e8ad8495e6d332dd906b0be43e82904a9cb6220c2ad5"
        XCTAssertEqual(failure(try request(body: Self.body.replacingOccurrences(of: "0f8e", with: "1f8e"), signature: signature)),
                       .authFailureSignatureFailure)
        XCTAssertEqual(failure(try request(timestamp: Self.timestamp + 1, signature: signature)), .authFailureSignatureFailure)
        XCTAssertEqual(failure(try request(host: "kms.tencentcloudapi.com:443", signature: signature)), .authFailureSignatureFailure,
                       "the Host is signed exactly as sent, port included")
        let other = try request(signature: signature)
        XCTAssertThrowsError(try RequestSignature.verify(other, secretKey: SecureBytes(Array("Gu5t9xGARNpq86cd98joQYCN3EXAMPLF".utf8)))) {
            XCTAssertEqual(($0 as? KMSError)?.code, .authFailureSignatureFailure)
        }
    }

    func testExtraSignedHeadersAreCoveredInTheDocumentedAndTheSDKForm() throws {
        // Tencent's documentation lower-cases header values; its SDKs sign them as sent. Both verify.
        for signature in ["f0499e741b07ac58f760f4e0c235b7169017549dc66f29a8743529bdaaaaefd5",
                          "89158006de4c1befa0f4072f74c80f07357c28298fbebe20713fdb81eea5b6fa"] {
            XCTAssertNil(failure(try request(signedHeaders: "content-type;host;x-tc-action", signature: signature)))
            // The signed action cannot be swapped for another one.
            XCTAssertEqual(failure(try request(signedHeaders: "content-type;host;x-tc-action", signature: signature,
                                               extra: ["HTTP_X_TC_ACTION": "DisableKey"])), .authFailureSignatureFailure)
        }
        // An extra header that is not signed may change freely; a signed one that is absent fails.
        XCTAssertNil(failure(try request(signature: "df3758f1ccfabf46fbe8e8ad8495e6d332dd906b0be43e82904a9cb6220c2ad5",
                                         extra: ["HTTP_X_TC_ACTION": "DisableKey"])))
        XCTAssertEqual(failure(try request(signedHeaders: "content-type;host;x-custom",
                                           signature: "df3758f1ccfabf46fbe8e8ad8495e6d332dd906b0be43e82904a9cb6220c2ad5")),
                       .authFailureSignatureFailure)
    }

    func testSignedHeadersAreTakenInTheClientsOrder() throws {
        let hostFirst = "a2c427f7d173a08062d351792b90a0794d02ce3e5835dedee79a9a4c1beaaf25"
        XCTAssertNil(failure(try request(signedHeaders: "host;content-type", signature: hostFirst)))
        XCTAssertEqual(failure(try request(signedHeaders: "content-type;host", signature: hostFirst)), .authFailureSignatureFailure)
        XCTAssertEqual(failure(try request(signedHeaders: "host;content-type",
                                           signature: "df3758f1ccfabf46fbe8e8ad8495e6d332dd906b0be43e82904a9cb6220c2ad5")),
                       .authFailureSignatureFailure)
    }

    func testSignedHeaderNamesAreLowerCasedAndValuesTrimmed() throws {
        let base = "df3758f1ccfabf46fbe8e8ad8495e6d332dd906b0be43e82904a9cb6220c2ad5"
        XCTAssertNil(failure(try request(signedHeaders: "Content-Type;HOST", signature: base)))
        XCTAssertNil(failure(try request(host: " \tkms.tencentcloudapi.com  ", signature: base)))
        XCTAssertNil(failure(try request(contentType: "application/json; charset=utf-8 ", signature: base)))
        // Inner spaces are part of the value.
        XCTAssertEqual(failure(try request(contentType: "application/json;  charset=utf-8", signature: base)), .authFailureSignatureFailure)
    }

    func testAGETRequestSignsItsRawQueryAndAnEmptyPayload() throws {
        let signature = "f465ef6c0bd91da4460190b5716dc8847c98b368f716612256c6d79d1e094f46"
        let get = { (query: String, body: String) in
            try self.request(method: "GET", query: query, contentType: "application/x-www-form-urlencoded", body: body, signature: signature)
        }
        XCTAssertNil(failure(try get("Limit=5&SearchKeyAlias=a%20b", "")))
        XCTAssertNil(failure(try get("Limit=5&SearchKeyAlias=a%20b", "ignored")), "a GET body is not signed")
        XCTAssertEqual(failure(try get("Limit=5&SearchKeyAlias=a+b", "")), .authFailureSignatureFailure, "the query is signed as sent")
        XCTAssertEqual(failure(try get("SearchKeyAlias=a%20b&Limit=5", "")), .authFailureSignatureFailure)
    }

    func testAnUnsignedPayloadSignsTheLiteralInsteadOfTheBody() throws {
        let signature = "7f5b9455f944c300d9f24bd5ad17c3ff99917b2bec9627edaeb33a860c491762"
        for body in [Self.body, #"{"KeyId":"other"}"#] {
            XCTAssertNil(failure(try request(body: body, signature: signature, extra: ["HTTP_X_TC_CONTENT_SHA256": "UNSIGNED-PAYLOAD"])))
        }
        XCTAssertEqual(failure(try request(signature: signature)), .authFailureSignatureFailure)
    }

    // MARK: Scope and time

    func testTheCredentialDateMustBeTheUTCDateOfTheTimestamp() throws {
        // 1551139199 is 2019-02-25T23:59:59Z: already the 26th east of UTC, but not in UTC. The
        // signature is right for the date it names; the date rule alone refuses it.
        let late = try request(timestamp: 1_551_139_199, date: "2019-02-26",
                               signature: "7b2c5f0dbba4837ff69932de26c55e813938cef86a0cd6782dd9c51f8e813af2")
        XCTAssertEqual(failure(late), .authFailureSignatureFailure)
        XCTAssertNil(failure(try request(timestamp: 1_551_139_200, date: "2019-02-26",
                                         signature: "49fe18e7a99db77dec9dcfadd82634a414916a44078dff22b0e3fbe694f668e7")))
        XCTAssertEqual(RequestSignature.utcDate(1_551_139_199), "2019-02-25")
        XCTAssertEqual(RequestSignature.utcDate(1_551_139_200), "2019-02-26")
        XCTAssertEqual(RequestSignature.utcDate(-1), "1969-12-31")
        XCTAssertEqual(RequestSignature.utcDate(1_709_164_800), "2024-02-29")
        XCTAssertEqual(RequestSignature.utcDate(4_107_542_400), "2100-03-01", "2100 is not a leap year")
    }

    func testTheTimestampWindowIsThreeHundredSecondsEitherWayInclusive() {
        let now: Int64 = 1_700_000_000
        for accepted in [now - 300, now - 1, now, now + 1, now + 300] {
            XCTAssertNoThrow(try RequestSignature.checkTimestamp(accepted, now: now), "\(accepted - now)")
        }
        for refused in [now - 301, now + 301, 0, Int64.min, Int64.max, Int64.min + 1] {
            XCTAssertThrowsError(try RequestSignature.checkTimestamp(refused, now: now), "\(refused)") {
                XCTAssertEqual(($0 as? KMSError)?.code, .authFailureSignatureExpire)
            }
        }
    }

    func testATimestampHeaderThatIsNotUnixSecondsIsInvalidAndAMissingOneIsMissing() throws {
        let signature = "df3758f1ccfabf46fbe8e8ad8495e6d332dd906b0be43e82904a9cb6220c2ad5"
        for text in ["", "1551113065.0", "0x5c7429a9", "+-1", "99999999999999999999"] {
            XCTAssertThrowsError(try request(signature: signature, extra: ["HTTP_X_TC_TIMESTAMP": text]), text) {
                XCTAssertEqual(($0 as? KMSError)?.code, .invalidParameter, text)
            }
        }
        var parameters = ["REQUEST_METHOD": "POST", "CONTENT_TYPE": Self.jsonType, "HTTP_X_TC_ACTION": "DescribeKey",
                          "HTTP_X_TC_VERSION": "2019-01-18",
                          "HTTP_AUTHORIZATION": "TC3-HMAC-SHA256 Credential=\(Self.secretId)/2019-02-25/kms/tc3_request, "
                              + "SignedHeaders=content-type;host, Signature=\(signature)"]
        XCTAssertThrowsError(try APIRequest(HTTPRequest(parameters: parameters, body: []))) {
            XCTAssertEqual(($0 as? KMSError)?.code, .missingParameter)
        }
        parameters["HTTP_X_TC_TIMESTAMP"] = "1551113065"
        parameters["HTTP_X_TC_ACTION"] = nil
        XCTAssertThrowsError(try APIRequest(HTTPRequest(parameters: parameters, body: []))) {
            XCTAssertEqual(($0 as? KMSError)?.code, .missingParameter)
        }
    }
}
