import XCTest
import KMSCore
@testable import KMSAPI

/// What CAM's wire shapes need beyond KMS's: time strings, integer lists, 0/1 flags.
final class CAMWireFormatTests: XCTestCase {
    func testCAMTimesAreUTCDateAndTimeWithSeconds() {
        XCTAssertEqual(CAMTime.format(0), "1970-01-01 00:00:00")
        XCTAssertEqual(CAMTime.format(1_583_258_426), "2020-03-03 18:00:26")
        XCTAssertEqual(CAMTime.format(951_868_799), "2000-02-29 23:59:59")
    }

    func testAnIntegerListAcceptsIntegersFromJSONAndFromForms() throws {
        let specs = [ParameterSpec.required("PolicyId", .integerArray)]
        let json = try Parameters(decoding: .object([("PolicyId", .array([.int(100000001), .double(100000002)]))]), specs: specs, fromForm: false)
        XCTAssertEqual(json.ints("PolicyId"), [100000001, 100000002])
        let form = try Parameters(decoding: .object([("PolicyId", .array([.string("7"), .string("8")]))]), specs: specs, fromForm: true)
        XCTAssertEqual(form.ints("PolicyId"), [7, 8])
        for bad: JSONValue in [.array([.string("7")]), .array([.double(1.5)]), .int(7), .string("7")] {
            XCTAssertThrowsError(try Parameters(decoding: .object([("PolicyId", bad)]), specs: specs, fromForm: false)) {
                XCTAssertEqual(($0 as? KMSError)?.code, .invalidParameter)
            }
        }
    }

    func testFlagsAreZeroOrOne() throws {
        let specs = [ParameterSpec.optional("UseApi", .integer)]
        XCTAssertEqual(try UserActions.flag(try Parameters(decoding: .object([]), specs: specs, fromForm: false), "UseApi"), false)
        XCTAssertEqual(try UserActions.flag(try Parameters(decoding: .object([("UseApi", .int(1))]), specs: specs, fromForm: false), "UseApi"), true)
        XCTAssertThrowsError(try UserActions.flag(try Parameters(decoding: .object([("UseApi", .int(2))]), specs: specs, fromForm: false), "UseApi")) {
            XCTAssertEqual(($0 as? KMSError)?.code, .camParamError)
        }
    }
}
