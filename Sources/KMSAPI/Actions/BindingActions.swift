import KMSCore
import KMSService

/// BindCloudResource, UnbindCloudResource: which cloud product's resource uses a key. A bound key
/// cannot be disabled, archived, scheduled for deletion or lose its imported material
/// (`FailedOperation.CmkUsedByCloudProduct`); see `CloudResourceBinding`.
enum BindingActions {
    static let specs: [ActionSpec] = [
        ActionSpec(name: "BindCloudResource", mutates: true, parameters: [
            .required("KeyId", .string), .required("ProductId", .string), .required("ResourceId", .string),
        ], handler: bindCloudResource),
        ActionSpec(name: "UnbindCloudResource", mutates: true, parameters: [
            .required("KeyId", .string), .required("ProductId", .string), .required("ResourceId", .string),
        ], handler: unbindCloudResource),
    ]

    static func bindCloudResource(_ ctx: ActionContext, _ p: Parameters) throws -> ResponseFields {
        let (id, binding) = try decode(p)
        try ctx.transaction { try ctx.operations.bind(id, binding, in: $0) }
        return []
    }

    static func unbindCloudResource(_ ctx: ActionContext, _ p: Parameters) throws -> ResponseFields {
        let (id, binding) = try decode(p)
        try ctx.transaction { try ctx.operations.unbind(id, binding, in: $0) }
        return []
    }

    static func decode(_ p: Parameters) throws -> (KeyID, CloudResourceBinding) {
        let id = try p.keyID()
        let binding = try CloudResourceBinding.validated(productId: try p.requiredString("ProductId"),
                                                         resourceId: try p.requiredString("ResourceId"))
        return (id, binding)
    }
}
