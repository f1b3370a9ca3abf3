import XCTest
import KMSAccess
import KMSCore

/// Whatever a caller sends, parsing ends in a document or in a CAM `InvalidParameter…` code, never a
/// crash or another error; and whatever parses, decides without trapping.
final class PolicyDocumentMutationTests: XCTestCase {
    func testMutatedDocumentsAreAcceptedOrRefusedWithACAMCode() {
        let seed = Array(#"{"version":"2.0","statement":[{"effect":"deny","action":["kms:Encrypt","kms:Describe*"],"resource":["qcs::kms:ap-guangzhou:uin/100000000001:key/creatorUin/100000000001/*","*"],"condition":{"ip_not_equal_if_exist":{"qcs:ip":["10.0.0.0/8","2001:db8::/32"]},"date_less_than":{"qcs:current_time":"2026-01-01T00:00:00+08:00"},"bool_equal":{"qcs:secure_transport":"true"}}}]}"#.utf8)
        let alphabet = Array(#"{}[]",:*/%7Bb0123456789.-_Tz qcskmfacdeionrlpuwy\#u{00}"#.utf8) + [0xE4, 0xB8, 0xAD, 0xFF]
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return Int(state % UInt64(bound))
        }
        var accepted = 0
        let request = AccessRequest(action: "kms:Encrypt",
                                    resource: ResourceName.kmsKey(region: "ap-guangzhou", ownerUin: 100_000_000_001, keyId: "k"),
                                    context: AccessContext(sourceIP: "10.0.0.1", now: 0, secureTransport: true))
        for _ in 0..<3000 {
            var bytes = seed
            for _ in 0..<(1 + next(4)) {
                switch next(3) {
                case 0: bytes[next(bytes.count)] = alphabet[next(alphabet.count)]
                case 1: bytes.remove(at: next(bytes.count))
                default: bytes.insert(alphabet[next(alphabet.count)], at: next(bytes.count + 1))
                }
            }
            let text = String(decoding: bytes, as: UTF8.self)
            do {
                let document = try PolicyDocument.parse(text)
                accepted += 1
                _ = PolicySet([document]).decide(request)
            } catch let error as KMSError {
                XCTAssertTrue(error.code.rawValue.hasPrefix("InvalidParameter."), "\(error)")
                XCTAssertFalse(error.reason.isEmpty)
            } catch {
                XCTFail("\(error)")
            }
        }
        XCTAssertGreaterThan(accepted, 0, "some mutations (inside strings, of values) still parse")
    }
}
