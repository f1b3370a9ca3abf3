import XCTest
@testable import KMSAPI
import KMSCore

/// The Organization (2021-03-31) actions of the table: which exist, which change state, and that
/// each declares exactly the fields of the SDK's request model with their types.
final class OrganizationActionTableTests: XCTestCase {
    static var organization: [String: ActionSpec] { ActionTable.all.filter { $0.value.service == .organization } }

    /// Each action's request fields in tencentcloud-sdk-python-organization 3.1.193
    /// (`organization/v20210331/models.py`, the `:type` lines of `<Action>Request.__init__`):
    /// str → string, int → integer, list of int → integerArray, list of Tag → objectArray.
    static let sdkRequestFields: [String: [String: ParameterType]] = [
        "CreateOrganizationMember": ["Name": .string, "PolicyType": .string, "PermissionIds": .integerArray, "NodeId": .integer,
                                     "AccountName": .string, "Remark": .string, "RecordId": .integer, "PayUin": .string,
                                     "IdentityRoleID": .integerArray, "AuthRelationId": .integer, "Tags": .objectArray],
        "DescribeOrganizationMembers": ["Offset": .integer, "Limit": .integer, "Lang": .string, "SearchKey": .string,
                                        "AuthName": .string, "Product": .string, "Tags": .objectArray, "NodeId": .integer,
                                        "NodeName": .string],
        "DeleteOrganizationMembers": ["MemberUin": .integerArray],
        "DescribeOrganization": ["Lang": .string, "Product": .string],
        "DescribeOrganizationNodes": ["Limit": .integer, "Offset": .integer, "Tags": .objectArray],
    ]

    /// Required as Tencent's reference marks them, except Offset/Limit of the listings, which
    /// default to 0/10 here as Tencent's descriptions say (docs/OPERATIONS.md).
    static let required: [String: Set<String>] = [
        "CreateOrganizationMember": ["Name", "PolicyType", "PermissionIds", "NodeId", "AccountName"],
        "DescribeOrganizationMembers": [], "DeleteOrganizationMembers": ["MemberUin"], "DescribeOrganization": [],
        "DescribeOrganizationNodes": [],
    ]

    func testTheOrganizationActionsAreExactlyTheseUnderTheOrganizationService() {
        XCTAssertEqual(ActionTable.names(of: .organization), Self.sdkRequestFields.keys.sorted())
        XCTAssertEqual(APIService.organization.version, "2021-03-31")
        XCTAssertFalse(APIService.organization.isRegional)
    }

    func testCreatingAndDisablingMembersAreAuditedWithTheChange() {
        XCTAssertEqual(Set(Self.organization.values.filter(\.mutates).map(\.name)),
                       ["CreateOrganizationMember", "DeleteOrganizationMembers"])
    }

    func testEveryActionDeclaresEachSDKRequestFieldOnceWithItsSDKType() {
        for (name, spec) in Self.organization {
            let declared = Dictionary(spec.parameters.map { ($0.name, $0.type) }, uniquingKeysWith: { first, _ in first })
            XCTAssertEqual(spec.parameters.count, declared.count, "\(name) declares a parameter twice")
            XCTAssertEqual(declared, Self.sdkRequestFields[name], name)
            XCTAssertEqual(Set(spec.parameters.filter(\.required).map(\.name)), Self.required[name], name)
        }
    }

    func testBillingAndRetryParametersAreRefusedRatherThanIgnored() {
        let unsupported = Set(Self.organization["CreateOrganizationMember"]!.parameters.filter(\.unsupported).map(\.name))
        XCTAssertEqual(unsupported, ["RecordId", "PayUin", "AuthRelationId", "Tags"])
    }
}
