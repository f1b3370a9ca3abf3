import XCTest
@testable import KMSAPI
import KMSCore
import KMSHTTP

final class ParameterTests: XCTestCase {
    func unflatten(_ text: String) throws -> JSONValue { try FormDecoding.unflatten(FormDecoding.pairs(text)) }

    func testFlattenedNamesBecomeArraysAndObjects() throws {
        XCTAssertEqual(try unflatten("KeyIds.0=a&KeyIds.1=b&Tags.0.TagKey=x&Tags.0.TagValue=y&Limit=5"), .object([
            ("KeyIds", .array(["a", "b"])),
            ("Limit", "5"),
            ("Tags", .array([.object([("TagKey", "x"), ("TagValue", "y")])])),
        ]))
    }

    func testPercentAndPlusDecoding() throws {
        XCTAssertEqual(try unflatten("A=%E6%9C%AA+b%2B"), .object([("A", "未 b+")]))
    }

    func testFlatteningAbuseIsInvalidParameter() {
        for bad in ["KeyIds.99999=a", "KeyIds.1=a", "KeyIds.0=a&KeyIds.2=b", "KeyIds.00=a", "A=1&A.0=2", "A.0=2&A=1",
                    "A=1&A=2", "A..b=1", "=1", "A=%zz", "A=%C3%28", "a.b.c.d.e.f.g.h.i=1", "KeyIds.0=a&KeyIds.x=b"] {
            XCTAssertThrowsError(try unflatten(bad), bad) { XCTAssertEqual(($0 as? KMSError)?.code, .invalidParameter, bad) }
        }
    }

    let specs: [ParameterSpec] = [.required("KeyId", .string), .optional("Limit", .integer), .optional("Flag", .boolean),
                                  .optional("KeyIds", .stringArray), .unsupported("Tags", .objectArray)]

    func testFormValuesAreCoercedToDeclaredTypes() throws {
        let p = try Parameters(decoding: try unflatten("KeyId=k&Limit=7&Flag=true&KeyIds.0=x"), specs: specs, fromForm: true)
        XCTAssertEqual(p.int("Limit"), 7)
        XCTAssertEqual(p.bool("Flag"), true)
        XCTAssertEqual(p.strings("KeyIds"), ["x"])
    }

    func testJSONValuesMustHaveTheDeclaredType() throws {
        let cases: [(String, KMSError.Code)] = [
            (#"{"KeyId":"k","Limit":"7"}"#, .invalidParameter),
            (#"{"KeyId":"k","KeyIds":"x"}"#, .invalidParameter),
            (#"{"KeyId":"k","KeyIds":[1]}"#, .invalidParameter),
            (#"{"KeyId":5}"#, .invalidParameter),
            (#"{"Limit":1}"#, .missingParameter),
            (#"{"KeyId":"k","Bogus":1}"#, .unknownParameter),
            (#"{"KeyId":"k","Tags":[{"TagKey":"a"}]}"#, .unsupportedOperation),
        ]
        for (body, code) in cases {
            XCTAssertThrowsError(try Parameters(decoding: try JSONValue.parse(body), specs: specs, fromForm: false), body) {
                XCTAssertEqual(($0 as? KMSError)?.code, code, body)
            }
        }
        XCTAssertNoThrow(try Parameters(decoding: try JSONValue.parse(#"{"KeyId":"k","Tags":[],"Limit":null}"#), specs: specs, fromForm: false))
    }

    func testNULInAnyStringIsRefusedNotTruncated() {
        for body in [#"{"KeyId":"a\u0000b"}"#, #"{"KeyId":"k","KeyIds":["x\u0000"]}"#] {
            XCTAssertThrowsError(try Parameters(decoding: try JSONValue.parse(body), specs: specs, fromForm: false), body) {
                XCTAssertEqual(($0 as? KMSError)?.code, .invalidParameterValue, body)
            }
        }
        XCTAssertThrowsError(try Parameters(decoding: try unflatten("KeyId=a%00b"), specs: specs, fromForm: true))
    }

    func testRawInvalidUTF8IsRefusedNotRepaired() {
        let body: [UInt8] = Array("Action=ListKeys&SearchKeyAlias=".utf8) + [0xFF]
        XCTAssertThrowsError(try APIRequest(HTTPRequest(parameters: [
            "REQUEST_METHOD": "POST", "CONTENT_TYPE": "application/x-www-form-urlencoded"], body: body))) {
            XCTAssertEqual(($0 as? KMSError)?.code, .invalidParameter)
        }
        XCTAssertThrowsError(try APIRequest(HTTPRequest(parameters: ["REQUEST_METHOD": "GET"], body: [], hasInvalidEncoding: true))) {
            XCTAssertEqual(($0 as? KMSError)?.code, .invalidParameter)
        }
    }
}
