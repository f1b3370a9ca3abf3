import XCTest
@testable import KMSAPI

/// `kms-responder --bench-off`: the feature names the bench's A/B may switch off, and nothing else.
final class BenchOffTests: XCTestCase {
    func testEachFeatureIsNamedAndAListNamesSeveral() {
        XCTAssertEqual(BenchOffFeature.parse("replay-memory"), [.replayMemory])
        XCTAssertEqual(BenchOffFeature.parse("metrics"), [.metrics])
        XCTAssertEqual(BenchOffFeature.parse("replay-memory,metrics"), [.replayMemory, .metrics])
        XCTAssertEqual(BenchOffFeature.parse("metrics,metrics"), [.metrics])
    }

    func testAnythingButAFeatureNameIsRefused() {
        // Nothing is guessed: a typo must not leave a feature on while the bench believes it off,
        // nor switch one off that the caller did not name.
        for list in ["", ",", "metrics,", ",metrics", "replay_memory", "Replay-Memory", "replay-memory, metrics",
                     "audit", "rate-limit", "all"] {
            XCTAssertNil(BenchOffFeature.parse(list), list)
        }
    }

    func testTheNamesInTheHelpAreTheOnesAccepted() {
        XCTAssertEqual(BenchOffFeature.names, "replay-memory,metrics")
        XCTAssertEqual(BenchOffFeature.parse(BenchOffFeature.names), Set(BenchOffFeature.allCases))
    }
}
