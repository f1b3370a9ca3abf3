import XCTest
@testable import KMSAPI
import KMSCore

/// Declaration-driven decoding, run over every action of the table: missing, unknown, wrongly
/// typed and unsupported parameters; form coercion; JSON strictness; paging ranges.
final class ParameterRulesTests: XCTestCase {
    func code(_ body: () throws -> Any) -> KMSError.Code? {
        do { _ = try body(); return nil } catch { return (error as? KMSError)?.code ?? .internalError }
    }

    func decodeJSON(_ members: [(String, JSONValue)], _ spec: ActionSpec) -> KMSError.Code? {
        code { try Parameters(decoding: .object(members), specs: spec.parameters, fromForm: false) }
    }

    func decodeForm(_ text: String, _ spec: ActionSpec) -> KMSError.Code? {
        code { try Parameters(decoding: try FormDecoding.unflatten(FormDecoding.pairs(text)), specs: spec.parameters, fromForm: true) }
    }

    /// A well-typed, non-empty JSON value of each declared type.
    func sample(_ type: ParameterType) -> JSONValue {
        switch type {
        case .string: return "s"
        case .integer: return 1
        case .boolean: return true
        case .stringArray: return ["a"]
        case .integerArray: return [1, 2]
        case .objectArray: return [["TagKey": "k"]]
        case .object: return ["MemberUin": 1]
        }
    }

    /// The same value as a flattened form would carry it.
    func formSample(_ name: String, _ type: ParameterType) -> String {
        switch type {
        case .string: return "\(name)=s"
        case .integer: return "\(name)=1"
        case .boolean: return "\(name)=true"
        case .stringArray: return "\(name).0=a"
        case .integerArray: return "\(name).0=1&\(name).1=2"
        case .objectArray: return "\(name).0.TagKey=k"
        case .object: return "\(name).MemberUin=1"
        }
    }

    /// Values of the wrong JSON type for `type`, strings of digits for integers included.
    func wrongSamples(_ type: ParameterType) -> [JSONValue] {
        switch type {
        case .string: return [1, true, ["s"], ["K": "v"]]
        case .integer: return ["1", "5", true, .double(1.5), ["1"]]
        case .boolean: return ["true", 1, "1"]
        case .stringArray: return ["a", [1], [["K": "v"]]]
        case .integerArray: return [1, "1", ["1"], [true], [.double(1.5)], [[1]]]
        case .objectArray: return [["a"], ["K": "v"]]
        case .object: return ["x", [["K": "v"]], 1]
        }
    }

    func testEachActionAcceptsItsRequiredParametersInJSONAndForm() {
        for (name, spec) in ActionTable.all {
            let required = spec.parameters.filter(\.required)
            XCTAssertNil(decodeJSON(required.map { ($0.name, sample($0.type)) }, spec), name)
            XCTAssertNil(decodeForm(required.map { formSample($0.name, $0.type) }.joined(separator: "&"), spec), name)
        }
    }

    func testEachMissingRequiredParameterIsMissingParameterNamingIt() throws {
        for (name, spec) in ActionTable.all {
            let required = spec.parameters.filter(\.required)
            for left in required {
                let members = required.filter { $0.name != left.name }.map { ($0.name, sample($0.type)) }
                XCTAssertThrowsError(try Parameters(decoding: .object(members), specs: spec.parameters, fromForm: false)) {
                    XCTAssertEqual(($0 as? KMSError)?.code, .missingParameter, "\(name).\(left.name)")
                    XCTAssertTrue(($0 as? KMSError)?.reason.contains("`\(left.name)`") ?? false, "\(name).\(left.name)")
                }
                // A JSON null is the same as absent.
                XCTAssertEqual(decodeJSON(members + [(left.name, .null)], spec), .missingParameter, "\(name).\(left.name)")
            }
        }
    }

