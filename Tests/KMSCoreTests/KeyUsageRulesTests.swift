import KMSCore
import XCTest

/// Which usages each region offers and which actions each usage allows (SPEC §9), with the code
/// each action's Tencent documentation lists for a misuse.
final class KeyUsageRulesTests: XCTestCase {
    func testEachRegionProfileOffersItsOwnKeyPairsAndSymmetricKeysEverywhere() {
        XCTAssertEqual(KeyUsage.offered(in: .fips), [.encryptDecrypt, .asymmetricDecryptRSA2048, .asymmetricSignVerifyRSA2048,
                                                     .asymmetricSignVerifyECC, .asymmetricSignVerifyECDSA384])
        XCTAssertEqual(KeyUsage.offered(in: .sm), [.encryptDecrypt, .asymmetricDecryptSM2, .asymmetricSignVerifySM2])
        for usage in KeyUsage.allCases {
            XCTAssertEqual(usage.isAsymmetric, usage.keyPair != nil, usage.rawValue)
            XCTAssertEqual(usage.decrypts || usage.signs, usage.isAsymmetric, usage.rawValue)
            XCTAssertFalse(usage.decrypts && usage.signs, usage.rawValue)
        }
    }

    func testTencentsNamesAreTheRawValues() {
        XCTAssertEqual(KeyUsage.allCases.map(\.rawValue), [
            "ENCRYPT_DECRYPT", "ASYMMETRIC_DECRYPT_RSA_2048", "ASYMMETRIC_DECRYPT_SM2", "ASYMMETRIC_SIGN_VERIFY_SM2",
            "ASYMMETRIC_SIGN_VERIFY_RSA_2048", "ASYMMETRIC_SIGN_VERIFY_ECC", "ASYMMETRIC_SIGN_VERIFY_ECDSA384",
        ])
        XCTAssertEqual(SignatureAlgorithm.allCases.map(\.rawValue),
                       ["SM2DSA", "ECC_P256_R1", "ECDSA384_SHA384", "RSA_PSS_SHA_256", "RSA_PKCS1_SHA_256"])
        XCTAssertEqual(KeyPairSpec.allCases.map(\.rawValue), ["RSA_2048", "SM2", "ECC", "ECDSA384_SHA384"])
    }

    func testEverySigningAlgorithmBelongsToExactlyOneUsage() {
        for algorithm in SignatureAlgorithm.allCases {
            let usages = KeyUsage.allCases.filter { $0.signatureAlgorithms.contains(algorithm) }
            XCTAssertEqual(usages.count, 1, algorithm.rawValue)
            XCTAssertNoThrow(try usages[0].checkSigns(algorithm))
        }
        XCTAssertEqual(SignatureAlgorithm.ecdsa384SHA384.digestLength, 48)
        XCTAssertEqual(SignatureAlgorithm.sm2DSA.digestLength, 32)
    }

    func testMisusesAnswerTheCodesTencentListsForEachAction() {
        func code(_ body: () throws -> Void) -> KMSError.Code? {
            do { try body(); return nil } catch { return (error as? KMSError)?.code }
        }
        for usage in KeyUsage.allCases where usage.isAsymmetric {
            XCTAssertEqual(code { try usage.checkSymmetric() }, .invalidKeyUsage, usage.rawValue)
            XCTAssertEqual(code { try usage.checkRotatable() }, .cmkStateNotSupport, usage.rawValue)
            XCTAssertNil(code { try usage.checkAsymmetric() }, usage.rawValue)
        }
        XCTAssertNil(code { try KeyUsage.encryptDecrypt.checkSymmetric() })
        XCTAssertEqual(code { try KeyUsage.encryptDecrypt.checkAsymmetric() }, .cmkStateNotSupport)
        XCTAssertEqual(code { try KeyUsage.encryptDecrypt.checkSigns(.eccP256R1) }, .cmkStateNotSupport)
        XCTAssertEqual(code { try KeyUsage.asymmetricDecryptRSA2048.checkSigns(.rsaPSSSHA256) }, .cmkStateNotSupport)
        XCTAssertEqual(code { try KeyUsage.asymmetricSignVerifyECC.checkSigns(.sm2DSA) }, .invalidParameter)
        XCTAssertEqual(code { try KeyUsage.asymmetricSignVerifyRSA2048.checkDecrypts(.rsaesOAEPSHA256) }, .invalidKeyUsage)
        XCTAssertEqual(code { try KeyUsage.asymmetricDecryptSM2.checkDecrypts(.rsaesPKCS1v15) }, .invalidKeyUsage)
        XCTAssertEqual(code { try KeyUsage.asymmetricDecryptRSA2048.checkDecrypts(.sm2C1C3C2ASN1) }, .invalidKeyUsage)
        XCTAssertNil(code { try KeyUsage.asymmetricDecryptSM2.checkDecrypts(.sm2C1C3C2ASN1) })
        XCTAssertNil(code { try KeyUsage.asymmetricDecryptRSA2048.checkDecrypts(.rsaesOAEPSHA1) })
    }

