import XCTest
@testable import KMSCore

/// The rules of a hosted data key (docs/DATA_KEYS.md), without a database: its state table, what
/// each state allows, what its CMK's state allows, its name and description.
final class HostedDataKeyRulesTests: XCTestCase {
    func dataKey(_ state: DataKeyState = .enabled) -> HostedDataKey {
        HostedDataKey(id: KeyID(random: Array(repeating: 7, count: 16)), appId: 1, region: "ap-guangzhou",
                      keyID: KeyID(random: Array(repeating: 9, count: 16)), name: "name", description: "", numberOfBytes: 32,
                      state: state, stateBeforeDeletion: state == .pendingDelete ? .enabled : nil, origin: .tencentKMS, creatorUin: 2,
                      createTime: 100, deletionDate: state == .pendingDelete ? 1000 : 0, ciphertext: [1], encryptionContext: "")
    }

    func code(_ body: () throws -> Void) -> KMSError.Code? {
        do { try body(); return nil } catch { return (error as? KMSError)?.code }
    }

    func testEnableAndDisableAreIdempotentAndRefusedWhilePendingDelete() throws {
        for start in [DataKeyState.enabled, .disabled] {
            var key = dataKey(start)
            try key.apply(.enable)
            XCTAssertEqual(key.state, .enabled)
            try key.apply(.disable)
            try key.apply(.disable)
            XCTAssertEqual(key.state, .disabled)
        }
        for transition in [DataKeyTransition.enable, .disable, .scheduleDeletion] {
            var key = dataKey(.pendingDelete)
            XCTAssertEqual(code { try key.apply(transition) }, .dataKeyStateNotSupport, "\(transition)")
        }
    }

    func testCancellingADeletionRestoresTheStateTheKeyHadWhenScheduled() throws {
        for start in [DataKeyState.enabled, .disabled] {
            var key = dataKey(start)
            try key.apply(.scheduleDeletion, deletionDate: 5000)
            XCTAssertEqual(key.state, .pendingDelete)
            XCTAssertEqual(key.deletionDate, 5000)
            XCTAssertEqual(key.stateBeforeDeletion, start)
            try key.apply(.cancelDeletion)
            XCTAssertEqual(key.state, start)
            XCTAssertEqual(key.deletionDate, 0)
            XCTAssertNil(key.stateBeforeDeletion)
            XCTAssertEqual(code { try key.apply(.cancelDeletion) }, .dataKeyNotPendingDelete)
        }
    }

    func testPlaintextAndCiphertextAreGivenOutOnlyWhileEnabled() {
        XCTAssertNil(code { try self.dataKey(.enabled).checkPlaintextReadable() })
        XCTAssertEqual(code { try self.dataKey(.disabled).checkPlaintextReadable() }, .dataKeyDisabled)
        XCTAssertEqual(code { try self.dataKey(.pendingDelete).checkPlaintextReadable() }, .dataKeyPendingDelete)
        XCTAssertNil(code { try self.dataKey(.enabled).checkCiphertextReadable() })
        XCTAssertEqual(code { try self.dataKey(.disabled).checkCiphertextReadable() }, .dataKeyStateNotSupport)
        XCTAssertEqual(code { try self.dataKey(.pendingDelete).checkCiphertextReadable() }, .dataKeyStateNotSupport)
    }

    func testADataKeyPastItsDeletionDateIsGone() {
        let key = dataKey(.pendingDelete)
        XCTAssertFalse(key.isDeleted(now: 999))
        XCTAssertTrue(key.isDeleted(now: 1000))
        XCTAssertEqual(code { try key.checkExists(now: 1000) }, .dataKeyNotFound)
    }

    func testOnlyKeysNotPendingDeleteCountAgainstTheQuota() {
        XCTAssertEqual(DataKeyState.allCases.filter(\.countsAgainstQuota), [.enabled, .disabled])
        XCTAssertEqual((0...4).map { DataKeyState(filterNumber: $0) }, [nil, .enabled, .disabled, .pendingDelete, nil])
    }

    func testTheCMKMustBeEnabledToOpenOrEnableADataKey() {
        for state in KeyState.allCases {
            let lifecycle = KeyLifecycle(state: state, hasMaterial: true)
            let expected: KMSError.Code? = state == .enabled ? nil : state == .disabled ? .cmkDisabled : .cmkStateNotSupport
            XCTAssertEqual(code { try lifecycle.checkCanOpenDataKey() }, expected, "\(state)")
            XCTAssertEqual(code { try lifecycle.checkCanEnableDataKey() }, state == .enabled ? nil : .cmkStateNotSupport, "\(state)")
        }
        XCTAssertEqual(code { try KeyLifecycle(state: .enabled, hasMaterial: true, isDeleted: true).checkCanOpenDataKey() }, .cmkNotFound)
    }

    func testNamesAreOneToSixtyLettersDigitsUnderscoresAndHyphensStartingAlphanumerically() {
        for good in ["a", "test_weijia_0123456", "Test6331120", "42tofUJQy1gVjfsuIS0sbDoSqtpKuiw3", String(repeating: "x", count: 60), "a-b"] {
            XCTAssertNil(code { try DataKeyRules.validateName(good) }, good)
        }
        for bad in ["", String(repeating: "x", count: 61), "_a", "-a", "a b", "a.b", "名字", "a\u{0}", "a/b"] {
            XCTAssertEqual(code { try DataKeyRules.validateName(bad) }, .invalidDataKeyName, bad)
        }
    }

    func testDescriptionsAreAtMostOneHundredBytesWithoutControlCharacters() {
        XCTAssertNil(code { try DataKeyRules.validateDescription("") })
        XCTAssertNil(code { try DataKeyRules.validateDescription(String(repeating: "x", count: 100)) })
        XCTAssertNil(code { try DataKeyRules.validateDescription(String(repeating: "测", count: 33)) })  // 99 bytes
        XCTAssertEqual(code { try DataKeyRules.validateDescription(String(repeating: "x", count: 101)) }, .invalidParameterValue)
        XCTAssertEqual(code { try DataKeyRules.validateDescription(String(repeating: "测", count: 34)) }, .invalidParameterValue)
        XCTAssertEqual(code { try DataKeyRules.validateDescription("a\nb") }, .invalidParameterValue)
    }
}
