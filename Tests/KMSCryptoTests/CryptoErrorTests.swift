@testable import KMSCrypto
import KMSCore
import XCTest

final class CryptoErrorTests: XCTestCase {
    func testOpenSSLFailuresCarryTheDrainedErrorQueue() throws {
        XCTAssertThrowsError(try PublicKey(spkiDER: [0x30, 0x03, 0x02, 0x01, 0x05])) { error in
            let reason = (error as? CryptoError)?.reason ?? ""
            XCTAssertTrue(reason.hasPrefix("SubjectPublicKeyInfo failed: "), reason)
        }
        XCTAssertEqual(CryptoError.drainErrorQueue(), [], "a failure must leave no stale entry behind")
    }

    func testAuthenticationFailuresLeaveTheQueueEmpty() throws {
        let key = try PrivateKey.generateSM2()
        XCTAssertThrowsError(try key.decrypt(Random.bytes(120), padding: .sm2PKE))
        XCTAssertThrowsError(try AES256GCM(key: Random.secret(32))
            .open([1], tag: [UInt8](repeating: 0, count: 16), nonce: [UInt8](repeating: 0, count: 12), aad: []))
        XCTAssertEqual(CryptoError.drainErrorQueue(), [])
    }

    func testDescriptionNamesTheReasonAndWhereItWasRaised() {
        let error = CryptoError("nonce must be 12 bytes")
        XCTAssertEqual(error.reason, "nonce must be 12 bytes")
        XCTAssertTrue(error.description.contains("nonce must be 12 bytes"))
        XCTAssertTrue(error.description.contains("CryptoErrorTests.swift"))
    }
}
