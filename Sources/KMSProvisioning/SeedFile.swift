import KMSCore

/// What a seed file asks a stack to hold (issue 18, README "Seeding a stack"): accounts and,
/// per account and region, keys, named as Tencent's API names them. Parsed and checked by
/// `SeedFile.parse`; nothing here touches a database. Every element remembers the line it was
/// written on, so that an error found later (an alias taken in the database, say) can name it.
public struct SeedFile: Sendable {
    /// The accounts, in the file's order (applied in it).
    public var accounts: [Account]

    /// One account and the keys it should hold.
    public struct Account: Sendable {
        /// The account's name (`kmsctl account create --name`); with no `AppId`, it identifies the account.
        public var name: String
        /// The account's AppId, fixed; with it, it identifies the account.
        public var appId: Int64?
        /// Its root Uin, fixed.
        public var uin: Int64?
        /// A fixed credential's SecretId (with `secretKey`, never alone).
        public var secretId: String?
        /// A fixed credential's SecretKey: development stacks only (`hasFixedSecrets`).
        public var secretKey: SecureBytes?
        /// Its keys, per served region.
        public var regions: [Region]
        /// The line of its entry.
        public var line: Int

        /// Whether the account asks for anything that must not be fixed beyond a development stack.
        public var hasFixedSecrets: Bool {
            secretKey != nil || regions.contains { $0.keys.contains { $0.material != nil } }
        }
    }

    /// One served region of an account.
    public struct Region: Sendable {
        /// The region's name, as in `X-TC-Region`.
        public var name: String
        /// The stack's profile for it, which decides the material's length.
        public var profile: CryptoProfile
        /// The keys, in the file's order.
        public var keys: [Key]
        /// The line of its entry.
        public var line: Int
    }

    /// One symmetric key (ENCRYPT_DECRYPT).
    public struct Key: Sendable {
        /// The key's id; with none, its alias identifies it (and a new key gets a random id).
        public var keyID: KeyID?
        /// Required: CreateKey needs one, and it finds a key given without a KeyId.
        public var alias: String
        /// nil leaves the description alone (a new key: empty).
        public var description: String?
        /// Enabled, Disabled or Archived; nil leaves it as it is (a new key: Enabled).
        public var state: KeyState?
        /// `TENCENT_KMS` (default) or `EXTERNAL`.
        public var origin: KeyOrigin
        /// nil leaves automatic rotation as it is (a new key: off).
        public var rotationEnabled: Bool?
        /// Days between automatic rotations (7-365), when rotation is on.
        public var rotateDays: Int64?
        /// nil leaves the key's tags alone; a list is the key's whole set.
        public var tags: [KeyTag]?
        /// The key's material (development stacks only): generated keys' first version, or an
        /// EXTERNAL key's imported material.
        public var material: SecureBytes?
        /// An EXTERNAL key's material expiry, Unix seconds (0: never), as ImportKeyMaterial's `ValidTo`.
        public var validTo: Int64?
        /// The line of its entry.
        public var line: Int
        /// Where the file names it, e.g. `accounts[0].regions.ap-guangzhou.keys[1]`.
        public var path = ""

        /// How the file names this key in messages: its id, else its alias.
        public var label: String { keyID.map { "\($0) (\(alias))" } ?? alias }
    }
}

/// A seed file the service cannot take, and where: `FILE:LINE: FIELD: message`.
public struct SeedError: Error, CustomStringConvertible, Equatable {
    /// The line (1-based; 0 when the file as a whole is at fault).
    public let line: Int
    /// The field's path in the file, e.g. `accounts[0].regions.ap-guangzhou.keys[1].Material`.
    public let field: String
    /// What is wrong, never repeating a secret value.
    public let message: String

    /// An error at `line`, about `field`.
    public init(line: Int, field: String, _ message: String) {
        self.line = line
        self.field = field
        self.message = message
    }

    public var description: String { "line \(line): \(field): \(message)" }
}
