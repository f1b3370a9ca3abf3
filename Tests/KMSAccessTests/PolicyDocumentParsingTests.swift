import Foundation
import XCTest
import KMSAccess
import KMSCore

/// Documents that parse: Tencent's own examples (quoted from the CAM documentation), the forms of a
/// KMS resource Tencent's KMS documents, and what `normalizedText` returns.
final class PolicyDocumentParsingTests: XCTestCase {
    /// CAM "元素参考" (as quoted in cloud.tencent.com/document/product/378/8962): allow cam:* from one address.
    func testParsesTencentsConditionExample() throws {
        let text = """
        {
            "version": "2.0",
            "statement": [
                {
                    "effect": "allow",
                    "action": [
                        "cam:*"
                    ],
                    "resource": [
                        "*"
                    ],
                    "condition": {
                        "ip_equal": {
                            "qcs:ip": [
                                "10.9.189.79"
                            ]
                        }
                    }
                }
            ]
        }
        """
        let document = try PolicyDocument.parse(text)
        XCTAssertEqual(document.normalizedText,
                       #"{"version":"2.0","statement":[{"effect":"allow","action":["cam:*"],"resource":["*"],"condition":{"ip_equal":{"qcs:ip":["10.9.189.79"]}}}]}"#)
        let set = PolicySet([document])
        let inside = PolicyFixtures.context(ip: "10.9.189.79")
        XCTAssertEqual(set.decide(PolicyFixtures.request("cam:AddUser", "*", inside)), .allow)
        XCTAssertEqual(set.decide(PolicyFixtures.request("cam:AddUser", "*", PolicyFixtures.context(ip: "10.9.189.80"))), .implicitDeny)
    }

    /// CAM "条件" (product/598/73087): several values of one key are ORed, with host bits in the CIDR
    /// as Tencent writes them. Tencent's example names `cos:PutObject`; the action is KMS's here.
    func testParsesTencentsMultiValueIPExample() throws {
        let text = #"{"version": "2.0","statement":[{"effect": "allow","action": "kms:Encrypt","resource": "*","condition": {"ip_equal": {"qcs:ip": ["10.217.182.3/24","111.21.33.72/24"]}}}]}"#
        let set = PolicySet([try PolicyDocument.parse(text)])
        for ip in ["10.217.182.200", "111.21.33.1"] {
            XCTAssertEqual(set.decide(PolicyFixtures.request("kms:Encrypt", PolicyFixtures.key(PolicyFixtures.keyA), PolicyFixtures.context(ip: ip))), .allow, ip)
        }
        XCTAssertEqual(set.decide(PolicyFixtures.request("kms:Encrypt", PolicyFixtures.key(PolicyFixtures.keyA), PolicyFixtures.context(ip: "10.217.183.1"))), .implicitDeny)
    }

    /// KMS "可授权的资源类型" (product/573/10128): every key, a creator's keys, one key.
    func testParsesTencentsKMSResourceForms() throws {
        let owner = PolicyFixtures.owner
        for resource in ["qcs::kms:ap-guangzhou:uin/\(owner):key/*",
                         "qcs::kms:ap-guangzhou:uin/\(owner):key/creatorUin/\(owner)/*",
                         "qcs::kms:ap-guangzhou:uin/\(owner):key/creatorUin/\(owner)/\(PolicyFixtures.keyA)"] {
            let set = try PolicyFixtures.policies(PolicyFixtures.allow(#"["kms:Encrypt"]"#, "\"\(resource)\""))
            XCTAssertEqual(set.decide(PolicyFixtures.request("kms:Encrypt", PolicyFixtures.key(PolicyFixtures.keyA))), .allow, resource)
        }
    }

    /// Tencent's documents write API actions as `name/service:Action`; both spellings mean the same.
    func testAcceptsTheNamePrefixOnActions() throws {
        let set = try PolicyFixtures.policies(PolicyFixtures.allow(#"["name/kms:Decrypt"]"#, "\"*\""))
        XCTAssertEqual(set.decide(PolicyFixtures.request("kms:Decrypt", PolicyFixtures.key(PolicyFixtures.keyA))), .allow)
    }

    func testAcceptsASingleStatementObjectAndSingleStrings() throws {
        let text = #"{"version":"2.0","statement":{"effect":"ALLOW","action":"kms:ListKeys","resource":"*"}}"#
        let set = PolicySet([try PolicyDocument.parse(text)])
        XCTAssertEqual(set.decide(PolicyFixtures.request("kms:ListKeys", "*")), .allow)
    }

    func testDecodesAURLEncodedDocument() throws {
        let plain = PolicyFixtures.allow(#"["kms:Encrypt"]"#, "\"*\"")
        var unreserved = CharacterSet.alphanumerics
        unreserved.insert(charactersIn: "-._~")
        for format in ["%%%02x", "%%%02X"] {
            let encoded = plain.unicodeScalars.map { unreserved.contains($0) ? String($0) : String(format: format, $0.value) }.joined()
            XCTAssertTrue(encoded.lowercased().hasPrefix("%7b"))
            XCTAssertEqual(try PolicyDocument.parse(encoded).normalizedText, plain, format)
        }
        // Only a document that starts with %7B is decoded: `%` elsewhere is the document's own.
        XCTAssertThrowsError(try PolicyDocument.parse(" %7B%7D"))
    }

    func testNormalizedTextIsCompactAndKeepsTheMembersOrder() throws {
        let text = "{ \"statement\" : [ { \"resource\" : \"*\", \"effect\" : \"deny\" , \"action\" : \"kms:*\" } ],\n \"version\" : \"2.0\" }"
        XCTAssertEqual(try PolicyDocument.parse(text).normalizedText,
                       #"{"statement":[{"resource":"*","effect":"deny","action":"kms:*"}],"version":"2.0"}"#)
    }

    func testAcceptsADocumentOfExactlyTheMaximumLength() throws {
        let base = PolicyFixtures.allow(#"["kms:Encrypt"]"#, "\"*\"")
        let padded = base + String(repeating: " ", count: PolicyDocument.maximumLength - base.count)
        XCTAssertEqual(padded.count, 6144)
        XCTAssertNoThrow(try PolicyDocument.parse(padded))
    }
}
