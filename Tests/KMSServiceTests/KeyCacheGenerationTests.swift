import Foundation
import XCTest
@testable import KMSService
import KMSCore

/// `KeyCache`'s generation rule: a cache miss reads the generation, loads the row, then stores it;
/// an invalidation between the load and the store must win, so a row made stale by a change is
/// never stored, and never served after the change's invalidation.
final class KeyCacheGenerationTests: XCTestCase {
    let tenant = Tenant(appId: 1_250_000_000, region: "ap-guangzhou")
    let id = KeyID("0f8e3a52-6c1d-4b7e-9a2f-1c3d5e7f9a0b")!

    func key(_ state: KeyState, version: UInt32 = 1) -> CustomerMasterKey {
        CustomerMasterKey(id: id, appId: tenant.appId, region: tenant.region, alias: "a", description: "", keyUsage: .encryptDecrypt,
                          origin: .tencentKMS, state: state, creatorUin: 1, createTime: 0, currentVersion: version)
    }

    func material(_ byte: UInt8) -> SecureBytes { SecureBytes([UInt8](repeating: byte, count: 32)) }

    func testAMissStoredWithTheGenerationItReadIsServed() {
        let cache = KeyCache()
        let seen = cache.currentGeneration
        cache.store(key(.enabled), version: 1, material: material(1), generation: seen)
        XCTAssertEqual(cache.lookup(tenant, id, version: nil)?.status.state, .enabled)
        XCTAssertEqual(cache.lookup(tenant, id, version: 1)?.version, 1)
        XCTAssertNil(cache.lookup(tenant, id, version: 2), "a version never stored is a miss")
    }

    func testAnInvalidationBetweenTheLoadAndTheStoreWins() {
        let cache = KeyCache()
        // Request A misses and reads the row (Enabled) …
        let seen = cache.currentGeneration
        let loaded = key(.enabled)
        // … request B disables the key and invalidates it …
        cache.invalidate(tenant, id)
        // … and A's store of the row it read before the change is dropped.
        cache.store(loaded, version: 1, material: material(1), generation: seen)
        XCTAssertNil(cache.lookup(tenant, id, version: nil), "the stale Enabled row was stored after the key was disabled")
        XCTAssertEqual(cache.count, 0)
        // The next miss loads the changed row and may store it.
        cache.store(key(.disabled), version: 1, material: material(1), generation: cache.currentGeneration)
        XCTAssertEqual(cache.lookup(tenant, id, version: nil)?.status.state, .disabled)
    }

    func testInvalidatingEverythingAlsoWinsAgainstAnInFlightStore() {
        let cache = KeyCache()
        let seen = cache.currentGeneration
        cache.invalidateAll()  // what a reconnect after missed notifications does
        cache.store(key(.enabled), version: 1, material: material(1), generation: seen)
        XCTAssertNil(cache.lookup(tenant, id, version: nil))
    }

    func testAnInvalidationRemovesWhatWasCachedAndAnotherTenantsKeyIsAnotherEntry() {
        let cache = KeyCache()
        cache.store(key(.enabled), version: 1, material: material(1), generation: cache.currentGeneration)
        XCTAssertNil(cache.lookup(Tenant(appId: tenant.appId, region: "ap-beijing"), id, version: nil))
        XCTAssertNil(cache.lookup(Tenant(appId: tenant.appId + 1, region: tenant.region), id, version: nil))
        cache.invalidate(tenant, id)
        XCTAssertNil(cache.lookup(tenant, id, version: nil))
    }

    /// Threads race the miss path against changes: a writer changes the "row" and then invalidates,
    /// as a committed change does; readers do what `CryptoActions.loadKey` does. Right after each
    /// invalidation the cache may hold nothing or the current row — never an older one.
    func testRacingMissesNeverLeaveAStaleRowAfterAnInvalidation() {
        let cache = KeyCache()
        let row = Locked(key(.enabled, version: 1))
        let done = Locked(false)
        let readers = DispatchGroup()
        let (tenant, id) = (self.tenant, self.id)
        for _ in 0..<3 {
            readers.enter()
            Thread.detachNewThread {
                defer { readers.leave() }
                while !done.load() {
                    if cache.lookup(tenant, id, version: nil) != nil { continue }
                    let seen = cache.currentGeneration
                    let loaded = row.load()
                    cache.store(loaded, version: loaded.currentVersion, material: SecureBytes([UInt8(loaded.currentVersion & 0xFF)]),
                                generation: seen)
                }
            }
        }
        var stale = 0
        for change in 1...20_000 {
            let now = key(change % 2 == 0 ? .enabled : .disabled, version: UInt32(change / 2 + 1))
            row.store(now)
            cache.invalidate(tenant, id)
            if let served = cache.lookup(tenant, id, version: nil), served.status != now.status { stale += 1 }
        }
        done.store(true)
        readers.wait()
        XCTAssertEqual(stale, 0, "a row read before a change was served after its invalidation")
        if let last = cache.lookup(tenant, id, version: nil) { XCTAssertEqual(last.status, row.load().status) }
    }
}

/// A value shared between the test's threads: the key's row as the database holds it, a stop flag.
private final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func load() -> Value { lock.lock(); defer { lock.unlock() }; return value }
    func store(_ new: Value) { lock.lock(); value = new; lock.unlock() }
}
