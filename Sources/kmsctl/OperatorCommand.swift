import ArgumentParser
import KMSCore
import KMSService

/// `kmsctl operator create`: the operator's account (made once) and a new credential of it.
struct Operator: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The operator's account: creates and disables tenant accounts over the signed API (Organization).",
        subcommands: [Create.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: """
            Create the operator's account with a credential; when it exists, add a new credential to it (the \
            way back when the secret key was lost: disable the old one with `kmsctl credential disable`). \
            The SecretKey is shown once, here, and stored nowhere in clear.
            """)
        @OptionGroup var connection: Connection
        @Flag(help: "Print {AppId, Uin, SecretId, SecretKey, Created} as one JSON object.") var json = false
        func run() throws {
            let (issued, created) = try connection.registry().createOperatorCredential(now: now)
            if json {
                guard case .object(var fields) = credentialJSON(issued) else { return }
                fields.append(("Created", .bool(created)))
                printJSON(.object(fields))
            } else {
                print(created ? "created the operator account" : "the operator account exists: added a credential")
                print("AppId \(issued.appId)  Uin \(issued.uin)\nSecretId  \(issued.secretId)\nSecretKey \(issued.shownSecretKey)")
            }
        }
    }
}
