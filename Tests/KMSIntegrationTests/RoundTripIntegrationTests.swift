import Foundation
import XCTest
import KMSCore
import KMSStorage
@testable import KMSAPI

/// The round trips to PostgreSQL of the requests the bench sends, counted by the session's own
/// connection, against ARCHITECTURE.md ("Round trips to PostgreSQL"). Each is measured warm: the
/// caller's credential cached and the INSERTs already prepared on the connection.
final class RoundTripIntegrationTests: XCTestCase {
    func testTheBenchRequestsCostNoMoreRoundTripsThanArchitectureMdSays() throws {
        let h = try ServiceHarness(clock: TestClock(Int64(Date().timeIntervalSince1970)))
        let account = try h.newAccount()
        func counted(_ action: String, _ params: JSONValue) -> (response: JSONValue, roundTrips: Int) {
            let before = h.database.roundTrips
            let response = h.call(action, params, as: account)
            XCTAssertNil(ServiceHarness.errorCode(response), "\(action): \(response)")
            return (response, h.database.roundTrips - before)
        }
        func importParameters(_ keyId: String) -> (response: JSONValue, roundTrips: Int) {
            counted("GetParametersForImport", ["KeyId": .string(keyId), "WrappingAlgorithm": "RSAES_OAEP_SHA_256",
                                               "WrappingKeySpec": "RSA_2048"])
        }
        let warm = ServiceHarness.string(counted("CreateKey", ["Alias": "warm"]).response, "KeyId")
        _ = counted("Encrypt", ["KeyId": .string(warm), "Plaintext": "eA=="])
        _ = importParameters(ServiceHarness.string(counted("CreateKey", ["Alias": "warm-ext", "Type": 2]).response, "KeyId"))

        let created = counted("CreateKey", ["Alias": "counted"])
        XCTAssertEqual(created.roundTrips, 1, "CreateKey")
        let keyId = ServiceHarness.string(created.response, "KeyId")
        let encrypted = counted("Encrypt", ["KeyId": .string(keyId), "Plaintext": "eA=="])
        XCTAssertEqual(encrypted.roundTrips, 1, "Encrypt, the key not yet cached")
        XCTAssertEqual(counted("Encrypt", ["KeyId": .string(keyId), "Plaintext": "eA=="]).roundTrips, 0, "Encrypt, cached")
        let blob = ServiceHarness.string(encrypted.response, "CiphertextBlob")
        XCTAssertEqual(counted("Decrypt", ["CiphertextBlob": .string(blob)]).roundTrips, 0, "Decrypt, cached")
        XCTAssertEqual(counted("DescribeKey", ["KeyId": .string(keyId)]).roundTrips, 1, "DescribeKey")
        let external = ServiceHarness.string(counted("CreateKey", ["Alias": "counted-ext", "Type": 2]).response, "KeyId")
        XCTAssertEqual(importParameters(external).roundTrips, 2, "GetParametersForImport")
    }
}
