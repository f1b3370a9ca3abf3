import Foundation
import XCTest
import KMSCore
import KMSCrypto
import KMSStorage

/// `sealed_master_key_ids()` (migration 011), which /readyz relies on: the application role learns
/// which master keys sealed values name, across every tenant (row-level security included), and
/// nothing more; the maintenance switch it uses does not outlive the call.
final class ReadinessCensusTests: XCTestCase {
    func testTheApplicationRoleSeesEveryMasterKeyIdInUseAcrossTenants() throws {
        guard let url = ProcessInfo.processInfo.environment["KMS_TEST_DATABASE_URL"] else {
            return XCTFail("KMS_TEST_DATABASE_URL is not set: run the storage tests through scripts/kms test")
        }
        let owner = try Database(conninfo: url)
        try Migrator(directory: ProcessInfo.processInfo.environment["KMS_TEST_SQL_DIR"] ?? "SQL").apply(to: owner)
        let app = try Database(conninfo: url.replacingOccurrences(of: "user=kms_owner", with: "user=kms_app"))
        let appId = Int64.random(in: 1_000_000...9_000_000_000)
        try owner.run(InsertAccount(appId: appId, uin: appId + 10_000_000_000, name: "census", createdAt: 1))
        let tenant = Tenant(appId: appId, region: "ap-guangzhou")
        let key = CustomerMasterKey(id: KeyID(random: Random.bytes(16)), appId: appId, region: tenant.region, alias: "census",
                                    description: "d", keyUsage: .encryptDecrypt, origin: .tencentKMS, state: .enabled,
                                    creatorUin: 1, createTime: 100, currentVersion: 1)
        // A value in the sealed format (format byte 1, master key id 250, then nonce and tag).
        let sealed: [UInt8] = [1, 250] + [UInt8](repeating: 7, count: 40)
        try app.transaction(tenant: tenant) { db in
            try db.run(InsertKey(key))
            try db.run(InsertKeyMaterial(tenant: tenant, keyID: key.id, version: 1, sealed: sealed, createdAt: 100))
        }
        defer {
            // Other tests retire master keys: leave no value under an id no ring holds.
            _ = try? app.transaction(tenant: tenant) { db in
                try db.connection.execute(name: "t_census_cleanup", sql: "DELETE FROM key_material WHERE key_id = $1::uuid",
                                          parameters: [key.id.description])
            }
        }

        // No tenant set: row-level security alone would hide the row from kms_app.
        XCTAssertTrue(try app.run(ListReferencedMasterKeys()).contains(250))

        let setting = try app.transaction(tenant: nil) { db -> String in
            _ = try db.run(ListReferencedMasterKeys())
            let r = try db.connection.execute(name: "t_census_setting", sql: "SELECT coalesce(current_setting('kms.maintenance', true), '') AS v",
                                              parameters: [])
            return try XCTUnwrap(r.rows.first).decode(String.self, "v")
        }
        XCTAssertNotEqual(setting, "on", "maintenance mode outlived the census call")

        // The census itself (tables, columns, counts) stays the owner's.
        XCTAssertThrowsError(try app.run(CountSealedValues()))
    }
}
