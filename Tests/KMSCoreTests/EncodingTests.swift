import XCTest
@testable import KMSCore

final class EncodingTests: XCTestCase {
    func testBase64RoundTripsRFC4648Vectors() {
        let vectors = ["": "", "f": "Zg==", "fo": "Zm8=", "foo": "Zm9v", "foob": "Zm9vYg==", "fooba": "Zm9vYmE=", "foobar": "Zm9vYmFy"]
        for (plain, encoded) in vectors {
            XCTAssertEqual(Base64.encode(Array(plain.utf8)), encoded)
            XCTAssertEqual(Base64.decode(encoded), Array(plain.utf8))
        }
    }

    func testBase64DecodeRefusesNonCanonicalInput() {
        for bad in ["Zg", "Zg=", "Z===", "Zh==", "Zm9=", "Zm 9v", "Zm9v\n", "=Zm9", "Zg==Zg==", "Zm-_", "é"] {
            XCTAssertNil(Base64.decode(bad), bad)
        }
    }

    func testKeyIDParsesAndPrintsLowerCase() {
        let id = KeyID("0F1E2D3C-4B5A-4978-8695-A4B3C2D1E0F9")
        XCTAssertEqual(id?.description, "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9")
        for bad in ["", "0f1e2d3c4b5a49788695a4b3c2d1e0f9", "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0fg", "0f1e2d3c-4b5a-4978-8695_a4b3c2d1e0f9"] {
            XCTAssertNil(KeyID(bad), bad)
        }
        let random = KeyID(random: Array(repeating: 0xFF, count: 16)).description
        XCTAssertEqual(Array(random)[14], "4")
    }

    func testJSONParsesAndRejects() throws {
        XCTAssertEqual(try JSONValue.parse(#"{"a":[1,-2.5,"x\u00e9\ud83d\ude00",true,null]}"#),
                       .object([("a", .array([.int(1), .double(-2.5), .string("xé😀"), .bool(true), .null]))]))
        for bad in ["", "{", "{\"a\":1,}", "[1 2]", "{\"a\":1}x", "\"\\ud800\"", "01", "{\"a\":1,\"a\":2}", "\"\u{01}\"", "1e999"] {
            XCTAssertThrowsError(try JSONValue.parse(bad), bad)
        }
        XCTAssertThrowsError(try JSONValue.parse([0x22, 0xC3, 0x28, 0x22]), "invalid UTF-8")
        XCTAssertThrowsError(try JSONValue.parse(String(repeating: "[", count: 100) + String(repeating: "]", count: 100)))
    }

    func testJSONSerializesEscapes() {
        XCTAssertEqual(JSONValue.object([("k", .string("a\"b\\c\n\u{01}é"))]).serializedString, #"{"k":"a\"b\\c\n\u0001é"}"#)
    }

    func testAliasRules() {
        for good in ["a", "A-b_c", "9key", String(repeating: "x", count: 60)] { XCTAssertNoThrow(try KeyAttributes.validateAlias(good), good) }
        for bad in ["", "-a", "_a", "a b", "a.b", "kms-x", "KMS-x", String(repeating: "x", count: 61), "ключ"] {
            XCTAssertThrowsError(try KeyAttributes.validateAlias(bad), bad) { XCTAssertEqual(($0 as? KMSError)?.code, .invalidAlias) }
        }
    }
}
