import XCTest
import KMSAccess

/// Policies over KMS-hosted data keys (docs/DATA_KEYS.md): `datakey/creatorUin/<uin>/<DataKeyId>`
/// is a resource of its own, granted neither by a statement on keys nor granting one.
final class DataKeyResourceTests: XCTestCase {
    typealias F = PolicyFixtures

    func dataKey(_ id: String, owner: Int64 = F.owner) -> String {
        ResourceName.kmsDataKey(region: "ap-guangzhou", ownerUin: owner, dataKeyId: id)
    }

    func testADataKeyStatementAllowsThatDataKeyOnly() throws {
        let set = try F.policies(F.allow(#"["kms:GetDataKeyPlaintext"]"#, "\"\(dataKey(F.keyA))\""))
        XCTAssertEqual(dataKey(F.keyA), "qcs::kms:ap-guangzhou:uin/\(F.owner):datakey/creatorUin/\(F.owner)/\(F.keyA)")
        XCTAssertEqual(set.decide(F.request("kms:GetDataKeyPlaintext", dataKey(F.keyA))), .allow)
        XCTAssertEqual(set.decide(F.request("kms:GetDataKeyPlaintext", dataKey(F.keyB))), .implicitDeny)
        XCTAssertEqual(set.decide(F.request("kms:GetDataKeyPlaintext", dataKey(F.keyA, owner: 100_000_000_002))), .implicitDeny)
        // A CMK of the same id is another resource.
        XCTAssertEqual(set.decide(F.request("kms:GetDataKeyPlaintext", F.key(F.keyA))), .implicitDeny)
    }

    func testKeyAndDataKeyWildcardsAreSeparate() throws {
        let keys = try F.policies(F.allow(#""kms:*""#, "\"qcs::kms:ap-guangzhou:uin/\(F.owner):key/*\""))
        XCTAssertEqual(keys.decide(F.request("kms:DisableDataKey", dataKey(F.keyA))), .implicitDeny)
        let dataKeys = try F.policies(F.allow(#""kms:*""#, "\"qcs::kms:ap-guangzhou:uin/\(F.owner):datakey/*\""))
        XCTAssertEqual(dataKeys.decide(F.request("kms:DisableDataKey", dataKey(F.keyA))), .allow)
        XCTAssertEqual(dataKeys.decide(F.request("kms:DisableKey", F.key(F.keyA))), .implicitDeny)
        let creator = try F.policies(F.allow(#""kms:*""#, "\"qcs::kms:ap-guangzhou:uin/\(F.owner):datakey/creatorUin/\(F.owner)/*\""))
        XCTAssertEqual(creator.decide(F.request("kms:DescribeDataKey", dataKey(F.keyB))), .allow)
    }

    func testOtherResourceTypesAreStillRefused() {
        XCTAssertThrowsError(try F.policies(F.allow(#""kms:*""#, "\"qcs::kms:ap-guangzhou:uin/\(F.owner):datakeys/*\"")))
        XCTAssertThrowsError(try F.policies(F.allow(#""kms:*""#, "\"qcs::kms:ap-guangzhou:uin/\(F.owner):datakey/owner/1/x\"")))
    }
}
