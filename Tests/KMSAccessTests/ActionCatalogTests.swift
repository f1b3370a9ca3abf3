import XCTest
import KMSAccess

/// The catalog holds every action of the three services, compared without regard to case.
final class ActionCatalogTests: XCTestCase {
    func testKnowsEveryKMSActionIncludingOnesThisServiceDoesNotImplement() {
        for action in ["kms:Encrypt", "kms:CreateKey", "kms:ScheduleKeyDeletion", "kms:CreateWhiteBoxKey",
                       "kms:PostQuantumCryptoSign", "kms:ListAlgorithms"] {
            XCTAssertTrue(ActionCatalog.isKnown(action), action)
        }
    }

    func testKnowsCAMAndOrganizationActions() {
        for action in ["cam:AddUser", "cam:CreateAccessKey", "cam:AttachUserPolicy", "cam:ListAttachedUserPolicies",
                       "organization:CreateOrganizationMember", "organization:DescribeOrganization"] {
            XCTAssertTrue(ActionCatalog.isKnown(action), action)
        }
    }

    func testComparesWithoutCaseAndRefusesTheRest() {
        XCTAssertTrue(ActionCatalog.isKnown("KMS:encrypt"))
        for action in ["kms:Encrpyt", "kms:", "kms", "Encrypt", "cvm:RunInstances", "kms:*", "", ":Encrypt"] {
            XCTAssertFalse(ActionCatalog.isKnown(action), action)
        }
        XCTAssertEqual(ActionCatalog.services, ["kms", "cam", "organization"])
    }
}
