import KMSCore
import KMSCrypto
import XCTest

/// GB/T 32905-2016 Appendix A examples.
private struct SM3Vector: PublishedVector {
    let name: String
    let message: [UInt8]
    let digest: String
}

private let sm3Vectors = [
    SM3Vector(name: "GB/T 32905 example 1 (\"abc\")", message: Array("abc".utf8),
              digest: "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"),
    SM3Vector(name: "GB/T 32905 example 2 (\"abcd\" × 16)", message: Array(String(repeating: "abcd", count: 16).utf8),
              digest: "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"),
]

final class DigestTests: XCTestCase {
    func testSM3MatchesGBT32905Examples() {
        runVectors(sm3Vectors) { vector in
            XCTAssertEqual(Digest.sm3(vector.message), hex(vector.digest), vector.name)
        }
    }

    func testSHA256MatchesFIPS180Examples() {
        // FIPS 180-2 Appendix B.1 ("abc") and the empty message.
        XCTAssertEqual(Digest.sha256(Array("abc".utf8)),
                       hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"))
        XCTAssertEqual(Digest.sha256Hex([UInt8]()),
                       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    func testSHA256AcceptsSlicesAndUTF8Views() {
        let expected = hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(Digest.sha256("abc".utf8), expected)
        XCTAssertEqual(Digest.sha256(Array("xabcx".utf8)[1..<4]), expected)
        XCTAssertEqual(Digest.sha256Hex("abc".utf8), Hex.encode(expected))
    }

    func testHexRoundTripsAndRejectsNonHex() {
        XCTAssertEqual(Hex.encode([0x00, 0xab, 0xff]), "00abff")
        XCTAssertEqual(Hex.decode("00ABff"), [0x00, 0xab, 0xff])
        XCTAssertNil(Hex.decode("abc"))
        XCTAssertNil(Hex.decode("zz"))
    }
}

final class SM4Tests: XCTestCase {
    func testSM4BlockMatchesGBT32907Example() throws {
        // GB/T 32907-2016 Appendix A example 1: key = plaintext.
        let key = hex("0123456789abcdeffedcba9876543210")
        XCTAssertEqual(try SM4.encryptBlock(key: key, block: key), hex("681edf34d206965e86b3e94f536e4246"))
    }

    func testSM4BlockRefusesWrongSizes() {
        XCTAssertThrowsError(try SM4.encryptBlock(key: [UInt8](repeating: 0, count: 15), block: [UInt8](repeating: 0, count: 16)))
        XCTAssertThrowsError(try SM4.encryptBlock(key: [UInt8](repeating: 0, count: 16), block: [UInt8](repeating: 0, count: 17)))
    }
}
