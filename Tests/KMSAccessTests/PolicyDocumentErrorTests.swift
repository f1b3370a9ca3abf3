import XCTest
import KMSAccess
import KMSCore

/// Every refusal carries CAM's code for the element at fault and a reason that says where: the line
/// and column of a JSON syntax error, the path of an element otherwise.
final class PolicyDocumentErrorTests: XCTestCase {
    /// Parses `text`, expecting `code`; returns the reason for further checks.
    @discardableResult
    func refusal(_ text: String, _ code: KMSError.Code, contains place: String, file: StaticString = #filePath, line: UInt = #line) -> String {
        do {
            _ = try PolicyDocument.parse(text)
            XCTFail("accepted: \(text)", file: file, line: line)
            return ""
        } catch let error as KMSError {
            XCTAssertEqual(error.code, code, error.reason, file: file, line: line)
            XCTAssertTrue(error.reason.contains(place), "\(error.reason) does not contain \(place)", file: file, line: line)
            return error.reason
        } catch {
            XCTFail("\(error)", file: file, line: line)
            return ""
        }
    }

    func statement(_ body: String) -> String { "{\"version\":\"2.0\",\"statement\":[{\"effect\":\"allow\",\"action\":\"kms:Encrypt\",\"resource\":\"*\"},{\(body)}]}" }

    func testJSONSyntaxErrorsNameLineColumnAndByte() {
        refusal("{\"version\":\"2.0\",\n \"statement\": [,]}", .policyDocumentError, contains: "line 2, column 16 (byte 33)")
        refusal("{\"version\":\"2.0\"} x", .policyDocumentError, contains: "line 1, column 19 (byte 18): trailing characters")
        refusal("{\"version\":\"2.0\",\"version\":\"2.0\"}", .policyDocumentError, contains: "duplicate member name")
        refusal("", .policyDocumentError, contains: "byte 0")
        refusal("%7B%zz", .policyDocumentError, contains: "invalid % escape at byte 3")
        refusal("[1]", .policyDocumentError, contains: "must be a JSON object")
    }

