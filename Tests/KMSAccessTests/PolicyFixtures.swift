import KMSAccess

/// Requests and helpers the policy tests share.
enum PolicyFixtures {
    static let owner: Int64 = 100_000_000_001
    static let keyA = "8a2b6e7c-1f3d-11f1-9c5b-525400d3a7e1"
    static let keyB = "0c9f2d1a-1f3e-11f1-9c5b-525400d3a7e1"
    static let now: Int64 = 1_780_000_000

    static func key(_ id: String, region: String = "ap-guangzhou", owner: Int64 = owner) -> String {
        ResourceName.kmsKey(region: region, ownerUin: owner, keyId: id)
    }

    static func context(ip: String? = "10.1.2.3", now: Int64 = now, https: Bool = true) -> AccessContext {
        AccessContext(sourceIP: ip, now: now, secureTransport: https)
    }

    static func request(_ action: String, _ resource: String, _ context: AccessContext = context()) -> AccessRequest {
        AccessRequest(action: action, resource: resource, context: context)
    }

    /// A policy set made of the documents, each of which must parse.
    static func policies(_ documents: String...) throws -> PolicySet {
        PolicySet(try documents.map(PolicyDocument.parse))
    }

    /// One statement as a document.
    static func allow(_ actions: String, _ resources: String, condition: String? = nil, effect: String = "allow") -> String {
        let cond = condition.map { ",\"condition\":\($0)" } ?? ""
        return "{\"version\":\"2.0\",\"statement\":[{\"effect\":\"\(effect)\",\"action\":\(actions),\"resource\":\(resources)\(cond)}]}"
    }
}
