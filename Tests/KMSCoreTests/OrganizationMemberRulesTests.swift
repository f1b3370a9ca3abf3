import XCTest
import KMSCore

/// Tencent Organization's rules for a new member's name, policy and node, and its time text.
final class OrganizationMemberRulesTests: XCTestCase {
    func code(_ body: () throws -> Void) -> KMSError.Code? {
        do { try body(); return nil } catch { return (error as? KMSError)?.code }
    }

    func testNamesOfLettersDigitsChineseAndTheListedSymbolsUpTo25CharactersAreAccepted() {
        for name in ["a", "tenant-1", "Team_A.prod", "a+b@c&d.e_f[g]-h:i,j", "财务部门", String(repeating: "x", count: 25),
                     String(repeating: "名", count: 25)] {
            XCTAssertNil(code { try OrganizationMember.validateName(name, parameter: "Name") }, name)
        }
    }

    func testOtherNamesAreInvalidParameterValueNamingTheParameter() {
        for name in ["", String(repeating: "x", count: 26), "has space", "semi;colon", "slash/", "quote\"", "tab\t", "émile", "😀"] {
            XCTAssertThrowsError(try OrganizationMember.validateName(name, parameter: "AccountName"), name) {
                XCTAssertEqual(($0 as? KMSError)?.code, .invalidParameterValue, name)
                XCTAssertTrue(($0 as? KMSError)?.reason.contains("AccountName") ?? false, name)
            }
        }
    }

    func testTheFinancialPolicyNeedsPermissions1And2AndKnownIdsOnly() {
        XCTAssertNil(code { try OrganizationMember.validateFinancialPolicy(type: "Financial", permissions: [1, 2]) })
        XCTAssertNil(code { try OrganizationMember.validateFinancialPolicy(type: "Financial", permissions: [2, 1, 7, 10]) })
        XCTAssertEqual(code { try OrganizationMember.validateFinancialPolicy(type: "financial", permissions: [1, 2]) }, .invalidParameterValue)
        XCTAssertEqual(code { try OrganizationMember.validateFinancialPolicy(type: "Financial", permissions: [1]) }, .invalidParameterValue)
        XCTAssertEqual(code { try OrganizationMember.validateFinancialPolicy(type: "Financial", permissions: []) }, .invalidParameterValue)
        XCTAssertEqual(code { try OrganizationMember.validateFinancialPolicy(type: "Financial", permissions: [1, 2, 0]) }, .invalidParameterValue)
        XCTAssertEqual(code { try OrganizationMember.validateFinancialPolicy(type: "Financial", permissions: [1, 2, 11]) }, .invalidParameterValue)
    }

    func testOnlyTheRootNodeExists() {
        XCTAssertNil(code { try OrganizationMember.checkNode(OrganizationMember.rootNodeId) })
        for node: Int64 in [0, 2, -1, 2013128] {
            XCTAssertEqual(code { try OrganizationMember.checkNode(node) }, .organizationNodeNotExist, "\(node)")
        }
    }

    func testTimesAreTencentsTextInUTC() {
        XCTAssertEqual(OrganizationMember.timeText(0), "1970-01-01 00:00:00")
        XCTAssertEqual(OrganizationMember.timeText(1_618_661_947), "2021-04-17 12:19:07")
        XCTAssertEqual(OrganizationMember.timeText(951_782_399), "2000-02-28 23:59:59")
        XCTAssertEqual(OrganizationMember.timeText(951_868_800), "2000-03-01 00:00:00")
    }
}