    func testTooLongIsLengthOverLimit() {
        let base = PolicyFixtures.allow(#"["kms:Encrypt"]"#, "\"*\"")
        let long = base + String(repeating: " ", count: PolicyDocument.maximumLength + 1 - base.count)
        refusal(long, .policyDocumentLengthOverLimit, contains: "6145 characters")
        refusal(String(repeating: "x", count: 6144 * 12 + 1), .policyDocumentLengthOverLimit, contains: "6144")
        // Characters, not bytes: 6144 three-byte characters pass the length check (and then fail as JSON).
        refusal(String(repeating: "中", count: 6144), .policyDocumentError, contains: "line 1, column 1")
        refusal(String(repeating: "中", count: 6145), .policyDocumentLengthOverLimit, contains: "6145 characters")
    }

    func testVersionErrors() {
        refusal(#"{"statement":[]}"#, .policyVersionError, contains: "version: is missing")
        refusal(#"{"version":"1.0","statement":[]}"#, .policyVersionError, contains: "version: must be")
        refusal(#"{"version":2.0,"statement":[]}"#, .policyVersionError, contains: "version")
    }

    func testUnknownTopLevelElementIsPolicyDocumentError() {
        let reason = refusal(#"{"Version":"2.0","statement":[]}"#, .policyDocumentError, contains: "`Version`: unknown element")
        XCTAssertTrue(reason.contains("lowercase"), reason)
    }

    func testStatementErrors() {
        refusal(#"{"version":"2.0"}"#, .policyStatementError, contains: "statement: is missing")
        refusal(#"{"version":"2.0","statement":[]}"#, .policyStatementError, contains: "non-empty array")
        refusal(#"{"version":"2.0","statement":["x"]}"#, .policyStatementError, contains: "statement[0]: must be an object")
        refusal(statement(#""effect":"allow","action":"kms:Encrypt","resource":"*","notaction":"x""#), .policyStatementError, contains: "statement[1].`notaction`: unknown element")
        refusal(statement(#""Effect":"allow","action":"kms:Encrypt","resource":"*""#), .policyStatementError, contains: "(element names are lowercase)")
    }

    func testPrincipalIsRefusedInAUserPolicy() {
        refusal(statement(#""effect":"allow","action":"kms:Encrypt","resource":"*","principal":{"qcs":["qcs::cam::uin/1:root"]}"#),
                .policyPrincipalError, contains: "statement[1].principal")
    }

    func testEffectErrors() {
        refusal(statement(#""action":"kms:Encrypt","resource":"*""#), .policyEffectError, contains: "statement[1].effect: is missing")
        refusal(statement(#""effect":"permit","action":"kms:Encrypt","resource":"*""#), .policyEffectError, contains: "statement[1].effect: must be allow or deny")
        refusal(statement(#""effect":true,"action":"kms:Encrypt","resource":"*""#), .policyEffectError, contains: "statement[1].effect")
    }

    func testActionErrors() {
        refusal(statement(#""effect":"allow","resource":"*""#), .policyActionError, contains: "statement[1].action: is missing")
        refusal(statement(#""effect":"allow","action":[],"resource":"*""#), .policyActionError, contains: "statement[1].action: must be")
        refusal(statement(#""effect":"allow","action":["kms:Encrypt",3],"resource":"*""#), .policyActionError, contains: "statement[1].action[1]: must be a non-empty string")
        refusal(statement(#""effect":"allow","action":["kms:Encrypt","Encrypt"],"resource":"*""#), .policyActionError, contains: "statement[1].action[1]: `Encrypt` is not service:Action")
        refusal(statement(#""effect":"allow","action":"kms:En crypt","resource":"*""#), .policyActionError, contains: "statement[1].action: `kms:En crypt` has an invalid action name")
        refusal(statement(#""effect":"allow","action":"permid/kms:1","resource":"*""#), .policyActionError, contains: "statement[1].action")
    }

    func testUnknownActionsAndServicesNameTheirPosition() {
        refusal(statement(#""effect":"allow","action":["kms:Encrypt","kms:Encrpyt"],"resource":"*""#), .policyActionNotExist, contains: "statement[1].action[1]: `kms:Encrpyt`")
        refusal(statement(#""effect":"allow","action":"kms:Frobnicate*","resource":"*""#), .policyActionNotExist, contains: "statement[1].action")
        refusal(statement(#""effect":"allow","action":"cam:AttachUserPolicyX","resource":"*""#), .policyActionNotExist, contains: "statement[1].action")
        // Tencent's own QcloudDCFullAccess example names a service this endpoint does not have.
        refusal(#"{"version":"2.0","statement":[{"action":["dc:*"],"resource":"*","effect":"allow"}]}"#,
                .policyActionServiceNotExist, contains: "statement[0].action[0]: `dc`")
    }

    func testResourceErrors() {
        let owner = PolicyFixtures.owner
        refusal(statement(#""effect":"allow","action":"kms:Encrypt""#), .policyResourceError, contains: "statement[1].resource: is missing")
        refusal(statement(#""effect":"allow","action":"kms:Encrypt","resource":["*",""]"#), .policyResourceError, contains: "statement[1].resource[1]")
        refusal(statement(#""effect":"allow","action":"kms:Encrypt","resource":["*","qcs::kms:ap-guangzhou:key/x"]"#), .policyResourceError, contains: "statement[1].resource[1]: `qcs::kms:ap-guangzhou:key/x` has 5 segments")
        refusal(statement("\"effect\":\"allow\",\"action\":\"kms:Encrypt\",\"resource\":\"acs::kms:ap-guangzhou:uin/\(owner):key/*\""), .policyResourceQcsError, contains: "statement[1].resource")
        refusal(statement("\"effect\":\"allow\",\"action\":\"kms:Encrypt\",\"resource\":\"qcs::cvm:ap-guangzhou:uin/\(owner):instance/*\""), .policyResourceServiceNotExist, contains: "statement[1].resource")
        refusal(statement("\"effect\":\"allow\",\"action\":\"kms:Encrypt\",\"resource\":\"qcs::kms:ap_guangzhou:uin/\(owner):key/*\""), .policyResourceRegionError, contains: "statement[1].resource")
        refusal(statement(#""effect":"allow","action":"kms:Encrypt","resource":"qcs::kms:ap-guangzhou:uid/12:key/*""#), .policyResourceUinError, contains: "statement[1].resource")
        refusal(statement("\"effect\":\"allow\",\"action\":\"kms:Encrypt\",\"resource\":\"qcs::kms:ap-guangzhou:uin/\(owner):alias/x\""), .policyResourceContentError, contains: "statement[1].resource: `qcs::kms:ap-guangzhou:uin/")
        refusal(statement("\"effect\":\"allow\",\"action\":\"kms:Encrypt\",\"resource\":\"qcs::kms:ap-guangzhou:uin/\(owner):key/creatorUin/abc/\(PolicyFixtures.keyA)\""), .policyResourceContentError, contains: "statement[1].resource")
    }

    func testConditionErrors() {
        func cond(_ c: String) -> String { statement("\"effect\":\"allow\",\"action\":\"kms:Encrypt\",\"resource\":\"*\",\"condition\":\(c)") }
        refusal(cond(#"["ip_equal"]"#), .policyConditionError, contains: "statement[1].condition: must be an object")
        refusal(cond(#"{"ip_equal":{}}"#), .policyConditionError, contains: "statement[1].condition.`ip_equal`")
        refusal(cond(#"{"string_equal":{"qcs:ip":"1.2.3.4"}}"#), .policyConditionTypeError, contains: "statement[1].condition.`string_equal`: unsupported condition operator")
        refusal(cond(#"{"ip_equal":{"qcs:IP":"1.2.3.4"}}"#), .policyConditionContentError, contains: "statement[1].condition.`ip_equal`.`qcs:IP`: unsupported condition key")
        refusal(cond(#"{"ip_equal":{"qcs:current_time":"1.2.3.4"}}"#), .policyConditionContentError, contains: "ip_equal does not apply")
        refusal(cond(#"{"ip_equal":{"qcs:ip":["1.2.3.4","1.2.3.400"]}}"#), .policyConditionContentError, contains: "statement[1].condition.`ip_equal`.`qcs:ip`[1]: is not an IPv4/IPv6")
        refusal(cond(#"{"ip_equal":{"qcs:ip":"10.0.0.0/33"}}"#), .policyConditionContentError, contains: "`qcs:ip`: is not")
        refusal(cond(#"{"ip_equal":{"qcs:ip":[]}}"#), .policyConditionContentError, contains: "lists no value")
        refusal(cond(#"{"date_less_than":{"qcs:current_time":"2026-02-30T00:00:00Z"}}"#), .policyConditionContentError, contains: "is not an ISO 8601 time")
        refusal(cond(#"{"date_less_than":{"qcs:current_time":3}}"#), .policyConditionContentError, contains: "must be a string")
        refusal(cond(#"{"bool_equal":{"qcs:secure_transport":"yes"}}"#), .policyConditionContentError, contains: "is not true or false")
    }

    func testMessagesQuoteOnlyAShortToken() {
        let long = "kms:" + String(repeating: "A", count: 500)
        let reason = refusal(statement("\"effect\":\"allow\",\"action\":\"\(long)\",\"resource\":\"*\""), .policyActionNotExist, contains: "…")
        XCTAssertLessThan(reason.count, 160, reason)
    }
}
