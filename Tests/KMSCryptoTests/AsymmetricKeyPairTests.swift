import KMSCore
import KMSCrypto
import XCTest

/// The key pairs of asymmetric CMKs (SPEC §9): each kind generated as itself, its signatures
/// checked by the `openssl` command line (an independent implementation) and the other way
/// round, DIGEST and RAW agreeing, and ciphertexts `openssl pkeyutl -encrypt` makes decrypting.
final class AsymmetricKeyPairTests: XCTestCase {
    private var directory: TemporaryDirectory!

    override func setUpWithError() throws { directory = try TemporaryDirectory() }
    override func tearDown() { directory.remove() }

    static let signing: [(KeyPairSpec, SignatureAlgorithm)] = [
        (.eccP256, .eccP256R1), (.eccP384, .ecdsa384SHA384), (.rsa2048, .rsaPSSSHA256), (.rsa2048, .rsaPKCS1SHA256), (.sm2, .sm2DSA),
    ]

    func testEveryKindIsGeneratedAsItselfAndSurvivesPKCS8() throws {
        for spec in KeyPairSpec.allCases {
            let key = try PrivateKey.generate(spec)
            let reopened = try PrivateKey(pkcs8DER: key.pkcs8DER())
            for other in KeyPairSpec.allCases {
                XCTAssertEqual(key.isKind(other), other == spec, "\(spec) generated, asked \(other)")
                XCTAssertEqual(reopened.isKind(other), other == spec, "\(spec) reopened, asked \(other)")
            }
            XCTAssertEqual(try reopened.publicKeySPKIDER(), try key.publicKeySPKIDER())
        }
    }

    func testPublicKeyPEMIsTheSPKIThatOpenSSLReads() throws {
        for spec in KeyPairSpec.allCases {
            let key = try PrivateKey.generate(spec)
            let pemText = try key.publicKeyPEM()
            XCTAssertEqual(try PublicKey(pem: pemText).spkiDER(), try key.publicKeySPKIDER())
            let path = try directory.write("pub-\(spec).pem", Array(pemText.utf8))
            let text = try OpenSSLCLI.run(["pkey", "-pubin", "-in", path, "-noout", "-text"])
            let expected = ["RSA_2048": "2048 bit", "SM2": "SM2", "ECC": "P-256", "ECDSA384_SHA384": "P-384"][spec.rawValue]!
            XCTAssertTrue(text.contains(expected), "\(spec): \(text.prefix(120))")
        }
    }

    func testSignaturesVerifyWithTheOpenSSLCommandLine() throws {
        for (spec, algorithm) in Self.signing {
            let key = try PrivateKey.generate(spec)
            let message = Array("a message of \(algorithm)".utf8)
            let publicPath = try directory.write("pub.pem", Array(try key.publicKeyPEM().utf8))
            let messagePath = try directory.write("message", message)
            let signature = try key.sign(message, type: .raw, algorithm: algorithm)
            let signaturePath = try directory.write("signature", signature)
            try OpenSSLCLI.run(opensslVerify(algorithm, publicPath: publicPath, messagePath: messagePath, signaturePath: signaturePath))
            // The same command refuses a signature of another message.
            _ = try directory.write("message", message + [0])
            XCTAssertThrowsError(try OpenSSLCLI.run(opensslVerify(algorithm, publicPath: publicPath, messagePath: messagePath,
                                                                  signaturePath: signaturePath)), "\(algorithm)")
        }
    }

