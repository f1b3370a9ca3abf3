/// A record that a cloud product's resource uses a CMK (BindCloudResource). While a key has any,
/// it cannot be disabled, archived, scheduled for deletion or lose its imported material
/// (`FailedOperation.CmkUsedByCloudProduct`: Tencent lists that code for DisableKey(s),
/// ArchiveKey, ScheduleKeyDeletion and DeleteImportedKeyMaterial).
///
/// Tencent documents no limits: here a ProductId is 1–64 characters of `A-Z a-z 0-9 _ - .`
/// (Tencent's product names: `ssm`, `cdb`, `mysql`), a ResourceId 1–512 bytes of UTF-8 without
/// control characters ("defined by the calling product, stored as a string"), and a key holds at
/// most 1000 bindings.
public struct CloudResourceBinding: Sendable, Equatable, Hashable {
    /// The product (`ProductId`).
    public let productId: String
    /// The product's resource (`ResourceId`).
    public let resourceId: String

    /// A binding as given; `validated(productId:resourceId:)` checks a request's.
    public init(productId: String, resourceId: String) {
        self.productId = productId
        self.resourceId = resourceId
    }

    /// Characters of a ProductId.
    public static let productIdLength = 1...64
    /// UTF-8 bytes of a ResourceId.
    public static let resourceIdBytes = 1...512
    /// Bindings one key may hold.
    public static let maximumPerKey = 1000
    /// The states a key may be bound in: a product binds a key it uses, so it must be usable
    /// (`CmkStateNotSupport` otherwise; Tencent lists that code for BindCloudResource).
    public static let bindableStates: Set<KeyState> = [.enabled]

    /// The parameters checked; anything outside the rules → `InvalidParameter`.
    public static func validated(productId: String, resourceId: String) throws -> CloudResourceBinding {
        guard productIdLength.contains(productId.utf8.count), productId.utf8.allSatisfy(isProductIdByte) else {
            throw KMSError.invalid("ProductId", "must be 1 to 64 characters of letters, digits, '_', '-' and '.'")
        }
        guard resourceIdBytes.contains(resourceId.utf8.count),
              resourceId.unicodeScalars.allSatisfy({ !($0.value < 0x20 || (0x7F...0x9F).contains($0.value)) }) else {
            throw KMSError.invalid("ResourceId", "must be 1 to 512 bytes without control characters")
        }
        return CloudResourceBinding(productId: productId, resourceId: resourceId)
    }

    static func isProductIdByte(_ c: UInt8) -> Bool {
        (0x30...0x39).contains(c) || (0x41...0x5A).contains(c) || (0x61...0x7A).contains(c)
            || c == UInt8(ascii: "_") || c == UInt8(ascii: "-") || c == UInt8(ascii: ".")
    }

    /// Bind: the key's state allows it.
    public static func checkBindable(_ state: KeyState) throws {
        guard bindableStates.contains(state) else {
            throw KMSError(.cmkStateNotSupport, "Only an Enabled key can be bound to a cloud resource.")
        }
    }

    /// Disable, archive, schedule deletion, delete imported material: refused while bound.
    public static func checkUnbound(bindingCount: Int) throws {
        guard bindingCount == 0 else {
            throw KMSError(.cmkUsedByCloudProduct, "The key is bound to a cloud resource; unbind it first (UnbindCloudResource).")
        }
    }
}
