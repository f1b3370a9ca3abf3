/// The Tencent Cloud services this endpoint speaks. A TC3 request names its service in the
/// signed credential scope (`…/kms/tc3_request`); a v1 request, which has no scope, is known by
/// its (signed) `Version`. Each service has exactly one API version here.
enum APIService: String, CaseIterable, Sendable {
    /// Key Management Service, 2019-01-18.
    case kms
    /// Cloud Access Management (sub-users, access keys, policies), 2019-01-16.
    case cam
    /// Tencent Cloud Organization (tenant accounts, for the operator), 2021-03-31.
    case organization

    /// The only API version served for this service.
    var version: String {
        switch self {
        case .kms: return "2019-01-18"
        case .cam: return "2019-01-16"
        case .organization: return "2021-03-31"
        }
    }

    /// Regional services need a served `Region`; CAM and Organization are global and ignore it.
    var isRegional: Bool { self == .kms }

    /// The service a v1 request's `Version` belongs to.
    init?(version: String) {
        guard let service = APIService.allCases.first(where: { $0.version == version }) else { return nil }
        self = service
    }
}
