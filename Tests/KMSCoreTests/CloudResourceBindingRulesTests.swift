import XCTest
@testable import KMSCore

/// BindCloudResource / UnbindCloudResource: which parameters are accepted, which key states may be
/// bound, and that a bound key refuses what would take it from its product.
final class CloudResourceBindingRulesTests: XCTestCase {
    func code(_ productId: String, _ resourceId: String) -> KMSError.Code? {
        do { _ = try CloudResourceBinding.validated(productId: productId, resourceId: resourceId); return nil }
        catch { return (error as? KMSError)?.code }
    }

    func testTencentsExampleValuesAreAccepted() {
        XCTAssertNil(code("ssm", "resourceId"))
        XCTAssertNil(code("mysql", "cdb-fitq5t9h"))
        XCTAssertNil(code("cos", "bucket-1250000000/路径/对象#1"))
        XCTAssertNil(code(String(repeating: "p", count: 64), String(repeating: "r", count: 512)))
    }

    func testProductIdsAreShortNamesAndResourceIdsBoundedTextWithoutControls() {
        XCTAssertEqual(code("", "r"), .invalidParameter)
        XCTAssertEqual(code(String(repeating: "p", count: 65), "r"), .invalidParameter)
        XCTAssertEqual(code("my product", "r"), .invalidParameter)
        XCTAssertEqual(code("产品", "r"), .invalidParameter)
        XCTAssertEqual(code("p", ""), .invalidParameter)
        XCTAssertEqual(code("p", String(repeating: "r", count: 513)), .invalidParameter)
        XCTAssertEqual(code("p", String(repeating: "资", count: 171)), .invalidParameter) // 513 bytes
        XCTAssertEqual(code("p", "a\nb"), .invalidParameter)
        XCTAssertEqual(code("p", "a\u{7F}b"), .invalidParameter)
    }

    func testOnlyAnEnabledKeyCanBeBound() {
        for state in KeyState.allCases {
            do {
                try CloudResourceBinding.checkBindable(state)
                XCTAssertEqual(state, .enabled)
            } catch {
                XCTAssertNotEqual(state, .enabled)
                XCTAssertEqual((error as? KMSError)?.code, .cmkStateNotSupport)
            }
        }
    }

    func testABoundKeyIsUsedByACloudProduct() {
        XCTAssertNoThrow(try CloudResourceBinding.checkUnbound(bindingCount: 0))
        XCTAssertThrowsError(try CloudResourceBinding.checkUnbound(bindingCount: 1)) {
            XCTAssertEqual(($0 as? KMSError)?.code, .cmkUsedByCloudProduct)
        }
    }
}
