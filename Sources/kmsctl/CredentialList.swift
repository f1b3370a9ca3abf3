import ArgumentParser
import Foundation
import KMSCore
import KMSStorage

extension Credential {
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List credentials: SecretId, AppId, enabled, created, whose (root or a CAM sub-user's Uin); never a SecretKey: it is shown once, at creation.")
        @OptionGroup var connection: Connection
        @Option(name: .customLong("app-id"), help: "Only this account's credentials.") var appId: Int64?
        @Flag(help: "A JSON array of {SecretId, AppId, Enabled, CreatedAt (Unix seconds), UserUin (a CAM sub-user's, null for root)}.")
        var json = false
        func run() throws {
            let db = try connection.open()
            if let appId, !(try db.run(AccountExists(appId: appId))) {
                throw ValidationError("no account with AppId \(appId)")
            }
            let rows = try db.run(ListCredentials(appId: appId))
            if json {
                printJSON(.array(rows.map { .object([
                    ("SecretId", .string($0.secretId)), ("AppId", .int($0.appId)),
                    ("Enabled", .bool($0.enabled)), ("CreatedAt", .int($0.createdAt)),
                    ("UserUin", $0.userUin.map { .int($0) } ?? .null),
                ]) }))
            } else {
                let format = ISO8601DateFormatter()
                for r in rows {
                    let created = format.string(from: Date(timeIntervalSince1970: TimeInterval(r.createdAt)))
                    print("\(r.secretId)\t\(r.appId)\t\(r.enabled ? "enabled" : "disabled")\t\(created)\t\(r.userUin.map(String.init) ?? "root")")
                }
            }
        }
    }
}