    func testANameNoActionDeclaresIsUnknownParameterEvenBeforeAMissingOne() {
        for (name, spec) in ActionTable.all {
            let full = spec.parameters.filter(\.required).map { ($0.name, sample($0.type)) }
            for unknown in ["Bogus", "keyid", "KeyID", "Action", "Region", "Version"] where !spec.parameters.contains(where: { $0.name == unknown }) {
                XCTAssertEqual(decodeJSON(full + [(unknown, "x")], spec), .unknownParameter, "\(name) \(unknown)")
                XCTAssertEqual(decodeJSON([(unknown, "x")], spec), .unknownParameter, "\(name) \(unknown)")
            }
        }
    }

    func testEveryDeclaredParameterRefusesAValueOfAnotherJSONType() {
        for (name, spec) in ActionTable.all {
            let required = spec.parameters.filter(\.required).map { ($0.name, sample($0.type)) }
            for parameter in spec.parameters {
                let others = required.filter { $0.0 != parameter.name }
                for wrong in wrongSamples(parameter.type) {
                    XCTAssertEqual(decodeJSON(others + [(parameter.name, wrong)], spec), .invalidParameter, "\(name).\(parameter.name) = \(wrong)")
                }
            }
        }
    }

    func testAnUnsupportedParameterIsRefusedOnlyWhenItCarriesAValue() {
        for (name, spec) in ActionTable.all {
            let required = spec.parameters.filter(\.required).map { ($0.name, sample($0.type)) }
            for parameter in spec.parameters where parameter.unsupported {
                // MemberAccount(s) is refused as the operation of a role no caller has (ParameterSpec.memberAccount).
                let refusal: KMSError.Code = parameter.name.hasPrefix("MemberAccount") ? .notRoleOperation : .unsupportedOperation
                XCTAssertEqual(parameter.refusal, refusal, "\(name).\(parameter.name)")
                XCTAssertEqual(decodeJSON(required + [(parameter.name, sample(parameter.type))], spec), refusal,
                               "\(name).\(parameter.name)")
                let empty: JSONValue = switch parameter.type {
                case .string: ""
                case .integer: 0
                case .boolean: false
                case .stringArray, .integerArray, .objectArray: []
                case .object: [:]
                }
                XCTAssertNil(decodeJSON(required + [(parameter.name, empty)], spec), "\(name).\(parameter.name)")
            }
        }
    }

    // MARK: Form coercion and JSON strictness

    static let specs: [ParameterSpec] = [.optional("Limit", .integer), .optional("Flag", .boolean), .optional("KeyIds", .stringArray),
                                         .optional("Name", .string), .unsupported("MemberAccount", .object)]

    func form(_ text: String) throws -> Parameters {
        try Parameters(decoding: try FormDecoding.unflatten(FormDecoding.pairs(text)), specs: Self.specs, fromForm: true)
    }

    func json(_ text: String) throws -> Parameters {
        try Parameters(decoding: try JSONValue.parse(text), specs: Self.specs, fromForm: false)
    }

    func testFormIntegersAreDecimalInt64AndNothingElse() throws {
        for (text, value) in [("7", 7), ("-3", -3), ("007", 7), ("9223372036854775807", Int64.max)] as [(String, Int64)] {
            XCTAssertEqual(try form("Limit=\(text)").int("Limit"), value, text)
        }
        // "+7" is " 7": a plus in a form is a space.
        for text in ["", "7.0", "1e3", "0x10", "%207", "7%20", "+7", "9223372036854775808", "seven"] {
            XCTAssertEqual(code { try self.form("Limit=\(text)") }, .invalidParameter, text)
        }
    }

    func testFormBooleansAreTrueFalseOneOrZeroInAnyCase() throws {
        for (text, value) in [("true", true), ("TRUE", true), ("1", true), ("false", false), ("False", false), ("0", false)] {
            XCTAssertEqual(try form("Flag=\(text)").bool("Flag"), value, text)
        }
        for text in ["", "yes", "2", "t"] {
            XCTAssertEqual(code { try self.form("Flag=\(text)") }, .invalidParameter, text)
        }
    }

