import XCTest
import KMSAccess

/// How a set of policies decides: wildcards, case rules, resource- and operation-level actions,
/// explicit deny over allow, and nothing allowed by default.
final class PolicyDecisionTests: XCTestCase {
    typealias F = PolicyFixtures

    func testNoPolicyDeniesEverything() {
        XCTAssertTrue(PolicySet.empty.isEmpty)
        XCTAssertEqual(PolicySet.empty.decide(F.request("kms:Encrypt", F.key(F.keyA))), .implicitDeny)
        XCTAssertEqual(PolicySet([]).decide(F.request("kms:ListKeys", "*")), .implicitDeny)
    }

    func testAllowsOnlyTheNamedActionsOnTheNamedKey() throws {
        let set = try F.policies(F.allow(#"["kms:Encrypt","kms:Decrypt"]"#, "\"\(F.key(F.keyA))\""))
        XCTAssertEqual(set.decide(F.request("kms:Encrypt", F.key(F.keyA))), .allow)
        XCTAssertEqual(set.decide(F.request("kms:Decrypt", F.key(F.keyA))), .allow)
        XCTAssertEqual(set.decide(F.request("kms:Encrypt", F.key(F.keyB))), .implicitDeny)
        XCTAssertEqual(set.decide(F.request("kms:ScheduleKeyDeletion", F.key(F.keyA))), .implicitDeny)
        XCTAssertEqual(set.decide(F.request("kms:Encrypt", F.key(F.keyA, region: "ap-shanghai"))), .implicitDeny)
        XCTAssertEqual(set.decide(F.request("kms:Encrypt", F.key(F.keyA, owner: 100_000_000_002))), .implicitDeny)
        XCTAssertEqual(set.decide(F.request("cam:Encrypt", F.key(F.keyA))), .implicitDeny)
    }

    func testAResourceLevelStatementDoesNotGrantOperationLevelActions() throws {
        let set = try F.policies(F.allow(#"["kms:*"]"#, "\"qcs::kms:ap-guangzhou:uin/\(F.owner):key/*\""))
        XCTAssertEqual(set.decide(F.request("kms:DisableKey", F.key(F.keyB))), .allow)
        XCTAssertEqual(set.decide(F.request("kms:CreateKey", "*")), .implicitDeny)
        let everything = try F.policies(F.allow(#""kms:*""#, "\"*\""))
        XCTAssertEqual(everything.decide(F.request("kms:CreateKey", "*")), .allow)
    }

    func testActionWildcards() throws {
        let set = try F.policies(F.allow(#"["kms:Describe*","kms:*Rotation*","kms:Get*Status"]"#, "\"*\""))
        for allowed in ["kms:DescribeKey", "kms:DescribeKeys", "kms:EnableKeyRotation", "kms:DisableKeyRotation",
                        "kms:GetKeyRotationStatus", "kms:GetServiceStatus"] {
            XCTAssertEqual(set.decide(F.request(allowed, "*")), .allow, allowed)
        }
        for refused in ["kms:Encrypt", "kms:ListKeys", "kms:GetPublicKey", "cam:DescribeSafeAuthFlag"] {
            XCTAssertEqual(set.decide(F.request(refused, "*")), .implicitDeny, refused)
        }
        let all = try F.policies(F.allow(#""*""#, "\"*\""))
        XCTAssertEqual(all.decide(F.request("organization:CreateOrganizationMember", "*")), .allow)
        XCTAssertEqual(all.decide(F.request("cam:AddUser", "*")), .allow)
    }

    func testActionsIgnoreCaseOnServiceAndName() throws {
        let set = try F.policies(F.allow(#"["KMS:encrypt","Kms:DESCRIBE*"]"#, "\"*\""))
        XCTAssertEqual(set.decide(F.request("kms:Encrypt", F.key(F.keyA))), .allow)
        XCTAssertEqual(set.decide(F.request("kms:DescribeKey", F.key(F.keyA))), .allow)
        XCTAssertEqual(set.decide(F.request("KMS:ENCRYPT", F.key(F.keyA))), .allow)
        XCTAssertEqual(set.decide(F.request("kms:Decrypt", F.key(F.keyA))), .implicitDeny)
    }

    func testResourcesAreCaseSensitiveExceptTheService() throws {
        let upper = F.keyA.uppercased()
        let set = try F.policies(F.allow(#""kms:Encrypt""#, "\"qcs::KMS:ap-guangzhou:uin/\(F.owner):key/creatorUin/\(F.owner)/\(F.keyA)\""))
        XCTAssertEqual(set.decide(F.request("kms:Encrypt", F.key(F.keyA))), .allow)
        XCTAssertEqual(set.decide(F.request("kms:Encrypt", F.key(upper))), .implicitDeny)
    }

    func testResourceWildcardsInsideSegments() throws {
        let prefix = String(F.keyA.prefix(8))
        let set = try F.policies(
            F.allow(#""kms:Encrypt""#, "\"qcs::kms:ap-*:uin/\(F.owner):key/creatorUin/\(F.owner)/\(prefix)*\""),
            F.allow(#""kms:Decrypt""#, "\"qcs::kms::uin/\(F.owner):key/creatorUin/*/*\""),
            F.allow(#""kms:DescribeKey""#, "\"qcs::kms:ap-guangzhou::key/*\""),
            F.allow(#""kms:GetPublicKey""#, "\"qcs::*:*:*:*\""))
        XCTAssertEqual(set.decide(F.request("kms:Encrypt", F.key(F.keyA, region: "ap-beijing"))), .allow)
        XCTAssertEqual(set.decide(F.request("kms:Encrypt", F.key(F.keyB))), .implicitDeny)
        XCTAssertEqual(set.decide(F.request("kms:Encrypt", F.key(F.keyA, region: "na-ashburn"))), .implicitDeny)
        // An empty region or account is any.
        XCTAssertEqual(set.decide(F.request("kms:Decrypt", F.key(F.keyB, region: "na-ashburn"))), .allow)
        XCTAssertEqual(set.decide(F.request("kms:DescribeKey", F.key(F.keyB))), .allow)
        XCTAssertEqual(set.decide(F.request("kms:DescribeKey", F.key(F.keyB, region: "ap-shanghai"))), .implicitDeny)
        XCTAssertEqual(set.decide(F.request("kms:GetPublicKey", F.key(F.keyB))), .allow)
        // A malformed request resource matches only `*`.
        XCTAssertEqual(set.decide(F.request("kms:GetPublicKey", "qcs::kms:ap-guangzhou")), .implicitDeny)
        XCTAssertEqual(set.decide(F.request("kms:GetPublicKey", "*")), .implicitDeny)
    }

    func testExplicitDenyWinsOverAnyAllow() throws {
        let set = try F.policies(
            F.allow(#""kms:*""#, "\"*\""),
            F.allow(#"["kms:ScheduleKeyDeletion","kms:Disable*"]"#, "\"\(F.key(F.keyA))\"", effect: "Deny"))
        XCTAssertEqual(set.decide(F.request("kms:ScheduleKeyDeletion", F.key(F.keyA))), .explicitDeny)
        XCTAssertEqual(set.decide(F.request("kms:DisableKey", F.key(F.keyA))), .explicitDeny)
        XCTAssertEqual(set.decide(F.request("kms:ScheduleKeyDeletion", F.key(F.keyB))), .allow)
        XCTAssertEqual(set.decide(F.request("kms:Encrypt", F.key(F.keyA))), .allow)
        // The order of documents and statements does not matter.
        let reversed = try F.policies(
            F.allow(#""kms:ScheduleKeyDeletion""#, "\"*\"", effect: "deny"),
            F.allow(#""kms:ScheduleKeyDeletion""#, "\"*\""))
        XCTAssertEqual(reversed.decide(F.request("kms:ScheduleKeyDeletion", F.key(F.keyA))), .explicitDeny)
    }

    func testADenyAloneStillDeniesImplicitlyElsewhere() throws {
        let set = try F.policies(F.allow(#""kms:Encrypt""#, "\"*\"", effect: "deny"))
        XCTAssertEqual(set.decide(F.request("kms:Encrypt", F.key(F.keyA))), .explicitDeny)
        XCTAssertEqual(set.decide(F.request("kms:Decrypt", F.key(F.keyA))), .implicitDeny)
    }

    func testCAMAndOrganizationActionsAreGrantedLikeKMSOnes() throws {
        let set = try F.policies(F.allow(#"["cam:AddUser","cam:List*","organization:*Member*"]"#, "\"*\""))
        XCTAssertEqual(set.decide(F.request("cam:AddUser", "*")), .allow)
        XCTAssertEqual(set.decide(F.request("cam:ListUsers", "*")), .allow)
        XCTAssertEqual(set.decide(F.request("cam:DeleteUser", "*")), .implicitDeny)
        XCTAssertEqual(set.decide(F.request("organization:CreateOrganizationMember", "*")), .allow)
        XCTAssertEqual(set.decide(F.request("organization:DeleteOrganization", "*")), .implicitDeny)
    }

    func testResourceNameOfAKMSKey() {
        XCTAssertEqual(ResourceName.kmsKey(region: "ap-guangzhou", ownerUin: 100_000_000_001, keyId: "k"),
                       "qcs::kms:ap-guangzhou:uin/100000000001:key/creatorUin/100000000001/k")
    }
}
