import KMSCore
import KMSCrypto
import XCTest

final class SM4CTRHMACSM3Tests: XCTestCase {
    private let nonce = hex("000102030405060708090a0b")
    private let aad = Array("key|ap-guangzhou|1".utf8)

    func testOpenRecoversWhatSealEncrypted() throws {
        let cipher = try SM4CTRHMACSM3(key: Random.secret(16))
        let plaintext = Array("the quick brown fox jumps over the lazy dog, twice over".utf8)
        let (ciphertext, tag) = try cipher.seal(SecureBytes(plaintext), nonce: nonce, aad: aad)
        XCTAssertEqual(ciphertext.count, plaintext.count)
        XCTAssertEqual(tag.count, SM4CTRHMACSM3.tagSize)
        XCTAssertNotEqual(ciphertext, plaintext)
        XCTAssertEqual(try cipher.open(ciphertext, tag: tag, nonce: nonce, aad: aad).unsafeCopy, plaintext)
    }

    func testEmptyPlaintextSealsToATagAlone() throws {
        let cipher = try SM4CTRHMACSM3(key: Random.secret(16))
        let (ciphertext, tag) = try cipher.seal(SecureBytes([]), nonce: nonce, aad: aad)
        XCTAssertEqual(ciphertext, [])
        XCTAssertEqual(try cipher.open(ciphertext, tag: tag, nonce: nonce, aad: aad).count, 0)
        XCTAssertThrowsError(try cipher.open(ciphertext, tag: tag, nonce: nonce, aad: []))
    }

    func testOpenFailsOnEveryTamper() throws {
        let cipher = try SM4CTRHMACSM3(key: Random.secret(16))
        let (ciphertext, tag) = try cipher.seal(SecureBytes(Random.bytes(40)), nonce: nonce, aad: aad)
        for index in 0..<tag.count {
            XCTAssertThrowsError(try cipher.open(ciphertext, tag: flipped(tag, at: index), nonce: nonce, aad: aad))
        }
        for index in 0..<ciphertext.count {
            XCTAssertThrowsError(try cipher.open(flipped(ciphertext, at: index), tag: tag, nonce: nonce, aad: aad))
        }
        for index in 0..<nonce.count {
            XCTAssertThrowsError(try cipher.open(ciphertext, tag: tag, nonce: flipped(nonce, at: index), aad: aad))
        }
        XCTAssertThrowsError(try cipher.open(ciphertext, tag: tag, nonce: nonce, aad: flipped(aad, at: 0)))
        XCTAssertThrowsError(try cipher.open(ciphertext, tag: tag, nonce: nonce, aad: aad + [0]))
        XCTAssertThrowsError(try cipher.open(Array(ciphertext.dropLast()), tag: tag, nonce: nonce, aad: aad))
        XCTAssertThrowsError(try SM4CTRHMACSM3(key: Random.secret(16)).open(ciphertext, tag: tag, nonce: nonce, aad: aad))
    }

    func testInitFailsForKeysThatAreNot16Bytes() {
        for length in [0, 15, 17, 32] {
            XCTAssertThrowsError(try SM4CTRHMACSM3(key: SecureBytes(zeros: length)), "\(length)-byte key")
        }
    }

    func testSealMatchesTheConstructionComputedByTheOpenSSLCommandLine() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let material = hex("0123456789abcdeffedcba9876543210")
        let plaintext = Array("thirty-three bytes of plaintext!!".utf8)

        func cliHMACSM3(key: [UInt8], data: [UInt8]) throws -> [UInt8] {
            let input = try directory.write("mac-input", data)
            let output = try OpenSSLCLI.run(["dgst", "-sm3", "-mac", "HMAC", "-macopt", "hexkey:\(Hex.encode(key))", "-r", input])
            return hex(String(output.prefix { $0 != " " }))
        }
        let encKey = Array(try cliHMACSM3(key: material, data: Array("kms/sm4-ctr/enc".utf8)).prefix(16))
        let macKey = try cliHMACSM3(key: material, data: Array("kms/hmac-sm3/mac".utf8))
        let plainPath = try directory.write("plain", plaintext)
        try OpenSSLCLI.run(["enc", "-sm4-ctr", "-K", Hex.encode(encKey), "-iv", Hex.encode(nonce + [0, 0, 0, 1]),
                            "-in", plainPath, "-out", directory.path("cipher")])
        let expectedCiphertext = try directory.read("cipher")
        let aadLength: [UInt8] = [0, 0, 0, 0, 0, 0, 0, UInt8(aad.count)]
        let expectedTag = Array(try cliHMACSM3(key: macKey, data: aadLength + aad + nonce + expectedCiphertext).prefix(16))

        let (ciphertext, tag) = try SM4CTRHMACSM3(key: SecureBytes(material)).seal(SecureBytes(plaintext), nonce: nonce, aad: aad)
        XCTAssertEqual(ciphertext, expectedCiphertext)
        XCTAssertEqual(tag, expectedTag)
    }
}