    func testFormArraysAndObjectsComeOnlyFromFlattenedNames() throws {
        XCTAssertEqual(try form("KeyIds.0=a&KeyIds.1=b").strings("KeyIds"), ["a", "b"])
        XCTAssertEqual(code { try self.form("KeyIds=a") }, .invalidParameter, "a plain value is not a list")
        XCTAssertEqual(code { try self.form("KeyIds.0.X=a") }, .invalidParameter, "a list of objects is not a list of strings")
        XCTAssertEqual(code { try self.form("Name.0=a") }, .invalidParameter, "a list is not a string")
        XCTAssertEqual(code { try self.form("MemberAccount=x") }, .invalidParameter, "a plain value is not an object")
        XCTAssertEqual(code { try self.form("MemberAccount.MemberUin=1") }, .unsupportedOperation)
        XCTAssertEqual(try form("Name=12").string("Name"), "12", "a string stays a string, digits or not")
    }

    func testJSONValuesAreNeverCoerced() throws {
        XCTAssertEqual(code { try self.json(#"{"Limit":"5"}"#) }, .invalidParameter)
        XCTAssertEqual(code { try self.json(#"{"Flag":"true"}"#) }, .invalidParameter)
        XCTAssertEqual(code { try self.json(#"{"Flag":1}"#) }, .invalidParameter)
        XCTAssertEqual(code { try self.json(#"{"Name":12}"#) }, .invalidParameter)
        XCTAssertEqual(code { try self.json(#"{"KeyIds":"a"}"#) }, .invalidParameter)
        // A JSON number that is an integer is one, however it is spelled; a fraction or a huge one is not.
        XCTAssertEqual(try json(#"{"Limit":5}"#).int("Limit"), 5)
        XCTAssertEqual(try json(#"{"Limit":5.0}"#).int("Limit"), 5)
        XCTAssertEqual(code { try self.json(#"{"Limit":5.5}"#) }, .invalidParameter)
        XCTAssertEqual(code { try self.json(#"{"Limit":1e300}"#) }, .invalidParameter)
        XCTAssertEqual(try json(#"{"Flag":false}"#).bool("Flag"), false)
    }

    // MARK: Ranges

    func testListPagingIsLimitOneToTwoHundredDefaultTenAndOffsetFromZero() throws {
        func page(_ body: String) throws -> (Int, Int) {
            try KeyActions.page(Parameters(decoding: try JSONValue.parse(body), specs: ActionTable.all["ListKeys"]!.parameters, fromForm: false))
        }
        XCTAssertTrue(try page("{}") == (0, 10))
        XCTAssertTrue(try page(#"{"Limit":1,"Offset":0}"#) == (0, 1))
        XCTAssertTrue(try page(#"{"Limit":200,"Offset":2147483647}"#) == (2_147_483_647, 200))
        for body in [#"{"Limit":0}"#, #"{"Limit":201}"#, #"{"Limit":-1}"#, #"{"Offset":-1}"#, #"{"Offset":2147483648}"#] {
            XCTAssertEqual(code { try page(body) }, .invalidParameterValue, body)
        }
        XCTAssertEqual(code { try page(#"{"Limit":"5"}"#) }, .invalidParameter, "the JSON strictness rule comes first")
    }

    func testRoleZeroOrAbsentIsTheUsersKeysOneIsCloudProductsAndNothingElse() throws {
        func role(_ body: String) throws -> Bool {
            try KeyActions.userCreated(Parameters(decoding: try JSONValue.parse(body), specs: ActionTable.all["ListKeyDetail"]!.parameters,
                                                  fromForm: false))
        }
        XCTAssertTrue(try role("{}"))
        XCTAssertTrue(try role(#"{"Role":0}"#))
        XCTAssertFalse(try role(#"{"Role":1}"#))
        XCTAssertEqual(code { try role(#"{"Role":2}"#) }, .invalidParameterValue)
    }

    func testAnIntegerRangeIsInclusiveAndItsDefaultIsCheckedToo() throws {
        let p = try json(#"{"Limit":7}"#)
        XCTAssertEqual(try p.int("Limit", default: 1, in: 7...7), 7)
        XCTAssertEqual(code { try p.int("Limit", default: 1, in: 8...9) }, .invalidParameterValue)
        XCTAssertEqual(code { try p.int("Absent", default: 0, in: 1...1024) }, .invalidParameterValue)
        XCTAssertEqual(try p.int("Absent", default: 10, in: 1...200), 10)
    }
}
