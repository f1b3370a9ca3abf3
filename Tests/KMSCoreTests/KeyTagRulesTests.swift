import XCTest
@testable import KMSCore

/// CreateKey.Tags: Tencent's Tag-service limits and the KMS error codes for each way to break them.
final class KeyTagRulesTests: XCTestCase {
    func tag(_ key: String, _ value: String) -> JSONValue { .object([("TagKey", .string(key)), ("TagValue", .string(value))]) }

    func code(_ elements: [JSONValue]) -> KMSError.Code? {
        do { _ = try KeyTag.validated(elements); return nil } catch { return (error as? KMSError)?.code }
    }

    func testValidTagsComeBackInOrder() throws {
        XCTAssertEqual(try KeyTag.validated([tag("env", "dev"), tag("团队", "支付 平台【一】"), tag("a+-=._:/@()[],;><", "x")]),
                       [KeyTag(key: "env", value: "dev"), KeyTag(key: "团队", value: "支付 平台【一】"),
                        KeyTag(key: "a+-=._:/@()[],;><", value: "x")])
        XCTAssertEqual(try KeyTag.validated([]), [])
    }

    func testTheSameTagKeyTwiceIsTagKeysDuplicated() {
        XCTAssertEqual(code([tag("env", "dev"), tag("env", "prod")]), .tagKeysDuplicated)
        XCTAssertEqual(code([tag("env", "dev"), tag("env", "dev")]), .tagKeysDuplicated)
        // Tag keys are case-sensitive (Tencent): Env and env are two keys.
        XCTAssertNil(code([tag("env", "dev"), tag("Env", "dev")]))
    }

    func testAMissingOrEmptyKeyOrValueIsTagsNotExisted() {
        XCTAssertEqual(code([.object([("TagKey", "env")])]), .tagsNotExisted)
        XCTAssertEqual(code([.object([("TagValue", "dev")])]), .tagsNotExisted)
        XCTAssertEqual(code([tag("", "dev")]), .tagsNotExisted)
        XCTAssertEqual(code([tag("env", "")]), .tagsNotExisted)
        XCTAssertEqual(code([.object([("TagKey", "env"), ("TagValue", .null)])]), .tagsNotExisted)
    }

    func testLengthsAreTheTagServicesInCharactersNotBytes() {
        XCTAssertNil(code([tag(String(repeating: "键", count: 127), String(repeating: "值", count: 255))]))
        XCTAssertEqual(code([tag(String(repeating: "k", count: 128), "v")]), .invalidParameter)
        XCTAssertEqual(code([tag("k", String(repeating: "v", count: 256))]), .invalidParameter)
    }

    func testCharactersOutsideTheTagServicesSetAreInvalidParameter() {
        for bad in ["a\tb", "a\nb", "a*b", "a#b", "a$b", "a%b", "a'b", "a\"b", "a\\b", "a{b}", "é", "😀", "a|b", "a!b", "a?b", "a~b"] {
            XCTAssertEqual(code([tag(bad, "v")]), .invalidParameter, bad)
            XCTAssertEqual(code([tag("k", bad)]), .invalidParameter, bad)
        }
    }

    func testSpacesOnlyInTheMiddle() {
        XCTAssertNil(code([tag("my key", "my value")]))
        XCTAssertEqual(code([tag(" key", "v")]), .invalidParameter)
        XCTAssertEqual(code([tag("key ", "v")]), .invalidParameter)
        XCTAssertEqual(code([tag("k", " v")]), .invalidParameter)
        XCTAssertEqual(code([tag("k", "v ")]), .invalidParameter)
    }

    func testReservedPrefixesAreRefusedInAnyCase() {
        for reserved in ["qcs:env", "QCS:env", "project", "Project1", "项目", "项目名", "qcloud-x", "Tencent"] {
            XCTAssertEqual(code([tag(reserved, "v")]), .invalidParameter, reserved)
        }
        // Only keys: a value may say anything the character rules allow.
        XCTAssertNil(code([tag("team", "project")]))
        XCTAssertNil(code([tag("my-project", "v")]))
    }

    func testAtMostFiftyTags() {
        let fifty = (0..<50).map { tag("k\($0)", "v") }
        XCTAssertNil(code(fifty))
        XCTAssertEqual(code(fifty + [tag("k50", "v")]), .invalidParameter)
    }

    func testMembersOtherThanKeyAndValueOrOfAnotherTypeAreRefused() {
        XCTAssertEqual(code([.object([("TagKey", "k"), ("TagValue", "v"), ("Extra", "x")])]), .unknownParameter)
        XCTAssertEqual(code([.object([("TagKey", 1), ("TagValue", "v")])]), .invalidParameter)
        XCTAssertEqual(code([.object([("TagKey", "k"), ("TagValue", ["v"])])]), .invalidParameter)
        XCTAssertEqual(code(["env"]), .invalidParameter)
    }
}
