import KMSCore
import KMSCrypto
import XCTest

final class SM2KeyTests: XCTestCase {
    private var directory: TemporaryDirectory!

    override func setUpWithError() throws { directory = try TemporaryDirectory() }
    override func tearDown() { directory.remove() }

    func testGeneratedKeyIsSM2AndItsSPKIParsesAsSM2() throws {
        let key = try PrivateKey.generateSM2()
        XCTAssertTrue(key.isSM2)
        XCTAssertFalse(key.isRSA2048)
        let publicKey = try PublicKey(spkiDER: key.publicKeySPKIDER())
        XCTAssertTrue(publicKey.isSM2)
        XCTAssertTrue(try PublicKey(pem: pem("PUBLIC KEY", key.publicKeySPKIDER())).isSM2)
        XCTAssertTrue(try PrivateKey(pkcs8DER: key.pkcs8DER()).isSM2)
    }

    func testCiphertextFromTheOpenSSLCommandLineDecryptsAsSM2PKE() throws {
        let key = try PrivateKey.generateSM2()
        let publicPath = try directory.write("sm2pub.pem", Array(pem("PUBLIC KEY", key.publicKeySPKIDER()).utf8))
        let material = Random.bytes(16)
        let plainPath = try directory.write("material", material)
        try OpenSSLCLI.run(["pkeyutl", "-encrypt", "-pubin", "-inkey", publicPath, "-in", plainPath,
                            "-out", directory.path("wrapped")])
        let wrapped = try directory.read("wrapped")
        XCTAssertEqual(try key.decrypt(wrapped, padding: .sm2PKE).unsafeCopy, material)
        XCTAssertThrowsError(try key.decrypt(flipped(wrapped, at: wrapped.count - 1), padding: .sm2PKE))
        XCTAssertThrowsError(try key.decrypt(wrapped, padding: .rsaesOAEPSHA256))
    }

    func testASN1CiphertextDecryptsWithTheOpenSSLCommandLine() throws {
        let key = try PrivateKey.generateSM2()
        let privatePath = try directory.write("sm2priv.pem", Array(pem("PRIVATE KEY", key.pkcs8DER().unsafeCopy).utf8))
        let plaintext = Random.bytes(32)
        let ciphertext = try PublicKey(spkiDER: key.publicKeySPKIDER()).encrypt(SecureBytes(plaintext), algorithm: .sm2C1C3C2ASN1)
        let cipherPath = try directory.write("cipher", ciphertext)
        try OpenSSLCLI.run(["pkeyutl", "-decrypt", "-inkey", privatePath, "-in", cipherPath, "-out", directory.path("plain")])
        XCTAssertEqual(try directory.read("plain"), plaintext)
    }

    func testRawC1C3C2OutputHasTheTencentLayoutAndConvertsBackToDER() throws {
        let key = try PrivateKey.generateSM2()
        let publicKey = try PublicKey(spkiDER: key.publicKeySPKIDER())
        for length in [1, 16, 32, 200] {
            let plaintext = Random.secret(length)
            let raw = try publicKey.encrypt(plaintext, algorithm: .sm2C1C3C2)
            XCTAssertEqual(raw.count, 65 + 32 + length)
            XCTAssertEqual(raw.first, 0x04)
            let der = try SM2Ciphertext.der(fromRaw: raw)
            XCTAssertEqual(try key.decrypt(der, padding: .sm2PKE), plaintext)
            XCTAssertEqual(try SM2Ciphertext.raw(fromDER: der), raw)
        }
        XCTAssertThrowsError(try publicKey.encrypt(Random.secret(16), algorithm: .rsaesPKCS1v15))
    }
}

final class SM2CiphertextTests: XCTestCase {
    private func raw(x: [UInt8], y: [UInt8], body: [UInt8]) -> [UInt8] {
        [0x04] + x + y + [UInt8](repeating: 0x33, count: 32) + body
    }

    func testCoordinatesWithHighBitOrLeadingZerosRoundTrip() throws {
        let cases: [([UInt8], [UInt8])] = [
            ([UInt8](repeating: 0xff, count: 32), [UInt8](repeating: 0x7f, count: 32)),
            ([0, 0] + [UInt8](repeating: 0x80, count: 30), [0] + [UInt8](repeating: 0x01, count: 31)),
            ([UInt8](repeating: 0, count: 32), [UInt8](repeating: 0, count: 31) + [1]),
        ]
        for (x, y) in cases {
            let original = raw(x: x, y: y, body: Array(0..<150))
            let der = try SM2Ciphertext.der(fromRaw: original)
            XCTAssertEqual(der[0], 0x30)
            XCTAssertEqual(try SM2Ciphertext.raw(fromDER: der), original)
        }
    }

    func testHighBitCoordinateIsEncodedAsA33ByteInteger() throws {
        let der = try SM2Ciphertext.der(fromRaw: raw(x: [UInt8](repeating: 0xff, count: 32),
                                                       y: [UInt8](repeating: 0x01, count: 32), body: [9]))
        // SEQUENCE (len) INTEGER 33 00 ff… — the sign byte keeps x positive.
        XCTAssertEqual(Array(der[2..<5]), [0x02, 33, 0x00])
    }

    func testMalformedInputsAreRefused() throws {
        XCTAssertThrowsError(try SM2Ciphertext.der(fromRaw: [0x04] + [UInt8](repeating: 1, count: 95)))
        XCTAssertThrowsError(try SM2Ciphertext.der(fromRaw: [0x02] + [UInt8](repeating: 1, count: 100)))
        let der = try SM2Ciphertext.der(fromRaw: raw(x: [UInt8](repeating: 1, count: 32),
                                                       y: [UInt8](repeating: 2, count: 32), body: [1, 2, 3]))
        XCTAssertThrowsError(try SM2Ciphertext.raw(fromDER: der + [0]))
        XCTAssertThrowsError(try SM2Ciphertext.raw(fromDER: Array(der.dropLast())))
        XCTAssertThrowsError(try SM2Ciphertext.raw(fromDER: []))
        XCTAssertThrowsError(try SM2Ciphertext.raw(fromDER: [0x30, 0x00]))
    }
}