    /// A use is checked in one order: gone, then usage, then state; each check once, in the lifecycle.
    func testTheLifecycleChecksExistenceThenUsageThenState() {
        func code(_ body: () throws -> Void) -> KMSError.Code? {
            do { try body(); return nil } catch { return (error as? KMSError)?.code }
        }
        let gone = KeyLifecycle(state: .pendingDelete, hasMaterial: true, isDeleted: true, keyUsage: .asymmetricSignVerifyECC)
        XCTAssertEqual(code { try gone.checkCanEncrypt() }, .cmkNotFound)
        XCTAssertEqual(code { try gone.checkCanDecrypt() }, .cmkNotFound)
        XCTAssertEqual(code { try gone.checkCanUseKeyPair { try $0.checkSigns(.eccP256R1) } }, .cmkNotFound)

        let disabledPair = KeyLifecycle(state: .disabled, hasMaterial: true, keyUsage: .asymmetricSignVerifyECC)
        XCTAssertEqual(code { try disabledPair.checkCanEncrypt() }, .invalidKeyUsage, "usage before state")
        XCTAssertEqual(code { try disabledPair.checkCanDecrypt() }, .invalidCiphertext, "usage before state")
        XCTAssertEqual(code { try disabledPair.checkCanUseKeyPair { try $0.checkSigns(.sm2DSA) } }, .invalidParameter)
        XCTAssertEqual(code { try disabledPair.checkCanUseKeyPair { try $0.checkSigns(.eccP256R1) } }, .cmkStateNotSupport)

        for state in KeyState.allCases {
            let pair = KeyLifecycle(state: state, hasMaterial: true, keyUsage: .asymmetricDecryptSM2)
            XCTAssertEqual(code { try pair.checkCanUseKeyPair { try $0.checkDecrypts(.sm2C1C3C2ASN1) } },
                           state == .enabled ? nil : .cmkStateNotSupport, state.rawValue)
        }
        let symmetric = KeyLifecycle(state: .enabled, hasMaterial: true)
        XCTAssertNil(code { try symmetric.checkCanEncrypt() })
        XCTAssertNil(code { try symmetric.checkCanDecrypt() })
        XCTAssertEqual(code { try symmetric.checkCanUseKeyPair { try $0.checkAsymmetric() } }, .cmkStateNotSupport)
    }

    func testAStatusCarriesItsKeysUsage() {
        let key = CustomerMasterKey(id: KeyID(random: Array(repeating: 7, count: 16)), appId: 1, region: "r", alias: "a",
                                    description: "", keyUsage: .asymmetricSignVerifySM2, origin: .tencentKMS, state: .enabled,
                                    creatorUin: 1, createTime: 0, currentVersion: 1)
        XCTAssertEqual(key.status.keyUsage, .asymmetricSignVerifySM2)
        XCTAssertEqual(key.lifecycle(now: 0).keyUsage, .asymmetricSignVerifySM2)
    }
}
