import Foundation
import KMSAPI
import KMSHTTP
import KMSMetrics
import KMSService
import KMSStorage
import Synchronization

/// Answers a scrape of `/metrics`: the Prometheus text of this responder's counters and gauges,
/// plus nginx's connection counts.
///
/// nginx marks a scrape with the FastCGI parameter `KMS_METRICS_SCRAPE`, which it sets only in
/// the metrics server (loopback, `KMS_METRICS_PORT`); on the API ports `/metrics` is an API
/// request like any other. A scrape needs no database connection, so it answers while
/// PostgreSQL is away (that is when `kms_database_errors_total` matters).
struct MetricsEndpoint: Sendable {
    /// The parameter that marks a scrape; its presence is all that counts.
    static let marker = "KMS_METRICS_SCRAPE"
    /// The port of nginx's metrics server, where it serves `stub_status` at `/nginx_status`.
    static let nginxStatusPort = "KMS_NGINX_STATUS_PORT"

    let service: Service
    let auditWriter: AuditWriter
    let wrappingKeys: WrappingKeyPool
    let scheduledWorker: @Sendable () -> ScheduledWorker?
    /// Unix seconds when this process started.
    let startTime: Double

    func respond(to request: HTTPRequest) -> HTTPResponse {
        guard request.method == "GET" || request.method == "HEAD" else {
            return HTTPResponse(status: 405, contentType: "text/plain; charset=utf-8", body: Array("only GET\n".utf8))
        }
        var families = service.requestMetrics.families()
        families += serviceFamilies()
        let status = request.parameter(MetricsEndpoint.nginxStatusPort).flatMap(UInt16.init).flatMap(NginxStatusClient.fetch)
        families.append(.single("kms_nginx_up", "1 when nginx's stub_status answered this scrape, else 0 (the kms_nginx_* series are then absent).",
                                .gauge, status == nil ? 0 : 1))
        if let status { families += status.families }
        let text = PrometheusText.render(families)
        return HTTPResponse(status: 200, contentType: PrometheusText.contentType, body: request.method == "HEAD" ? [] : Array(text.utf8))
    }

    private func serviceFamilies() -> [MetricFamily] {
        let audit = auditWriter.queueState
        let cache = service.keyCache.lookups
        var families: [MetricFamily] = [
            .single("kms_audit_queue_depth", "Audit records of read-only and failed requests waiting to be written (at most 100000; more are dropped).",
                    .gauge, Double(audit.depth)),
            .single("kms_audit_dropped_total", "Audit records dropped because the queue was full (PostgreSQL unreachable for long). Should stay 0.",
                    .counter, Double(audit.dropped)),
            .single("kms_key_cache_hits_total", "Key lookups (Encrypt, Decrypt, ...) answered from the in-memory key cache.",
                    .counter, Double(cache.hits)),
            .single("kms_key_cache_misses_total", "Key lookups that had to load the key from PostgreSQL.",
                    .counter, Double(cache.misses)),
            .single("kms_database_errors_total", "Failed exchanges with PostgreSQL: connections refused or lost, statements refused (integrity violations such as a taken alias excluded).",
                    .counter, Double(DatabaseErrors.total)),
        ]
        families.append(MetricFamily(
            name: "kms_wrapping_key_pool_size", help: "Import wrapping key pairs generated ahead and ready, by kind. At 0, GetParametersForImport generates on the request, at the account's CPU budget.",
            type: .gauge, samples: wrappingKeys.sizes.map { .init(labels: [.init("spec", $0.spec.rawValue)], value: Double($0.ready)) }))
        // Absent until the scheduled worker has reached the database once: 0 would claim it is on time.
        if let lag = scheduledWorker()?.jobLag(now: Int64(Date().timeIntervalSince1970)) {
            families.append(.single("kms_scheduled_job_lag_seconds", "How late the oldest due scheduled job (deletion, expiry, rotation) is; 0 when none is due.",
                                    .gauge, Double(lag)))
        }
        families.append(.single("process_start_time_seconds", "Start time of the responder process since the Unix epoch, in seconds.", .gauge, startTime))
        return families
    }
}
