import KMSHTTP
import KMSService

/// `/healthz` and `/readyz` (SPEC §7), answered before any API parsing: no signature, no
/// database round trip, no audit record. nginx routes the two paths here through their own
/// `location =` blocks, which set the `KMS_PROBE` FastCGI parameter (a client cannot: every
/// header reaches the responder as `HTTP_*`).
public struct Health: Sendable {
    let readiness: ReadinessMonitor

    /// Answers readiness from `readiness`'s last check.
    public init(readiness: ReadinessMonitor) {
        self.readiness = readiness
    }

    /// The answer to a probe; nil for every other request (the API's).
    public func answer(_ request: HTTPRequest) -> HTTPResponse? {
        guard let probe = request.parameter("KMS_PROBE") else { return nil }
        switch probe {
        case "healthz":
            // The responder answered: that is all liveness means.
            return Health.text(200, "ok")
        case "readyz":
            if let reason = readiness.notReadyReason { return Health.text(503, reason) }
            return Health.text(200, "ready")
        default:
            return Health.text(404, "unknown probe")
        }
    }

    static func text(_ status: Int, _ line: String) -> HTTPResponse {
        HTTPResponse(status: status, contentType: "text/plain; charset=utf-8", body: Array((line + "\n").utf8))
    }
}
