import KMSCore
import KMSService

/// GetServiceStatus, ListAlgorithms, GetRegions: facts about the deployment, not about keys.
enum ServiceActions {
    static let specs: [ActionSpec] = [
        ActionSpec(name: "GetServiceStatus", parameters: [], handler: { ctx, _ in
            // InvalidType 1 is "normal" (0 would mean "not purchased"). Data keys are hosted unless the
            // quota is 0; nothing is bought here, so the whole quota is free: DataKeyLimit and
            // FreeDataKeyLimit are both it.
            let limit = Int64(ctx.operations.dataKeyLimit)
            return [
                ("ServiceEnabled", .bool(true)), ("InvalidType", .int(1)), ("UserLevel", .int(0)),
                ("IsAllowedDataKeyHosted", .bool(limit > 0)), ("DataKeyLimit", .int(limit)), ("FreeDataKeyLimit", .int(limit)),
                ("DataKeyUsedCount", .int(Int64(try ctx.operations.dataKeysInQuota(ctx.scope)))),
            ]
        }),
        ActionSpec(name: "ListAlgorithms", parameters: [], handler: { ctx, _ in
            // What this region's profile offers: its symmetric cipher and the key pairs of its
            // asymmetric usages, named as Tencent names them (e.g. SM2, RSA_2048, ECC).
            func entries(_ usages: [KeyUsage]) -> JSONValue {
                .array(usages.compactMap { usage in
                    usage.keyPair.map { .object([("KeyUsage", .string(usage.rawValue)), ("Algorithm", .string($0.rawValue))]) }
                })
            }
            let offered = KeyUsage.offered(in: ctx.profile)
            return [
                ("SymmetricAlgorithms", .array([.object([
                    ("KeyUsage", .string(KeyUsage.encryptDecrypt.rawValue)), ("Algorithm", .string(ctx.profile.symmetricAlgorithm)),
                ])])),
                ("AsymmetricAlgorithms", entries(offered.filter(\.decrypts))),
                ("AsymmetricSignVerifyAlgorithms", entries(offered.filter(\.signs))),
            ]
        }),
        ActionSpec(name: "GetRegions", parameters: [], handler: { ctx, _ in
            [("Regions", .array(ctx.operations.regions.regions.map { .string($0.name) }))]
        }),
    ]
}
