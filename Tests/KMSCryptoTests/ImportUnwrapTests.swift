import KMSCore
@testable import KMSCrypto
import XCTest

/// The PKCS#1 v1.5 unwrap without a padding oracle, and SM2 ciphertexts with nothing trailing.
final class ImportUnwrapTests: XCTestCase {
    private static let key = try! PrivateKey.generateRSA2048()  // RSA generation is slow; share one

    /// The bare RSA encryption of a 256-byte encoded message, so blocks can be forged.
    private func forge(_ block: [UInt8]) throws -> [UInt8] {
        let publicKey = try PublicKey(spkiDER: Self.key.publicKeySPKIDER())
        return try PKeyContext(key: publicKey.key).encrypt(SecureBytes(block), padding: .raw)
    }

    private func block(_ message: [UInt8], type: UInt8 = 2, separator: UInt8 = 0) -> [UInt8] {
        let filler = Random.bytes(256 - 3 - message.count).map { $0 == 0 ? 1 : $0 }
        return [0, type] + filler + [separator] + message
    }

    func testPKCS1UnwrapReturnsTheMaterialOfAWellFormedBlock() throws {
        let material = Random.secret(32)
        let publicKey = try PublicKey(spkiDER: Self.key.publicKeySPKIDER())
        let wrapped = try publicKey.encrypt(material, algorithm: .rsaesPKCS1v15)
        let (unwrapped, valid) = try Self.key.unwrapPKCS1v15(wrapped, length: 32)
        XCTAssertTrue(valid)
        XCTAssertEqual(unwrapped, material)
        let forged = Random.bytes(16)
        let (sixteen, alsoValid) = try Self.key.unwrapPKCS1v15(try forge(block(forged)), length: 16)
        XCTAssertTrue(alsoValid)
        XCTAssertEqual(sixteen.unsafeCopy, forged)
    }

    func testPKCS1UnwrapAnswersEveryBadBlockAlikeWithADeterministicSubstitute() throws {
        let bad: [String: [UInt8]] = [
            "valid padding, 16 bytes": block(Random.bytes(16)),
            "valid padding, 33 bytes": block(Random.bytes(33)),
            "valid padding, empty": block([]),
            "block type 1": block(Random.bytes(32), type: 1),
            "no zero separator": block(Random.bytes(32), separator: 1),
            "leading byte not zero": [1] + block(Random.bytes(32)).dropFirst(),
            "zero inside the padding string": { var b = block(Random.bytes(32)); b[100] = 0; return b }(),
            "all zeros": [UInt8](repeating: 0, count: 256),
        ]
        for (label, encoded) in bad {
            let ciphertext = try forge(encoded)
            let (first, valid) = try Self.key.unwrapPKCS1v15(ciphertext, length: 32)
            XCTAssertFalse(valid, label)
            XCTAssertEqual(first.count, 32, label)
            XCTAssertNotEqual(first.unsafeCopy, Array(encoded.suffix(32)), label)
            let (second, _) = try Self.key.unwrapPKCS1v15(ciphertext, length: 32)
            XCTAssertEqual(first, second, "\(label): the substitute depends only on the ciphertext")
        }
    }

    func testPKCS1UnwrapThrowsOnlyForWhatIsPublic() throws {
        XCTAssertThrowsError(try Self.key.unwrapPKCS1v15(Random.bytes(255), length: 32))
        XCTAssertThrowsError(try Self.key.unwrapPKCS1v15(Random.bytes(257), length: 32))
        XCTAssertThrowsError(try Self.key.unwrapPKCS1v15(Random.bytes(256), length: 246))
        XCTAssertThrowsError(try PrivateKey.generateSM2().unwrapPKCS1v15(Random.bytes(256), length: 32))
    }

    func testSM2CiphertextWithTrailingBytesIsRefused() throws {
        let key = try PrivateKey.generateSM2()
        let material = Random.secret(16)
        let wrapped = try PublicKey(spkiDER: key.publicKeySPKIDER()).encrypt(material, algorithm: .sm2C1C3C2ASN1)
        XCTAssertEqual(try key.decrypt(wrapped, padding: .sm2PKE), material)
        XCTAssertThrowsError(try key.decrypt(wrapped + [0], padding: .sm2PKE))
        XCTAssertThrowsError(try key.decrypt(wrapped + Array("garbage".utf8), padding: .sm2PKE))
    }
}
