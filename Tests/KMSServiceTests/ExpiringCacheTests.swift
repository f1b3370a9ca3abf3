import XCTest
@testable import KMSService

/// The rules the credential and access caches share (`ExpiringCache`), without a database.
final class ExpiringCacheTests: XCTestCase {
    func testALoadThatRacedAnInvalidationIsNotStored() {
        let cache = ExpiringCache<String, Int>(capacity: 10, lifetimeSeconds: 60)
        let seen = cache.currentGeneration
        cache.invalidate("a")           // a change committed while the load was in flight
        cache.store("a", 1, generation: seen)
        XCTAssertNil(cache.lookup("a"))
        cache.store("a", 2, generation: cache.currentGeneration)
        XCTAssertEqual(cache.lookup("a"), 2)
    }

    func testInvalidationDropsExactlyTheMatchingEntries() {
        let cache = ExpiringCache<Int, String>(capacity: 10, lifetimeSeconds: 60)
        for key in 1...4 { cache.store(key, "v\(key)", generation: cache.currentGeneration) }
        cache.invalidate { $0 % 2 == 0 }
        XCTAssertEqual([1, 2, 3, 4].map { cache.lookup($0) }, ["v1", nil, "v3", nil])
        cache.invalidate(1)
        XCTAssertNil(cache.lookup(1))
        XCTAssertEqual(cache.lookup(3), "v3")
        cache.invalidateAll()
        XCTAssertNil(cache.lookup(3))
    }

    func testEntriesExpireAndAFullCacheStartsOver() {
        let expired = ExpiringCache<Int, Int>(capacity: 10, lifetimeSeconds: 0)
        expired.store(1, 1, generation: expired.currentGeneration)
        XCTAssertNil(expired.lookup(1))
        let small = ExpiringCache<Int, Int>(capacity: 2, lifetimeSeconds: 60)
        for key in 1...3 { small.store(key, key, generation: small.currentGeneration) }
        XCTAssertEqual([1, 2, 3].map { small.lookup($0) }, [nil, nil, 3])
    }
}
