import Foundation
import XCTest
@testable import KMSService
import KMSCore

/// The caches honour their gate (`CacheInvalidator` closes it when the staleness window ends):
/// an entry is not served once the gate's instant has passed, and is again once it is reopened.
final class CacheGateTests: XCTestCase {
    func testAKeyIsNotServedPastTheGate() {
        let tenant = Tenant(appId: 1_250_000_000, region: "ap-guangzhou")
        let id = KeyID("0f8e3a52-6c1d-4b7e-9a2f-1c3d5e7f9a0b")!
        let cache = KeyCache()
        let key = CustomerMasterKey(id: id, appId: tenant.appId, region: tenant.region, alias: "a", description: "",
                                    keyUsage: .encryptDecrypt, origin: .tencentKMS, state: .enabled, creatorUin: 1, createTime: 0,
                                    currentVersion: 1)
        cache.store(key, version: 1, material: SecureBytes([UInt8](repeating: 1, count: 32)), generation: cache.currentGeneration)
        cache.gate.allow(until: DispatchTimeNow.nanoseconds + 60_000_000_000)
        XCTAssertNotNil(cache.lookup(tenant, id, version: nil), "inside the window")
        cache.gate.allow(until: DispatchTimeNow.nanoseconds)
        XCTAssertNil(cache.lookup(tenant, id, version: nil), "served past the window")
        cache.gate.allow(until: .max)
        XCTAssertNotNil(cache.lookup(tenant, id, version: nil), "the entry itself is dropped by the reconnection, not by the gate")
    }

    func testCredentialsAndPoliciesAreNotServedPastTheGate() {
        let cache = ExpiringCache<String, Int>(capacity: 10, lifetimeSeconds: 60)
        cache.store("AKID", 1, generation: cache.currentGeneration)
        cache.gate.allow(until: DispatchTimeNow.nanoseconds + 60_000_000_000)
        XCTAssertEqual(cache.lookup("AKID"), 1)
        cache.gate.allow(until: DispatchTimeNow.nanoseconds)
        XCTAssertNil(cache.lookup("AKID"))
    }
}
