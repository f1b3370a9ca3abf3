import KMSCore
import KMSCrypto
import XCTest

/// Test cases 13–16 of McGrew & Viega, "The Galois/Counter Mode of Operation" (the 256-bit ones,
/// also NIST's reference GCM vectors).
private struct GCMVector: PublishedVector {
    let name: String
    let key: String, iv: String, plaintext: String, aad: String, ciphertext: String, tag: String
}

private let gcmVectors = [
    GCMVector(name: "GCM spec test case 13 (empty plaintext and AAD)",
              key: String(repeating: "00", count: 32), iv: String(repeating: "00", count: 12),
              plaintext: "", aad: "", ciphertext: "", tag: "530f8afbc74536b9a963b4f1c4cb738b"),
    GCMVector(name: "GCM spec test case 14 (one zero block)",
              key: String(repeating: "00", count: 32), iv: String(repeating: "00", count: 12),
              plaintext: "00000000000000000000000000000000", aad: "",
              ciphertext: "cea7403d4d606b6e074ec5d3baf39d18", tag: "d0d1c8a799996bf0265b98b5d48ab919"),
    GCMVector(name: "GCM spec test case 15 (four blocks, no AAD)",
              key: "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
              iv: "cafebabefacedbaddecaf888",
              plaintext: """
                  d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72
                  1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255
                  """,
              aad: "",
              ciphertext: """
                  522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa
                  8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad
                  """,
              tag: "b094dac5d93471bdec1a502270e3cc6c"),
    GCMVector(name: "GCM spec test case 16 (AAD and a partial block)",
              key: "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
              iv: "cafebabefacedbaddecaf888",
              plaintext: """
                  d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72
                  1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39
                  """,
              aad: "feedfacedeadbeeffeedfacedeadbeefabaddad2",
              ciphertext: """
                  522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa
                  8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662
                  """,
              tag: "76fc6ece0f4e1768cddf8853bb2d551b"),
]

final class AES256GCMTests: XCTestCase {
    func testSealMatchesPublishedVectorsAndOpenRecoversPlaintext() {
        runVectors(gcmVectors) { vector in
            let cipher = try AES256GCM(key: SecureBytes(hex(vector.key)))
            let (ciphertext, tag) = try cipher.seal(SecureBytes(hex(vector.plaintext)), nonce: hex(vector.iv),
                                                    aad: hex(vector.aad))
            XCTAssertEqual(ciphertext, hex(vector.ciphertext), vector.name)
            XCTAssertEqual(tag, hex(vector.tag), vector.name)
            let opened = try cipher.open(hex(vector.ciphertext), tag: hex(vector.tag), nonce: hex(vector.iv),
                                         aad: hex(vector.aad))
            XCTAssertEqual(opened.unsafeCopy, hex(vector.plaintext), vector.name)
        }
    }

    func testOpenFailsWhenTagCiphertextNonceOrAADIsTampered() throws {
        let vector = gcmVectors[3]
        let cipher = try AES256GCM(key: SecureBytes(hex(vector.key)))
        let ciphertext = hex(vector.ciphertext), tag = hex(vector.tag), nonce = hex(vector.iv), aad = hex(vector.aad)
        XCTAssertThrowsError(try cipher.open(ciphertext, tag: flipped(tag, at: 15), nonce: nonce, aad: aad))
        XCTAssertThrowsError(try cipher.open(flipped(ciphertext, at: 0), tag: tag, nonce: nonce, aad: aad))
        XCTAssertThrowsError(try cipher.open(ciphertext, tag: tag, nonce: flipped(nonce, at: 11), aad: aad))
        XCTAssertThrowsError(try cipher.open(ciphertext, tag: tag, nonce: nonce, aad: flipped(aad, at: 3)))
        XCTAssertThrowsError(try cipher.open(ciphertext, tag: tag, nonce: nonce, aad: []))
        XCTAssertThrowsError(try cipher.open(Array(ciphertext.dropLast()), tag: tag, nonce: nonce, aad: aad))
    }

    func testInitFailsForKeysThatAreNot32Bytes() {
        for length in [0, 16, 31, 33] {
            XCTAssertThrowsError(try AES256GCM(key: SecureBytes(zeros: length)), "\(length)-byte key")
        }
    }

    func testSealAndOpenRefuseNoncesAndTagsOfTheWrongSize() throws {
        let cipher = try AES256GCM(key: Random.secret(32))
        XCTAssertThrowsError(try cipher.seal(SecureBytes([1]), nonce: [UInt8](repeating: 0, count: 16), aad: []))
        let (ciphertext, tag) = try cipher.seal(SecureBytes([1]), nonce: [UInt8](repeating: 0, count: 12), aad: [])
        XCTAssertThrowsError(try cipher.open(ciphertext, tag: Array(tag.prefix(12)), nonce: [UInt8](repeating: 0, count: 12), aad: []))
    }

    func testMakeAEADChoosesTheCipherOfEachProfile() throws {
        XCTAssertTrue(try makeAEAD(profile: .fips, key: Random.secret(32)) is AES256GCM)
        XCTAssertTrue(try makeAEAD(profile: .sm, key: Random.secret(16)) is SM4CTRHMACSM3)
        XCTAssertThrowsError(try makeAEAD(profile: .fips, key: Random.secret(16)))
        XCTAssertThrowsError(try makeAEAD(profile: .sm, key: Random.secret(32)))
    }
}

/// `bytes` with one bit flipped at `index`.
func flipped(_ bytes: [UInt8], at index: Int) -> [UInt8] {
    var copy = bytes
    copy[index] ^= 0x01
    return copy
}