    func testSignaturesOpenSSLMakesVerifyHereAndTamperedOnesDoNot() throws {
        for (spec, algorithm) in Self.signing {
            let key = try PrivateKey.generate(spec)
            let privatePath = try directory.write("key.pem", Array(pem("PRIVATE KEY", try key.pkcs8DER().unsafeCopy).utf8))
            let message = Array("signed by openssl with \(algorithm)".utf8)
            let messagePath = try directory.write("message", message)
            try OpenSSLCLI.run(opensslSign(algorithm, privatePath: privatePath, messagePath: messagePath,
                                           signaturePath: directory.path("signature")))
            let signature = try directory.read("signature")
            let publicKey = try PublicKey(spkiDER: key.publicKeySPKIDER())
            XCTAssertTrue(try publicKey.verify(signature, of: message, type: .raw, algorithm: algorithm), "\(algorithm)")
            XCTAssertTrue(try key.verify(signature, of: message, type: .raw, algorithm: algorithm), "\(algorithm)")
            XCTAssertFalse(try key.verify(signature, of: message + [1], type: .raw, algorithm: algorithm), "\(algorithm)")
            XCTAssertFalse(try key.verify(flipped(signature, at: signature.count / 2), of: message, type: .raw, algorithm: algorithm))
            // Garbage is simply not a valid signature, never an error.
            XCTAssertFalse(try key.verify([0x30, 0x02, 0x01], of: message, type: .raw, algorithm: algorithm))
            XCTAssertFalse(try key.verify([], of: message, type: .raw, algorithm: algorithm))
        }
    }

    func testADigestSignatureIsASignatureOfTheMessage() throws {
        for (spec, algorithm) in Self.signing where algorithm != .sm2DSA {
            let key = try PrivateKey.generate(spec)
            let message = Array("digest me".utf8)
            let digest = algorithm == .ecdsa384SHA384 ? try sha384(message) : Digest.sha256(message)
            let fromDigest = try key.sign(digest, type: .digest, algorithm: algorithm)
            XCTAssertTrue(try key.verify(fromDigest, of: message, type: .raw, algorithm: algorithm), "\(algorithm)")
            let fromMessage = try key.sign(message, type: .raw, algorithm: algorithm)
            XCTAssertTrue(try key.verify(fromMessage, of: digest, type: .digest, algorithm: algorithm), "\(algorithm)")
            XCTAssertThrowsError(try key.sign(Array(digest.dropLast()), type: .digest, algorithm: algorithm), "\(algorithm)")
        }
    }

    /// For SM2 a DIGEST is e = SM3(Z ‖ M), Z from the default ID, the public key and the curve
    /// (GB/T 32918.2 §5.5), what `gmssl sm2utl -dgst -id 1234567812345678` computes.
    func testAnSM2DigestIsSM3OfZAndTheMessage() throws {
        let key = try PrivateKey.generateSM2()
        let spki = try key.publicKeySPKIDER()
        let point = Array(spki.suffix(64))  // x ‖ y after the 04 of the uncompressed point
        let id = Array("1234567812345678".utf8)
        let curve = hex("""
            FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC
            28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93
            32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7
            BC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0
            """)
        let z = Digest.sm3([0x00, 0x80] + id + curve + point)
        let message = Array("SM2 over Z and M".utf8)
        let e = Digest.sm3(z + message)
        XCTAssertTrue(try key.verify(try key.sign(e, type: .digest, algorithm: .sm2DSA), of: message, type: .raw, algorithm: .sm2DSA))
        XCTAssertTrue(try key.verify(try key.sign(message, type: .raw, algorithm: .sm2DSA), of: e, type: .digest, algorithm: .sm2DSA))
        // SM3(M) alone is not the digest.
        XCTAssertFalse(try key.verify(try key.sign(Digest.sm3(message), type: .digest, algorithm: .sm2DSA), of: message,
                                      type: .raw, algorithm: .sm2DSA))
    }

