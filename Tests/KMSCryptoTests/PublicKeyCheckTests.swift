import Foundation
import KMSCore
import KMSCrypto
import XCTest

/// A caller's public key is parsed strictly and checked before a secret is encrypted to it.
final class PublicKeyCheckTests: XCTestCase {
    private static let rsa = try! PrivateKey.generateRSA2048()
    private var directory: TemporaryDirectory!

    override func setUpWithError() throws { directory = try TemporaryDirectory() }
    override func tearDown() { directory.remove() }

    func testSoundRSAAndSM2KeysPassTheCheck() throws {
        try PublicKey(pem: pem("PUBLIC KEY", Self.rsa.publicKeySPKIDER())).checkUsableForEncryption()
        try PublicKey(spkiDER: PrivateKey.generateSM2().publicKeySPKIDER()).checkUsableForEncryption()
        try PublicKey(pem: "\n  " + pem("PUBLIC KEY", Self.rsa.publicKeySPKIDER()) + "\n\t\n").checkUsableForEncryption()
    }

    func testPEMWithAnythingAroundTheOneBlockIsRefused() throws {
        let good = pem("PUBLIC KEY", try Self.rsa.publicKeySPKIDER())
        let other = pem("PUBLIC KEY", try PrivateKey.generateSM2().publicKeySPKIDER())
        for text in [good + "garbage", good + other, "hello\n" + good, pem("CERTIFICATE", [0x30, 0]) + good,
                     pem("PUBLIC KEY", try Self.rsa.publicKeySPKIDER() + [0]),
                     good.replacingOccurrences(of: "-----\n", with: "-----\nProc-Type: 4,ENCRYPTED\n\n", options: [], range: good.range(of: "-----\n"))] {
            XCTAssertThrowsError(try PublicKey(pem: text), text)
        }
    }

    func testRSAKeyWithASmallExponentIsRefused() throws {
        let keyPath = directory.path("e3.pem")
        try OpenSSLCLI.run(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                            "-pkeyopt", "rsa_keygen_pubexp:3", "-out", keyPath])
        let der = try OpenSSLCLI.run(["pkey", "-in", keyPath, "-pubout"])
        let key = try PublicKey(pem: der)
        XCTAssertTrue(key.isRSA2048)
        XCTAssertThrowsError(try key.checkUsableForEncryption())
    }

    func testSM2PointAtInfinityIsRefused() throws {
        // SubjectPublicKeyInfo { id-ecPublicKey, SM2 curve } with the point 00 (infinity): OpenSSL parses it.
        let infinity = hex("3019301306072a8648ce3d020106082a811ccf5501822d03020000")
        let key = try PublicKey(spkiDER: infinity)
        XCTAssertThrowsError(try key.checkUsableForEncryption())
    }
}
