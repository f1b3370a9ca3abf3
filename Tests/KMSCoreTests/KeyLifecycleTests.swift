import XCTest
@testable import KMSCore

/// Every state × every transition of SPEC §3, written out as the table it is.
final class KeyLifecycleTests: XCTestCase {
    typealias Outcome = Result<KeyState, KMSError>

    func expected(_ state: KeyState, _ t: KeyTransition, hasMaterial: Bool) -> Outcome {
        let notSupported = Outcome.failure(KMSError(.cmkStateNotSupport))
        switch (t, state) {
        case (.enable, .disabled), (.enable, .enabled): return .success(.enabled)
        case (.enable, _): return notSupported
        case (.disable, .enabled), (.disable, .disabled): return .success(.disabled)
        case (.disable, _): return notSupported
        case (.scheduleDeletion, .disabled), (.scheduleDeletion, .pendingImport): return .success(.pendingDelete)
        case (.scheduleDeletion, .enabled): return .failure(KMSError(.cmkShouldBeDisabled))
        case (.scheduleDeletion, _): return notSupported
        case (.cancelDeletion, .pendingDelete): return .success(hasMaterial ? .disabled : .pendingImport)
        case (.cancelDeletion, _): return .failure(KMSError(.cmkNotPendingDelete))
        case (.archive, .enabled): return .success(.archived)
        case (.archive, _): return notSupported
        case (.cancelArchive, .archived): return .success(.enabled)
        case (.cancelArchive, _): return notSupported
        case (.importMaterial, .pendingImport), (.importMaterial, .enabled): return .success(.enabled)
        case (.importMaterial, _): return notSupported
        case (.removeMaterial, .enabled), (.removeMaterial, .disabled), (.removeMaterial, .archived): return .success(.pendingImport)
        case (.removeMaterial, _): return notSupported
        }
    }

    func testEveryStateAndTransitionFollowsTheTable() {
        for state in KeyState.allCases {
            for transition in KeyTransition.allCases {
                for hasMaterial in [true, false] {
                    let lifecycle = KeyLifecycle(state: state, hasMaterial: hasMaterial)
                    let actual: Outcome
                    do { actual = .success(try lifecycle.applying(transition)) } catch { actual = .failure(error as! KMSError) }
                    XCTAssertEqual(actual, expected(state, transition, hasMaterial: hasMaterial), "\(state) \(transition) \(hasMaterial)")
                }
            }
        }
    }

    func testUseByState() {
        let cases: [(KeyState, KMSError.Code?, KMSError.Code?)] = [
            (.enabled, nil, nil),
            (.disabled, .cmkDisabled, .cmkDisabled),
            (.pendingDelete, .keyPendingDelete, .keyPendingDelete),
            (.pendingImport, .cmkStateNotSupport, .cmkStateNotSupport),
            (.archived, .cmkArchived, nil),
        ]
        for (state, encryptError, decryptError) in cases {
            let lifecycle = KeyLifecycle(state: state, hasMaterial: true)
            XCTAssertEqual(Result { try lifecycle.checkCanEncrypt() }.failureCode, encryptError, "encrypt \(state)")
            XCTAssertEqual(Result { try lifecycle.checkCanDecrypt() }.failureCode, decryptError, "decrypt \(state)")
        }
    }

    func testExpiredExternalMaterialReadsAsPendingImport() {
        let key = CustomerMasterKey(id: KeyID(random: Array(repeating: 1, count: 16)), appId: 1, region: "r", alias: "a",
                                    description: "", keyUsage: .encryptDecrypt, origin: .external, state: .enabled,
                                    creatorUin: 1, createTime: 0, validTo: 100, currentVersion: 1)
        XCTAssertEqual(key.lifecycle(now: 99).state, .enabled)
        XCTAssertEqual(key.lifecycle(now: 100).state, .pendingImport)
        XCTAssertThrowsError(try key.lifecycle(now: 100).checkCanEncrypt())
    }

    func pendingDeleteKey(deletionDate: Int64) -> CustomerMasterKey {
        CustomerMasterKey(id: KeyID(random: Array(repeating: 2, count: 16)), appId: 1, region: "r", alias: "a",
                          description: "", keyUsage: .encryptDecrypt, origin: .tencentKMS, state: .pendingDelete,
                          creatorUin: 1, createTime: 0, deletionDate: deletionDate, currentVersion: 1)
    }

    func testKeyPastItsDeletionDateIsNotFoundForEveryUseAndTransition() {
        let key = pendingDeleteKey(deletionDate: 1000)
        let before = key.lifecycle(now: 999)
        XCTAssertFalse(before.isDeleted)
        XCTAssertEqual(Result { try before.applying(.cancelDeletion) }.failureCode, nil)
        XCTAssertEqual(Result { try before.checkCanDecrypt() }.failureCode, .keyPendingDelete)
        for now: Int64 in [1000, 1001, 10_000_000] {
            let gone = key.lifecycle(now: now)
            XCTAssertTrue(gone.isDeleted, "\(now)")
            XCTAssertEqual(Result { try gone.checkExists() }.failureCode, .cmkNotFound)
            XCTAssertEqual(Result { try gone.checkCanEncrypt() }.failureCode, .cmkNotFound)
            XCTAssertEqual(Result { try gone.checkCanDecrypt() }.failureCode, .cmkNotFound)
            XCTAssertEqual(Result { try gone.checkCanEditMetadata() }.failureCode, .cmkNotFound)
            for transition in KeyTransition.allCases {
                XCTAssertEqual(Result { try gone.applying(transition) }.failureCode, .cmkNotFound, "\(transition)")
            }
        }
        // The rule lives in the status too, which is all the key cache keeps.
        XCTAssertTrue(key.status.lifecycle(now: 1000).isDeleted)
    }

    func testOnlyAPendingDeleteKeyWithADeletionDateCanBeGone() {
        var key = pendingDeleteKey(deletionDate: 0)
        XCTAssertFalse(key.lifecycle(now: 5).isDeleted)
        key.deletionDate = 4
        for state in KeyState.allCases where state != .pendingDelete {
            key.state = state
            XCTAssertFalse(key.lifecycle(now: 5).isDeleted, "\(state)")
        }
    }

    func testRotateKeyNeedsRotationEnabledAndAtMostOnceIn24Hours() {
        let day = KeySchedule.day
        XCTAssertEqual(Result { try KeySchedule.checkManualRotation(rotationEnabled: false, lastRotateTime: 0, now: 10 * day) }.failureCode,
                       .rotateNotSupported)
        XCTAssertEqual(Result { try KeySchedule.checkManualRotation(rotationEnabled: true, lastRotateTime: 0, now: 10 * day) }.failureCode, nil)
        XCTAssertEqual(Result { try KeySchedule.checkManualRotation(rotationEnabled: true, lastRotateTime: 9 * day + 1, now: 10 * day) }.failureCode,
                       .rotateRateLimited)
        XCTAssertEqual(Result { try KeySchedule.checkManualRotation(rotationEnabled: true, lastRotateTime: 9 * day, now: 10 * day) }.failureCode, nil)
    }
}

extension Result where Failure == Error {
    var failureCode: KMSError.Code? {
        if case .failure(let e) = self { return (e as? KMSError)?.code ?? .internalError }
        return nil
    }
}
