import XCTest
@testable import KMSAccess

/// The building blocks under `decide`: `*` wildcards anywhere in a pattern, and IPv4/IPv6 parsing.
final class WildcardAndAddressParsingTests: XCTestCase {
    func testWildcardsMatchAnyRunIncludingNone() {
        let cases: [(String, String, Bool)] = [
            ("*", "", true), ("*", "anything/at:all", true), ("", "", true), ("", "x", false),
            ("abc", "abc", true), ("abc", "abcd", false), ("abc", "ab", false),
            ("ab*", "ab", true), ("ab*", "abzzz", true), ("ab*", "a", false),
            ("*yz", "yz", true), ("*yz", "xxyz", true), ("*yz", "yzx", false),
            ("a*b*c", "abc", true), ("a*b*c", "aXXbYYc", true), ("a*b*c", "acb", false), ("a*b*c", "abcb", false),
            ("*b*", "abc", true), ("*b*", "ac", false), ("a**c", "ac", true),
            ("aba*aba", "aba", false), ("aba*aba", "ababa", false), ("aba*aba", "abaaba", true),
            ("key/creatorUin/1/*", "key/creatorUin/1/0c9f2d1a-1f3e", true),
            ("key/creatorUin/1/0c9f2d1a-1f3e", "key/creatorUin/1/0c9f2d1a-1f3f", false),
        ]
        for (pattern, subject, expected) in cases {
            XCTAssertEqual(WildcardPattern(pattern, ignoresCase: false).matches(subject), expected, "\(pattern) ~ \(subject)")
        }
        XCTAssertTrue(WildcardPattern("Describe*", ignoresCase: true).matches("describekeys"))
        XCTAssertTrue(WildcardPattern("describe*", ignoresCase: true).matches("DESCRIBEKEYS"))
        XCTAssertFalse(WildcardPattern("describe*", ignoresCase: false).matches("DescribeKeys"))
    }

    func testParsesIPv4Strictly() {
        XCTAssertEqual(IPAddress.parse("192.168.0.1"), IPAddress(isV6: false, high: 0, low: 0xC0A8_0001))
        for bad in ["192.168.0", "192.168.0.1.", "192.168.0.256", "192.168.00.1", "1..2.3", "", " 1.2.3.4", "1.2.3.4/8", "1.2.3.4%eth0"] {
            XCTAssertNil(IPAddress.parse(bad), bad)
        }
    }

    func testParsesIPv6Forms() {
        XCTAssertEqual(IPAddress.parse("::"), IPAddress(isV6: true, high: 0, low: 0))
        XCTAssertEqual(IPAddress.parse("::1"), IPAddress(isV6: true, high: 0, low: 1))
        XCTAssertEqual(IPAddress.parse("2001:db8::"), IPAddress(isV6: true, high: 0x2001_0db8_0000_0000, low: 0))
        XCTAssertEqual(IPAddress.parse("2001:DB8:0:0:1:2:3:4"), IPAddress(isV6: true, high: 0x2001_0db8_0000_0000, low: 0x0001_0002_0003_0004))
        XCTAssertEqual(IPAddress.parse("1:2:3:4:5:6:1.2.3.4"), IPAddress(isV6: true, high: 0x0001_0002_0003_0004, low: 0x0005_0006_0102_0304))
        XCTAssertEqual(IPAddress.parse("::ffff:1.2.3.4"), IPAddress(isV6: false, high: 0, low: 0x0102_0304))
        for bad in [":", ":::", "1::2::3", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "12345::", "1:", ":1", "fe80::1%eth0", "::1.2.3", "g::1"] {
            XCTAssertNil(IPAddress.parse(bad), bad)
        }
    }

    func testCIDRMasksHostBitsAndKeepsFamilies() {
        let block = IPAddressRange("10.217.182.3/24")!
        XCTAssertTrue(block.contains(IPAddress.parse("10.217.182.255")!))
        XCTAssertFalse(block.contains(IPAddress.parse("10.217.183.0")!))
        XCTAssertTrue(IPAddressRange("::/0")!.contains(IPAddress.parse("2001:db8::1")!))
        XCTAssertFalse(IPAddressRange("::/0")!.contains(IPAddress.parse("1.2.3.4")!))
        XCTAssertTrue(IPAddressRange("2001:db8::/65")!.contains(IPAddress.parse("2001:db8::7fff:0:0:1")!))
        XCTAssertFalse(IPAddressRange("2001:db8::/65")!.contains(IPAddress.parse("2001:db8::8000:0:0:1")!))
        for bad in ["10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/+8", "::/129", "10.0.0.0/8/8"] {
            XCTAssertNil(IPAddressRange(bad), bad)
        }
    }

    func testISO8601Times() {
        XCTAssertEqual(PolicyTime.unixSeconds("1970-01-01T00:00:00Z"), 0)
        XCTAssertEqual(PolicyTime.unixSeconds("2026-01-01T00:00:00Z"), 1_767_225_600)
        XCTAssertEqual(PolicyTime.unixSeconds("2024-02-29T12:00:00-01:30"), 1_709_208_000 + 5400)
        for bad in ["2026-01-01", "2026-01-01T00:00:00", "2026-01-01 00:00:00Z", "2026-13-01T00:00:00Z",
                    "2025-02-29T00:00:00Z", "2026-01-01T24:00:00Z", "2026-01-01T00:00:00.5Z", "2026-01-01T00:00:00+0800"] {
            XCTAssertNil(PolicyTime.unixSeconds(bad), bad)
        }
    }
}
