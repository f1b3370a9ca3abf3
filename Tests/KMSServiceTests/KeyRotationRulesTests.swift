import XCTest
import KMSCore
@testable import KMSService

/// Which keys rotation accepts, decided before anything is written (no database needed).
final class KeyRotationRulesTests: XCTestCase {
    func key(_ origin: KeyOrigin, _ state: KeyState, deletionDate: Int64 = 0) -> CustomerMasterKey {
        CustomerMasterKey(id: KeyID(random: Array(repeating: 3, count: 16)), appId: 1, region: "r", alias: "a", description: "",
                          keyUsage: .encryptDecrypt, origin: origin, state: state, creatorUin: 1, createTime: 0,
                          deletionDate: deletionDate, currentVersion: origin == .external ? 0 : 1)
    }

    func code(_ body: () throws -> Void) -> KMSError.Code? {
        do { try body(); return nil } catch { return (error as? KMSError)?.code }
    }

    func testServiceGeneratedKeysRotateInEveryStateButPendingDelete() {
        for state in [KeyState.enabled, .disabled, .archived] {
            XCTAssertNil(code { try KeyOperations.checkRotatable(key(.tencentKMS, state), now: 0) }, "\(state)")
        }
        XCTAssertEqual(code { try KeyOperations.checkRotatable(key(.tencentKMS, .pendingDelete, deletionDate: 100), now: 0) },
                       .cmkStateNotSupport)
    }

    func testExternalKeysNeverRotate() {
        XCTAssertEqual(code { try KeyOperations.checkRotatable(key(.external, .enabled), now: 0) }, .externalCmkCanNotRotate)
    }
}
