import XCTest
@testable import KMSService
import KMSCore
import KMSCrypto
import KMSStorage

/// What `/metrics` reads from the service: key-cache hits and misses, the audit queue's depth and
/// the records it dropped, the wrapping-key pool's size.
final class ServiceGaugesTests: XCTestCase {
    func testKeyCacheCountsHitsAndMisses() {
        let cache = KeyCache()
        let tenant = Tenant(appId: 1_250_000_000, region: "ap-guangzhou")
        let id = KeyID("0f8e3a52-6c1d-4b7e-9a2f-1c3d5e7f9a0b")!
        XCTAssertNil(cache.lookup(tenant, id, version: nil))
        let key = CustomerMasterKey(id: id, appId: tenant.appId, region: tenant.region, alias: "a", description: "", keyUsage: .encryptDecrypt,
                                    origin: .tencentKMS, state: .enabled, creatorUin: 1, createTime: 0, currentVersion: 1)
        cache.store(key, version: 1, material: SecureBytes([UInt8](repeating: 7, count: 32)), generation: cache.currentGeneration)
        XCTAssertNotNil(cache.lookup(tenant, id, version: nil))
        XCTAssertNotNil(cache.lookup(tenant, id, version: 1))
        XCTAssertNil(cache.lookup(tenant, id, version: 2), "a version not cached is a miss")
        XCTAssertEqual(cache.lookups.hits, 2)
        XCTAssertEqual(cache.lookups.misses, 2)
    }

    func testAuditQueueReportsDepthAndEveryDroppedRecord() throws {
        let sealer = try Sealer(masterKey: SecureBytes([UInt8](repeating: 1, count: 32)))
        // The database is unreachable: nothing is written, the queue fills up, then drops.
        let writer = AuditWriter(sealer: sealer, makeDatabase: { throw StorageError("unreachable") })
        let record = AuditRecord(atMilliseconds: 0, requestId: "r", appId: 1, secretId: nil, region: "ap-guangzhou", action: "Encrypt",
                                 keyID: nil, result: "Success", client: "127.0.0.1", latencyMicroseconds: 1)
        for _ in 0..<(AuditWriter.maximumQueued + 5) { writer.enqueue(record) }
        XCTAssertEqual(writer.queueState.depth, AuditWriter.maximumQueued)
        XCTAssertEqual(writer.queueState.dropped, 5)
        XCTAssertFalse(writer.flush())
        // The total never resets (the log's per-flush count does).
        writer.enqueue(record)
        XCTAssertEqual(writer.queueState.dropped, 6)
        XCTAssertEqual(writer.queueState.depth, AuditWriter.maximumQueued)
    }

    func testWrappingKeyPoolListsEveryKindEvenWhenEmpty() {
        let pool = WrappingKeyPool(capacity: 1)
        XCTAssertEqual(pool.sizes.map(\.spec), WrappingKeySpec.allCases)
        XCTAssertEqual(pool.sizes.map(\.ready), [0, 0])
    }
}
