import KMSCore
import KMSCrypto
import XCTest

/// RFC 4231 (HMAC-SHA256) and RFC 2202 (HMAC-SHA1) test cases.
private struct HMACVector: PublishedVector {
    let name: String
    let key: [UInt8]
    let data: [UInt8]
    let mac: String
}

private let largeKey = [UInt8](repeating: 0xaa, count: 131)

private let hmacSHA256Vectors = [
    HMACVector(name: "RFC 4231 test case 1", key: [UInt8](repeating: 0x0b, count: 20), data: Array("Hi There".utf8),
               mac: "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
    HMACVector(name: "RFC 4231 test case 2", key: Array("Jefe".utf8), data: Array("what do ya want for nothing?".utf8),
               mac: "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
    HMACVector(name: "RFC 4231 test case 3", key: [UInt8](repeating: 0xaa, count: 20), data: [UInt8](repeating: 0xdd, count: 50),
               mac: "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
    HMACVector(name: "RFC 4231 test case 4", key: Array(1...25), data: [UInt8](repeating: 0xcd, count: 50),
               mac: "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"),
    HMACVector(name: "RFC 4231 test case 6", key: largeKey,
               data: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
               mac: "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
    HMACVector(name: "RFC 4231 test case 7", key: largeKey,
               data: Array(("This is a test using a larger than block-size key and a larger than block-size data. "
                   + "The key needs to be hashed before being used by the HMAC algorithm.").utf8),
               mac: "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
]

private let hmacSHA1Vectors = [
    HMACVector(name: "RFC 2202 test case 1", key: [UInt8](repeating: 0x0b, count: 20), data: Array("Hi There".utf8),
               mac: "b617318655057264e28bc0b6fb378c8ef146be00"),
    HMACVector(name: "RFC 2202 test case 2", key: Array("Jefe".utf8), data: Array("what do ya want for nothing?".utf8),
               mac: "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"),
]

final class HMACTests: XCTestCase {
    func testHMACSHA256MatchesRFC4231() {
        runVectors(hmacSHA256Vectors) { vector in
            XCTAssertEqual(HMAC.sha256(key: vector.key, data: vector.data), hex(vector.mac), vector.name)
            XCTAssertEqual(HMAC.sha256(key: SecureBytes(vector.key), data: vector.data), hex(vector.mac), vector.name)
        }
    }

    func testHMACSHA1MatchesRFC2202() {
        runVectors(hmacSHA1Vectors) { vector in
            XCTAssertEqual(HMAC.sha1(key: vector.key, data: vector.data), hex(vector.mac), vector.name)
        }
    }

    func testHMACSM3MatchesTheOpenSSLCommandLine() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let key = hex("000102030405060708090a0b0c0d0e0f")
        let data = Array("kms/hmac-sm3/mac".utf8)
        let input = try directory.write("data", data)
        let output = try OpenSSLCLI.run(["dgst", "-sm3", "-mac", "HMAC", "-macopt", "hexkey:\(Hex.encode(key))", "-r", input])
        let expected = String(output.prefix { $0 != " " })
        XCTAssertEqual(Hex.encode(HMAC.sm3(key: SecureBytes(key), data: data)), expected)
    }

    /// A thread keeps its last key's state and restarts from it when the same key comes again
    /// (MACContextPool): the same key twice in a row, a key like the last but one byte longer
    /// or shorter, keys alternating, an empty key between, and every MAC is still the vector's.
    func testHMACWithTheSameKeyAgainOrAnotherKeyOnOneThread() {
        let one = hmacSHA256Vectors[0], two = hmacSHA256Vectors[1], three = hmacSHA256Vectors[2]
        let longerKey = one.key + [0x0b]   // its MAC is only compared with itself
        let longerMAC = HMAC.sha256(key: longerKey, data: one.data)
        let empty = "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad"
        for vector in [one, one, two, one, two, two, three, one, three] {
            XCTAssertEqual(HMAC.sha256(key: vector.key, data: vector.data), hex(vector.mac), vector.name)
        }
        XCTAssertNotEqual(HMAC.sha256(key: one.key, data: one.data), longerMAC)
        XCTAssertEqual(HMAC.sha256(key: longerKey, data: one.data), longerMAC)
        XCTAssertEqual(HMAC.sha256(key: one.key, data: one.data), hex(one.mac), "after a longer key")
        XCTAssertEqual(HMAC.sha256(key: [], data: []), hex(empty))
        XCTAssertEqual(HMAC.sha256(key: [], data: []), hex(empty))
        XCTAssertEqual(HMAC.sha256(key: one.key, data: one.data), hex(one.mac), "after an empty key")
        // The same key as a secret and as plain bytes: the same context, the same MAC.
        XCTAssertEqual(HMAC.sha256(key: SecureBytes(two.key), data: two.data), hex(two.mac))
        XCTAssertEqual(HMAC.sha256(key: two.key, data: two.data), hex(two.mac))
    }

    func testHMACAcceptsAnEmptyKeyAndEmptyData() {
        // Python: hmac.new(b"", b"", hashlib.sha256).hexdigest()
        XCTAssertEqual(HMAC.sha256(key: [], data: []),
                       hex("b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad"))
    }
}
