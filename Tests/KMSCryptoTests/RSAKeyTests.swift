import KMSCore
import KMSCrypto
import XCTest

final class RSAKeyTests: XCTestCase {
    private static let key = try! PrivateKey.generateRSA2048()  // RSA generation is slow; share one

    func testGeneratedKeyIsRSA2048() {
        XCTAssertTrue(Self.key.isRSA2048)
        XCTAssertFalse(Self.key.isSM2)
    }

    func testEncryptingToTheSPKIDecryptsInEveryPadding() throws {
        let publicKey = try PublicKey(spkiDER: Self.key.publicKeySPKIDER())
        XCTAssertTrue(publicKey.isRSA2048)
        for (encryption, wrapping) in [(PublicKeyEncryption.rsaesPKCS1v15, WrappingAlgorithm.rsaesPKCS1v15),
                                       (.rsaesOAEPSHA1, .rsaesOAEPSHA1), (.rsaesOAEPSHA256, .rsaesOAEPSHA256)] {
            let secret = Random.secret(32)
            let ciphertext = try publicKey.encrypt(secret, algorithm: encryption)
            XCTAssertEqual(ciphertext.count, 256, "\(encryption)")
            XCTAssertEqual(try Self.key.decrypt(ciphertext, padding: wrapping), secret, "\(encryption)")
        }
    }

    func testDecryptFailsWithAnotherPaddingOrATamperedCiphertext() throws {
        let publicKey = try PublicKey(spkiDER: Self.key.publicKeySPKIDER())
        let ciphertext = try publicKey.encrypt(Random.secret(32), algorithm: .rsaesOAEPSHA256)
        XCTAssertThrowsError(try Self.key.decrypt(ciphertext, padding: .rsaesOAEPSHA1))
        XCTAssertThrowsError(try Self.key.decrypt(flipped(ciphertext, at: 100), padding: .rsaesOAEPSHA256))
        XCTAssertThrowsError(try Self.key.decrypt(ciphertext, padding: .sm2PKE))
        XCTAssertThrowsError(try publicKey.encrypt(Random.secret(16), algorithm: .sm2C1C3C2))
    }

    func testPKCS8ExportImportKeepsTheKey() throws {
        let der = try Self.key.pkcs8DER()
        let imported = try PrivateKey(pkcs8DER: der)
        XCTAssertTrue(imported.isRSA2048)
        XCTAssertEqual(try imported.publicKeySPKIDER(), try Self.key.publicKeySPKIDER())
        let ciphertext = try PublicKey(spkiDER: Self.key.publicKeySPKIDER()).encrypt(SecureBytes([1, 2, 3]), algorithm: .rsaesOAEPSHA1)
        XCTAssertEqual(try imported.decrypt(ciphertext, padding: .rsaesOAEPSHA1).unsafeCopy, [1, 2, 3])
    }

    func testMalformedDERIsRefused() throws {
        XCTAssertThrowsError(try PrivateKey(pkcs8DER: SecureBytes([0x30, 0x03, 0x02, 0x01, 0x00])))
        XCTAssertThrowsError(try PrivateKey(pkcs8DER: SecureBytes([])))
        XCTAssertThrowsError(try PublicKey(spkiDER: [0x30, 0x00]))
        XCTAssertThrowsError(try PublicKey(spkiDER: Self.key.publicKeySPKIDER() + [0]))
        XCTAssertThrowsError(try PublicKey(pem: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"))
    }

    func testPEMAndDERParseToTheSameKey() throws {
        let spki = try Self.key.publicKeySPKIDER()
        let fromPEM = try PublicKey(pem: pem("PUBLIC KEY", spki))
        XCTAssertTrue(fromPEM.isRSA2048)
        XCTAssertEqual(try fromPEM.spkiDER(), spki)
    }

    func testOAEPSHA256FromTheOpenSSLCommandLineDecrypts() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let publicPath = try directory.write("pub.pem", Array(pem("PUBLIC KEY", Self.key.publicKeySPKIDER()).utf8))
        let material = Random.bytes(32)
        let plainPath = try directory.write("material", material)
        try OpenSSLCLI.run(["pkeyutl", "-encrypt", "-pubin", "-inkey", publicPath,
                            "-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256",
                            "-pkeyopt", "rsa_mgf1_md:sha256", "-in", plainPath, "-out", directory.path("wrapped")])
        let wrapped = try directory.read("wrapped")
        XCTAssertEqual(try Self.key.decrypt(wrapped, padding: .rsaesOAEPSHA256).unsafeCopy, material)
        XCTAssertThrowsError(try Self.key.decrypt(wrapped, padding: .rsaesOAEPSHA1))
    }

    func testPKCS1AndOAEPSHA1FromTheOpenSSLCommandLineDecrypt() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let publicPath = try directory.write("pub.pem", Array(pem("PUBLIC KEY", Self.key.publicKeySPKIDER()).utf8))
        let material = Random.bytes(32)
        let plainPath = try directory.write("material", material)
        for (options, padding) in [(["rsa_padding_mode:pkcs1"], WrappingAlgorithm.rsaesPKCS1v15),
                                   (["rsa_padding_mode:oaep"], .rsaesOAEPSHA1)] {
            try OpenSSLCLI.run(["pkeyutl", "-encrypt", "-pubin", "-inkey", publicPath]
                               + options.flatMap { ["-pkeyopt", $0] } + ["-in", plainPath, "-out", directory.path("wrapped")])
            XCTAssertEqual(try Self.key.decrypt(directory.read("wrapped"), padding: padding).unsafeCopy, material, "\(padding)")
        }
    }
}
