import XCTest
@testable import KMSAPI
import KMSCore

/// Lists of integers (Organization's MemberUin, PermissionIds): JSON numbers only, form leaves
/// of decimal digits only, each element checked.
final class IntegerArrayParameterTests: XCTestCase {
    let specs: [ParameterSpec] = [.required("MemberUin", .integerArray)]

    func decode(json text: String) throws -> Parameters {
        try Parameters(decoding: try JSONValue.parse(text), specs: specs, fromForm: false)
    }

    func decode(form text: String) throws -> Parameters {
        try Parameters(decoding: try FormDecoding.unflatten(FormDecoding.pairs(text)), specs: specs, fromForm: true)
    }

    func code(_ body: () throws -> Parameters) -> KMSError.Code? {
        do { _ = try body(); return nil } catch { return (error as? KMSError)?.code }
    }

    func testJSONNumbersAndFormDigitsDecodeToTheSameIntegers() throws {
        XCTAssertEqual(try decode(json: #"{"MemberUin": [100000000001, 199999999999]}"#).ints("MemberUin"), [100000000001, 199999999999])
        XCTAssertEqual(try decode(form: "MemberUin.0=100000000001&MemberUin.1=199999999999").ints("MemberUin"),
                       [100000000001, 199999999999])
        XCTAssertEqual(try decode(json: #"{"MemberUin": []}"#).ints("MemberUin"), [])
    }

    func testAnElementOfAnotherTypeIsInvalidParameter() {
        for text in [#"{"MemberUin": ["100000000001"]}"#, #"{"MemberUin": [1.5]}"#, #"{"MemberUin": [true]}"#,
                     #"{"MemberUin": [[1]]}"#, #"{"MemberUin": 1}"#, #"{"MemberUin": [1, "x"]}"#] {
            XCTAssertEqual(code { try decode(json: text) }, .invalidParameter, text)
        }
        XCTAssertEqual(code { try decode(form: "MemberUin.0=12a") }, .invalidParameter)
        XCTAssertEqual(code { try decode(form: "MemberUin=1") }, .invalidParameter)
    }
}
