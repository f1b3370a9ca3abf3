import KMSCore
import KMSService

/// GetServiceStatus, ListAlgorithms, GetRegions: facts about the deployment, not about keys.
enum ServiceActions {
    static let specs: [ActionSpec] = [
        ActionSpec(name: "GetServiceStatus", parameters: [], handler: { _, _ in
            // InvalidType 1 is "normal" (0 would mean "not purchased").
            [("ServiceEnabled", .bool(true)), ("InvalidType", .int(1)), ("UserLevel", .int(0))]
        }),
        ActionSpec(name: "ListAlgorithms", parameters: [], handler: { ctx, _ in
            [
                ("SymmetricAlgorithms", .array([.object([
                    ("KeyUsage", .string("ENCRYPT_DECRYPT")), ("Algorithm", .string(ctx.profile.symmetricAlgorithm)),
                ])])),
                ("AsymmetricAlgorithms", .array([])),
                ("AsymmetricSignVerifyAlgorithms", .array([])),
            ]
        }),
        ActionSpec(name: "GetRegions", parameters: [], handler: { ctx, _ in
            [("Regions", .array(ctx.operations.regions.regions.map { .string($0.name) }))]
        }),
    ]
}