    func testCiphertextsFromTheOpenSSLCommandLineDecrypt() throws {
        let rsa = try PrivateKey.generate(.rsa2048)
        let rsaPublic = try directory.write("rsa.pem", Array(try rsa.publicKeyPEM().utf8))
        let plaintext = Random.bytes(100)
        let plainPath = try directory.write("plain", plaintext)
        let options: [(AsymmetricDecryption, [String])] = [
            (.rsaesPKCS1v15, ["-pkeyopt", "rsa_padding_mode:pkcs1"]),
            (.rsaesOAEPSHA1, ["-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha1", "-pkeyopt", "rsa_mgf1_md:sha1"]),
            (.rsaesOAEPSHA256, ["-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256", "-pkeyopt", "rsa_mgf1_md:sha256"]),
        ]
        for (algorithm, flags) in options {
            try OpenSSLCLI.run(["pkeyutl", "-encrypt", "-pubin", "-inkey", rsaPublic, "-in", plainPath, "-out", directory.path("c")] + flags)
            let ciphertext = try directory.read("c")
            XCTAssertEqual(try rsa.decrypt(ciphertext, algorithm: algorithm).unsafeCopy, plaintext, "\(algorithm)")
            for other in [AsymmetricDecryption.rsaesOAEPSHA1, .rsaesOAEPSHA256] where other != algorithm {
                XCTAssertThrowsError(try rsa.decrypt(ciphertext, algorithm: other), "\(algorithm) read as \(other)")
            }
            XCTAssertThrowsError(try rsa.decrypt(ciphertext, algorithm: .sm2C1C3C2ASN1))
        }
        let sm2 = try PrivateKey.generate(.sm2)
        let sm2Public = try directory.write("sm2.pem", Array(try sm2.publicKeyPEM().utf8))
        try OpenSSLCLI.run(["pkeyutl", "-encrypt", "-pubin", "-inkey", sm2Public, "-in", plainPath, "-out", directory.path("s")])
        let ciphertext = try directory.read("s")
        XCTAssertEqual(try sm2.decrypt(ciphertext, algorithm: .sm2C1C3C2ASN1).unsafeCopy, plaintext)
        XCTAssertThrowsError(try sm2.decrypt(ciphertext + [0], algorithm: .sm2C1C3C2ASN1))
        XCTAssertThrowsError(try sm2.decrypt(ciphertext, algorithm: .rsaesOAEPSHA256))
    }

    private func opensslVerify(_ algorithm: SignatureAlgorithm, publicPath: String, messagePath: String,
                               signaturePath: String) -> [String] {
        switch algorithm {
        case .sm2DSA:
            return ["pkeyutl", "-verify", "-pubin", "-inkey", publicPath, "-rawin", "-digest", "sm3", "-in", messagePath,
                    "-sigfile", signaturePath, "-pkeyopt", "distid:1234567812345678"]
        default:
            return ["dgst", algorithm == .ecdsa384SHA384 ? "-sha384" : "-sha256", "-verify", publicPath, "-signature", signaturePath]
                + pssOptions(algorithm, salt: "auto") + [messagePath]
        }
    }

    private func opensslSign(_ algorithm: SignatureAlgorithm, privatePath: String, messagePath: String,
                             signaturePath: String) -> [String] {
        switch algorithm {
        case .sm2DSA:
            return ["pkeyutl", "-sign", "-inkey", privatePath, "-rawin", "-digest", "sm3", "-in", messagePath,
                    "-out", signaturePath, "-pkeyopt", "distid:1234567812345678"]
        default:
            // openssl's default PSS salt when signing is the maximum: verification must read it from the signature.
            return ["dgst", algorithm == .ecdsa384SHA384 ? "-sha384" : "-sha256", "-sign", privatePath, "-out", signaturePath]
                + pssOptions(algorithm, salt: "max") + [messagePath]
        }
    }

    private func pssOptions(_ algorithm: SignatureAlgorithm, salt: String) -> [String] {
        algorithm == .rsaPSSSHA256 ? ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:\(salt)",
                                      "-sigopt", "rsa_mgf1_md:sha256"] : []
    }

    private func sha384(_ bytes: [UInt8]) throws -> [UInt8] {
        let path = try directory.write("to-hash", bytes)
        try OpenSSLCLI.run(["dgst", "-sha384", "-binary", "-out", directory.path("h384"), path])
        return try directory.read("h384")
    }
}
