import KMSCore
import Yams

extension SeedFile {
    /// Parses and checks a seed file, YAML or JSON (JSON is read as YAML, which it is). Strict:
    /// an unknown or repeated field, a value of the wrong kind, a region the stack does not serve,
    /// a bad KeyId, alias, state or tag, material of the wrong length for its region's profile,
    /// and the same key, alias, account or credential twice in the file are each a `SeedError`
    /// naming the line and the field. Scalars are read as written (`Material: 000102` stays
    /// `000102`, YAML's `yes` is no boolean); a message never repeats a secret value.
    public static func parse(_ text: String, regions: RegionTable) throws -> SeedFile {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw SeedError(yaml: error)
        }
        guard let root else { throw SeedError(line: 1, field: "(file)", "the file is empty: it needs `accounts:`") }
        let top = try Fields(root, path: "(file)", allowed: ["accounts"])
        guard let list = top["accounts"] else { throw SeedError(line: top.line, field: "accounts", "missing") }
        var accounts: [Account] = []
        for (index, node) in try sequence(list, path: "accounts").enumerated() {
            accounts.append(try account(node, path: "accounts[\(index)]", regions: regions))
        }
        try checkUnique(accounts)
        return SeedFile(accounts: accounts)
    }

    static let accountFields: Set<String> = ["name", "AppId", "Uin", "SecretId", "SecretKey", "regions"]
    static let keyFields: Set<String> = ["KeyId", "Alias", "Description", "KeyState", "Origin", "KeyUsage",
                                         "KeyRotationEnabled", "RotateDays", "Tags", "Material", "ValidTo"]

    static func account(_ node: Node, path: String, regions table: RegionTable) throws -> Account {
        let fields = try Fields(node, path: path, allowed: accountFields)
        guard let nameNode = fields["name"] else { throw SeedError(line: fields.line, field: "\(path).name", "missing") }
        let name = try string(nameNode, path: "\(path).name")
        guard (1...64).contains(name.count), !name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw SeedError(line: line(nameNode), field: "\(path).name", "must be 1 to 64 characters, no control characters")
        }
        var account = Account(name: name, regions: [], line: fields.line)
        if let node = fields["AppId"] { account.appId = try number(node, path: "\(path).AppId", in: 1...9_999_999_999) }
        if let node = fields["Uin"] { account.uin = try number(node, path: "\(path).Uin", in: 1...999_999_999_999_999) }
        if let node = fields["SecretId"] {
            let secretId = try string(node, path: "\(path).SecretId")
            let tail = secretId.utf8.dropFirst(4)
            guard secretId.hasPrefix("AKID"), secretId.utf8.count == 36, tail.allSatisfy(ASCII.isAlphanumeric) else {
                throw SeedError(line: line(node), field: "\(path).SecretId", "must be AKID and 32 letters or digits (36 characters)")
            }
            account.secretId = secretId
        }
        if let node = fields["SecretKey"] {
            let secretKey = try string(node, path: "\(path).SecretKey")
            guard secretKey.utf8.count == 32, secretKey.utf8.allSatisfy(ASCII.isAlphanumeric) else {
                throw SeedError(line: line(node), field: "\(path).SecretKey", "must be 32 letters or digits")
            }
            account.secretKey = SecureBytes(Array(secretKey.utf8))
        }
        if (account.secretId == nil) != (account.secretKey == nil) {
            throw SeedError(line: fields.line, field: path, "SecretId and SecretKey go together: give both or neither")
        }
        if account.secretId != nil && account.appId == nil {
            throw SeedError(line: fields.line, field: path, "a fixed SecretId needs a fixed AppId (the credential belongs to it)")
        }
        if let node = fields["regions"] {
            let regionFields = try Fields(node, path: "\(path).regions", allowed: nil)
            for (name, value) in regionFields.pairs {
                let regionPath = "\(path).regions.\(name.text)"
                guard let profile = table.profile(of: name.text) else {
                    let served = table.regions.map(\.name).joined(separator: ", ")
                    throw SeedError(line: name.line, field: regionPath, "this stack does not serve the region (it serves \(served); KMS_REGIONS)")
                }
                account.regions.append(try region(value, name: name.text, profile: profile, path: regionPath))
            }
        }
        return account
    }

    static func region(_ node: Node, name: String, profile: CryptoProfile, path: String) throws -> Region {
        let fields = try Fields(node, path: path, allowed: ["keys"])
        var region = Region(name: name, profile: profile, keys: [], line: fields.line)
        if let list = fields["keys"] {
            for (index, node) in try sequence(list, path: "\(path).keys").enumerated() {
                region.keys.append(try key(node, path: "\(path).keys[\(index)]", profile: profile))
            }
        }
        var ids = Set<KeyID>(), aliases = Set<String>()
        for key in region.keys {
            if let id = key.keyID, !ids.insert(id).inserted {
                throw SeedError(line: key.line, field: "\(path).keys", "KeyId \(id) is named twice")
            }
            if !aliases.insert(key.alias).inserted {
                throw SeedError(line: key.line, field: "\(path).keys", "Alias \(key.alias) is named twice")
            }
        }
        return region
    }

    static func key(_ node: Node, path: String, profile: CryptoProfile) throws -> Key {
        let fields = try Fields(node, path: path, allowed: keyFields)
        var key = Key(alias: "", origin: .tencentKMS, line: fields.line, path: path)
        if let node = fields["KeyId"] {
            let text = try string(node, path: "\(path).KeyId")
            guard let id = KeyID(text) else {
                throw SeedError(line: line(node), field: "\(path).KeyId", "is not a key id (8-4-4-4-12 hexadecimal digits)")
            }
            key.keyID = id
        }
        // CreateKey needs an alias, so every key the file may have to create has one.
        guard let aliasNode = fields["Alias"] else { throw SeedError(line: fields.line, field: "\(path).Alias", "missing (a key needs one)") }
        key.alias = try string(aliasNode, path: "\(path).Alias")
        try rule(aliasNode, path: "\(path).Alias") { try KeyAttributes.validateAlias(key.alias) }
        if let node = fields["Description"] {
            let description = try string(node, path: "\(path).Description")
            try rule(node, path: "\(path).Description") { try KeyAttributes.validateDescription(description) }
            key.description = description
        }
        if let node = fields["KeyState"] {
            let text = try string(node, path: "\(path).KeyState")
            guard let state = KeyState(rawValue: text), [.enabled, .disabled, .archived].contains(state) else {
                throw SeedError(line: line(node), field: "\(path).KeyState", "must be Enabled, Disabled or Archived")
            }
            key.state = state
        }
        if let node = fields["Origin"] {
            let text = try string(node, path: "\(path).Origin")
            guard let origin = KeyOrigin(rawValue: text) else {
                throw SeedError(line: line(node), field: "\(path).Origin", "must be TENCENT_KMS or EXTERNAL")
            }
            key.origin = origin
        }
        if let node = fields["KeyUsage"], try string(node, path: "\(path).KeyUsage") != "ENCRYPT_DECRYPT" {
            throw SeedError(line: line(node), field: "\(path).KeyUsage",
                            "a seed file holds symmetric keys only: ENCRYPT_DECRYPT (asymmetric keys are created through the API)")
        }
        if let node = fields["KeyRotationEnabled"] { key.rotationEnabled = try boolean(node, path: "\(path).KeyRotationEnabled") }
        if let node = fields["RotateDays"] {
            key.rotateDays = try number(node, path: "\(path).RotateDays", in: KeySchedule.rotateDays)
        }
        if let node = fields["Tags"] { key.tags = try tags(node, path: "\(path).Tags") }
        if let node = fields["Material"] {
            let text = try string(node, path: "\(path).Material")
            guard let bytes = Hex.decode(text) else {
                throw SeedError(line: line(node), field: "\(path).Material", "must be hexadecimal digits, two a byte")
            }
            guard bytes.count == profile.materialLength else {
                throw SeedError(line: line(node), field: "\(path).Material",
                                "\(bytes.count) bytes; keys in a \(profile.rawValue) region take \(profile.materialLength) (\(profile.materialLength * 2) hexadecimal digits)")
            }
            key.material = SecureBytes(bytes)
        }
        if let node = fields["ValidTo"] {
            guard key.origin == .external else {
                throw SeedError(line: line(node), field: "\(path).ValidTo", "only an EXTERNAL key's material has a ValidTo")
            }
            key.validTo = try number(node, path: "\(path).ValidTo", in: 0...253_402_300_799)
        }
        if key.origin == .external {
            if key.rotationEnabled == true {
                throw SeedError(line: fields.line, field: "\(path).KeyRotationEnabled", "an EXTERNAL key cannot rotate")
            }
            if key.material == nil, key.state != nil {
                throw SeedError(line: fields.line, field: "\(path).KeyState", "an EXTERNAL key without Material stays PendingImport")
            }
            if key.material != nil, key.validTo == nil {
                throw SeedError(line: fields.line, field: "\(path).ValidTo", "missing: the imported material's expiry (0: never)")
            }
        }
        return key
    }

    static func tags(_ node: Node, path: String) throws -> [KeyTag] {
        var elements: [JSONValue] = []
        for (index, element) in try sequence(node, path: path).enumerated() {
            let fields = try Fields(element, path: "\(path)[\(index)]", allowed: ["TagKey", "TagValue"])
            elements.append(.object(try fields.pairs.map { name, value in
                (name.text, .string(try string(value, path: "\(path)[\(index)].\(name.text)")))
            }))
        }
        return try rule(node, path: path) { try KeyTag.validated(elements, parameter: path) }
    }

    /// The same account, AppId or SecretId twice in one file. A name may repeat between accounts
    /// that each give their AppId (names need not be unique; an AppId is).
    static func checkUnique(_ accounts: [Account]) throws {
        var names = Set<String>(), unnumbered = Set<String>(), appIds = Set<Int64>(), secretIds = Set<String>()
        for (index, account) in accounts.enumerated() {
            let path = "accounts[\(index)]"
            let repeated = !names.insert(account.name).inserted
            if account.appId == nil && repeated || unnumbered.contains(account.name) {
                throw SeedError(line: account.line, field: "\(path).name",
                                "the account \(account.name) is named twice (give each its AppId to tell them apart)")
            }
            if account.appId == nil { unnumbered.insert(account.name) }
            if let appId = account.appId, !appIds.insert(appId).inserted {
                throw SeedError(line: account.line, field: "\(path).AppId", "AppId \(appId) is given to two accounts")
            }
            if let secretId = account.secretId, !secretIds.insert(secretId).inserted {
                throw SeedError(line: account.line, field: "\(path).SecretId", "the SecretId is given to two accounts")
            }
        }
    }
}
