import XCTest
@testable import KMSCore

/// ListKeyDetail.TagFilters: what a request may hold, and which keys a set of filters lists
/// (every filter must match; a filter's values are alternatives; no values means any value).
final class KeyTagFilterRulesTests: XCTestCase {
    func filter(_ key: String, _ values: [String]?) -> JSONValue {
        var members: [(String, JSONValue)] = [("TagKey", .string(key))]
        if let values { members.append(("TagValue", .array(values.map(JSONValue.string)))) }
        return .object(members)
    }

    func code(_ elements: [JSONValue]) -> KMSError.Code? {
        do { _ = try KeyTagFilter.validated(elements); return nil } catch { return (error as? KMSError)?.code }
    }

    func testFiltersDecodeWithAndWithoutValues() throws {
        XCTAssertEqual(try KeyTagFilter.validated([filter("env", ["dev", "test"]), filter("team", nil), filter("owner", [])]),
                       [KeyTagFilter(key: "env", values: ["dev", "test"]), KeyTagFilter(key: "team", values: []),
                        KeyTagFilter(key: "owner", values: [])])
    }

    func testEveryFilterMustMatchAndAFiltersValuesAreAlternatives() {
        let tags = [KeyTag(key: "env", value: "dev"), KeyTag(key: "team", value: "pay")]
        XCTAssertTrue(KeyTagFilter.matches(tags, []))
        XCTAssertTrue(KeyTagFilter.matches(tags, [KeyTagFilter(key: "env", values: ["prod", "dev"])]))
        XCTAssertTrue(KeyTagFilter.matches(tags, [KeyTagFilter(key: "env", values: ["dev"]), KeyTagFilter(key: "team", values: [])]))
        XCTAssertFalse(KeyTagFilter.matches(tags, [KeyTagFilter(key: "env", values: ["dev"]), KeyTagFilter(key: "team", values: ["ops"])]))
        XCTAssertFalse(KeyTagFilter.matches(tags, [KeyTagFilter(key: "owner", values: [])]))
        XCTAssertFalse(KeyTagFilter.matches(tags, [KeyTagFilter(key: "env", values: ["DEV"])]))
        XCTAssertFalse(KeyTagFilter.matches([], [KeyTagFilter(key: "env", values: [])]))
    }

    func testAMissingTagKeyIsMissingParameterAndMalformedFiltersAreInvalidParameter() {
        XCTAssertEqual(code([.object([("TagValue", ["dev"])])]), .missingParameter)
        XCTAssertEqual(code([filter("", ["dev"])]), .invalidParameter)
        XCTAssertEqual(code([filter(String(repeating: "k", count: 128), nil)]), .invalidParameter)
        XCTAssertEqual(code([filter("env", [""])]), .invalidParameter)
        XCTAssertEqual(code([filter("env", [String(repeating: "v", count: 256)])]), .invalidParameter)
        XCTAssertEqual(code([.object([("TagKey", "env"), ("TagValue", "dev")])]), .invalidParameter)
        XCTAssertEqual(code([.object([("TagKey", "env"), ("Other", "x")])]), .unknownParameter)
        XCTAssertEqual(code(["env"]), .invalidParameter)
    }

    func testAtMostFiftyFiltersOfAtMostTenValues() {
        XCTAssertNil(code((0..<50).map { filter("k\($0)", nil) }))
        XCTAssertEqual(code((0..<51).map { filter("k\($0)", nil) }), .invalidParameter)
        XCTAssertNil(code([filter("env", (0..<10).map { "v\($0)" })]))
        XCTAssertEqual(code([filter("env", (0..<11).map { "v\($0)" })]), .invalidParameter)
    }

    func testAFilterForATagNoKeyCouldHoldIsNotAnError() {
        // Characters are not checked: such a filter simply lists nothing.
        XCTAssertNil(code([filter("qcs:reserved", ["a*b"])]))
    }
}
