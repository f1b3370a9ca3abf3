import ArgumentParser
import KMSService

/// `kmsctl account disable|enable --app-id N`: a whole account's credentials refused (or accepted
/// again) by every responder within a second, as the Organization API's DeleteOrganizationMembers
/// does for tenants. Its keys, credentials and audit records stay.
struct AccountEnabled {
    static func set(_ appId: Int64, enabled: Bool, connection: Connection) throws {
        guard try AccountRegistry.setAccount(appId, enabled: enabled, database: try connection.open()) else {
            throw ValidationError("no account with AppId \(appId)")
        }
        print("\(enabled ? "enabled" : "disabled") account \(appId)")
    }
}

extension Account {
    struct Disable: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: """
            Disable an account (tenant or operator): every request signed with any of its credentials fails with \
            AuthFailure.SecretIdNotFound; its keys, credentials and audit trail are kept.
            """)
        @OptionGroup var connection: Connection
        @Option(name: .customLong("app-id"), help: "The account (AppId).") var appId: Int64
        func run() throws { try AccountEnabled.set(appId, enabled: false, connection: connection) }
    }

    struct Enable: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Re-enable a disabled account: its enabled credentials work again.")
        @OptionGroup var connection: Connection
        @Option(name: .customLong("app-id"), help: "The account (AppId).") var appId: Int64
        func run() throws { try AccountEnabled.set(appId, enabled: true, connection: connection) }
    }
}
