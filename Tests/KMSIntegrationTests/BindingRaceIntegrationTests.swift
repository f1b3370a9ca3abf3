import Foundation
import XCTest
import KMSCore
import KMSStorage
@testable import KMSAPI
@testable import KMSService

/// A binding and a disable of the same key, racing on two connections: the key's row lock orders
/// them, so exactly one wins, and a Disabled key is never left with a binding.
final class BindingRaceIntegrationTests: XCTestCase {
    func testBindAndDisableRacingNeverBothSucceed() throws {
        let h = try ServiceHarness(clock: TestClock(1_990_000_000))
        let account = try h.newAccount()
        let connections = [try h.appConnection(), try h.appConnection()]
        let tenant = Tenant(appId: account.appId, region: "ap-guangzhou")
        var outcomes: [String: Int] = [:]
        for round in 0..<20 {
            let created = h.call("CreateKey", ["Alias": .string("race\(round)-\(UInt32.random(in: 0...UInt32.max))")], as: account)
            let keyId = ServiceHarness.string(created, "KeyId")
            var results = [String?](repeating: "not run", count: 2)
            let lock = NSLock()
            DispatchQueue.concurrentPerform(iterations: 2) { i in
                let response = i == 0
                    ? h.call("BindCloudResource", ["KeyId": .string(keyId), "ProductId": "cbs", "ResourceId": "disk-1"], as: account,
                             database: connections[0])
                    : h.call("DisableKey", ["KeyId": .string(keyId)], as: account, database: connections[1])
                lock.lock(); results[i] = ServiceHarness.errorCode(response); lock.unlock()
            }
            let bound = try h.database.transaction(tenant: tenant) {
                try $0.run(CountCloudResourceBindings(tenant: tenant, keyID: KeyID(keyId)!)).count
            }
            let state = h.call("DescribeKey", ["KeyId": .string(keyId)], as: account)["KeyMetadata"]?["KeyState"]
            switch (results[0], results[1]) {
            case (nil, "FailedOperation.CmkUsedByCloudProduct"?):
                XCTAssertEqual(bound, 1); XCTAssertEqual(state, "Enabled")
            case ("ResourceUnavailable.CmkStateNotSupport"?, nil):
                XCTAssertEqual(bound, 0); XCTAssertEqual(state, "Disabled")
            default:
                XCTFail("round \(round): bind \(results[0] ?? "ok"), disable \(results[1] ?? "ok")")
            }
            outcomes["\(results[0] ?? "ok")/\(results[1] ?? "ok")", default: 0] += 1
        }
        XCTAssertEqual(outcomes.values.reduce(0, +), 20, "\(outcomes)")
    }
}
