import XCTest
import KMSCore

/// `Base64.decodeSecret` decodes into `SecureBytes` and must accept and refuse exactly what
/// `Base64.decode` does.
final class Base64SecretTests: XCTestCase {
    func testDecodeSecretAgreesWithDecode() {
        let good = ["", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy", Base64.encode((0...255).map { UInt8($0) })]
        for text in good {
            XCTAssertEqual(Base64.decodeSecret(text)?.unsafeCopy, Base64.decode(text), text)
            XCTAssertNotNil(Base64.decodeSecret(text), text)
        }
        for bad in ["Zg", "Zg=", "Z===", "Zh==", "Zm9=", "Zm 9v", "Zm9v\n", "=Zm9", "Zg==Zg==", "Zm-_", "é", "Zg=x", "====", "Zm9vYg=a"] {
            XCTAssertNil(Base64.decode(bad), bad)
            XCTAssertNil(Base64.decodeSecret(bad), bad)
        }
    }

    func testDecodedLengthsFollowThePadding() {
        for n in 0...50 {
            let bytes = (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 37) }
            let text = Base64.encode(bytes)
            XCTAssertEqual(Base64.decode(text), bytes, "\(n)")
            XCTAssertEqual(Base64.decodeSecret(text)?.count, n)
        }
    }
}
