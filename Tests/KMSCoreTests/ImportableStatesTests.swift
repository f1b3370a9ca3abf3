import XCTest
import KMSCore

/// The states storage lets an import attempt be claimed in, checked against the lifecycle rules.
final class ImportableStatesTests: XCTestCase {
    func testImportableStatesFollowTheLifecycle() {
        XCTAssertEqual(Set(ImportRules.importableStates.withMaterial), [.enabled, .pendingImport])
        // Without usable material every state but PendingDelete reads as PendingImport.
        XCTAssertEqual(Set(ImportRules.importableStates.withoutMaterial), [.enabled, .disabled, .archived, .pendingImport])
    }

    func testEveryStoredKeyAgreesWithItsLifecycle() {
        let now: Int64 = 1_000
        for state in KeyState.allCases {
            for (version, validTo) in [(UInt32(0), Int64(0)), (1, 0), (1, 2_000), (1, 500)] {
                let status = KeyStatus(state: state, origin: .external, validTo: validTo, currentVersion: version)
                let byRules = (try? status.lifecycle(now: now).applying(.importMaterial)) != nil
                let usable = version > 0 && (validTo == 0 || now < validTo)
                let byGuard = ImportRules.importableStates.withMaterial.contains(state)
                    || (ImportRules.importableStates.withoutMaterial.contains(state) && !usable)
                XCTAssertEqual(byGuard, byRules, "\(state) version \(version) validTo \(validTo)")
            }
        }
    }
}
