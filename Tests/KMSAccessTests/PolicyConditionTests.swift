import XCTest
import KMSAccess

/// Conditions: source address in or out of CIDR blocks (IPv4 and IPv6), times at their boundaries,
/// HTTPS, `_if_exist`, several values (OR) and several operators (AND).
final class PolicyConditionTests: XCTestCase {
    typealias F = PolicyFixtures

    func set(_ condition: String, effect: String = "allow") throws -> PolicySet {
        try F.policies(F.allow(#""kms:Encrypt""#, "\"*\"", condition: condition, effect: effect))
    }

    func decide(_ set: PolicySet, ip: String? = "10.1.2.3", now: Int64 = F.now, https: Bool = true) -> AccessDecision {
        set.decide(F.request("kms:Encrypt", F.key(F.keyA), F.context(ip: ip, now: now, https: https)))
    }

    func testIPv4InAndOutOfCIDR() throws {
        let s = try set(#"{"ip_equal":{"qcs:ip":["10.1.0.0/16","192.168.7.7"]}}"#)
        XCTAssertEqual(decide(s, ip: "10.1.255.254"), .allow)
        XCTAssertEqual(decide(s, ip: "10.2.0.1"), .implicitDeny)
        XCTAssertEqual(decide(s, ip: "192.168.7.7"), .allow)
        XCTAssertEqual(decide(s, ip: "192.168.7.8"), .implicitDeny)
        XCTAssertEqual(decide(s, ip: "::ffff:10.1.0.9"), .allow, "an IPv4-mapped address is its IPv4 address")
        XCTAssertEqual(decide(s, ip: "2001:db8::1"), .implicitDeny, "IPv4 rules never match IPv6")
        XCTAssertEqual(decide(s, ip: nil), .implicitDeny)
        XCTAssertEqual(decide(s, ip: "not-an-ip"), .implicitDeny)
        let everyone = try set(#"{"ip_equal":{"qcs:ip":"0.0.0.0/0"}}"#)
        XCTAssertEqual(decide(everyone, ip: "255.255.255.255"), .allow)
    }

    func testIPv6InAndOutOfCIDR() throws {
        let s = try set(#"{"ip_equal":{"qcs:ip":["2001:db8:abcd::/48","::1","fe80::1:2:3:4/126"]}}"#)
        XCTAssertEqual(decide(s, ip: "2001:db8:abcd:12::7"), .allow)
        XCTAssertEqual(decide(s, ip: "2001:DB8:ABCE::1"), .implicitDeny)
        XCTAssertEqual(decide(s, ip: "0:0:0:0:0:0:0:1"), .allow)
        XCTAssertEqual(decide(s, ip: "fe80::1:2:3:7"), .allow)
        XCTAssertEqual(decide(s, ip: "fe80::1:2:3:8"), .implicitDeny)
        XCTAssertEqual(decide(s, ip: "10.1.2.3"), .implicitDeny)
        let mapped = try set(#"{"ip_equal":{"qcs:ip":"64:ff9b::192.0.2.0/120"}}"#)
        XCTAssertEqual(decide(mapped, ip: "64:ff9b::c000:2ff"), .allow)
    }

    func testIPNotEqualHoldsOnlyOutsideEveryBlock() throws {
        let deny = try F.policies(
            F.allow(#""kms:Encrypt""#, "\"*\""),
            F.allow(#""kms:*""#, "\"*\"", condition: #"{"ip_not_equal":{"qcs:ip":["10.0.0.0/8","172.16.0.0/12"]}}"#, effect: "deny"))
        XCTAssertEqual(decide(deny, ip: "10.9.9.9"), .allow)
        XCTAssertEqual(decide(deny, ip: "172.31.0.1"), .allow)
        XCTAssertEqual(decide(deny, ip: "8.8.8.8"), .explicitDeny)
        // No address: an undecided condition keeps the deny.
        XCTAssertEqual(decide(deny, ip: nil), .explicitDeny)
    }

    func testIfExistHoldsWhenTheRequestHasNoAddress() throws {
        let s = try set(#"{"ip_equal_if_exist":{"qcs:ip":"10.0.0.0/8"}}"#)
        XCTAssertEqual(decide(s, ip: nil), .allow)
        XCTAssertEqual(decide(s, ip: "10.0.0.1"), .allow)
        XCTAssertEqual(decide(s, ip: "11.0.0.1"), .implicitDeny)
        let plain = try set(#"{"ip_equal":{"qcs:ip":"10.0.0.0/8"}}"#)
        XCTAssertEqual(decide(plain, ip: nil), .implicitDeny)
    }

    func testDatesAtTheirBoundaries() throws {
        let t = PolicyTimeReference.newYear2026   // 2026-01-01T00:00:00Z
        let cases: [(String, [(Int64, AccessDecision)])] = [
            ("date_greater_than", [(t - 1, .implicitDeny), (t, .implicitDeny), (t + 1, .allow)]),
            ("date_greater_than_equal", [(t - 1, .implicitDeny), (t, .allow), (t + 1, .allow)]),
            ("date_less_than", [(t - 1, .allow), (t, .implicitDeny), (t + 1, .implicitDeny)]),
            ("date_less_than_equal", [(t - 1, .allow), (t, .allow), (t + 1, .implicitDeny)]),
            ("date_equal", [(t - 1, .implicitDeny), (t, .allow), (t + 1, .implicitDeny)]),
            ("date_not_equal", [(t - 1, .allow), (t, .implicitDeny), (t + 1, .allow)]),
        ]
        for (op, expectations) in cases {
            let s = try set("{\"\(op)\":{\"qcs:current_time\":\"2026-01-01T00:00:00Z\"}}")
            for (now, expected) in expectations {
                XCTAssertEqual(decide(s, now: now), expected, "\(op) at \(now - t)")
            }
        }
        // The same instant written with an offset.
        let offset = try set(#"{"date_greater_than_equal":{"qcs:current_time":"2026-01-01T08:00:00+08:00"}}"#)
        XCTAssertEqual(decide(offset, now: t), .allow)
        XCTAssertEqual(decide(offset, now: t - 1), .implicitDeny)
    }

    func testAWindowOfTwoOperatorsIsAnAnd() throws {
        let s = try set(#"{"date_greater_than_equal":{"qcs:current_time":"2026-01-01T00:00:00Z"},"date_less_than":{"qcs:current_time":"2026-01-02T00:00:00Z"},"ip_equal":{"qcs:ip":"10.0.0.0/8"}}"#)
        let t = PolicyTimeReference.newYear2026
        XCTAssertEqual(decide(s, now: t + 3600), .allow)
        XCTAssertEqual(decide(s, now: t + 86_400), .implicitDeny)
        XCTAssertEqual(decide(s, ip: "11.0.0.1", now: t + 3600), .implicitDeny)
    }

    func testSecureTransport() throws {
        for op in ["bool_equal", "bool"] {
            let https = try set("{\"\(op)\":{\"qcs:secure_transport\":\"true\"}}")
            XCTAssertEqual(decide(https, https: true), .allow, op)
            XCTAssertEqual(decide(https, https: false), .implicitDeny, op)
        }
        let denyPlain = try F.policies(
            F.allow(#""kms:*""#, "\"*\""),
            F.allow(#""*""#, "\"*\"", condition: #"{"bool_equal":{"qcs:secure_transport":false}}"#, effect: "deny"))
        XCTAssertEqual(decide(denyPlain, https: true), .allow)
        XCTAssertEqual(decide(denyPlain, https: false), .explicitDeny)
    }
}

enum PolicyTimeReference {
    /// 2026-01-01T00:00:00Z in Unix seconds (`date -u -d 2026-01-01 +%s`).
    static let newYear2026: Int64 = 1_767_225_600
}
