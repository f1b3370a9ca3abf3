/// nginx's connection counts, as its `stub_status` page reports them.
public struct NginxStatus: Sendable, Equatable {
    public var active: UInt64
    public var accepted: UInt64
    public var handled: UInt64
    public var requests: UInt64
    public var reading: UInt64
    public var writing: UInt64
    public var waiting: UInt64

    public init(active: UInt64, accepted: UInt64, handled: UInt64, requests: UInt64, reading: UInt64, writing: UInt64, waiting: UInt64) {
        self.active = active
        self.accepted = accepted
        self.handled = handled
        self.requests = requests
        self.reading = reading
        self.writing = writing
        self.waiting = waiting
    }

    /// Parses the stub_status page:
    /// ```
    /// Active connections: 2
    /// server accepts handled requests
    ///  10 10 31
    /// Reading: 0 Writing: 1 Waiting: 1
    /// ```
    /// nil for anything else (an error page, a truncated answer).
    public init?(page: String) {
        let words = page.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\r" || $0 == "\t" })
        func number(after label: String, offset: Int = 1) -> UInt64? {
            guard let i = words.firstIndex(where: { $0 == label }), i + offset < words.count else { return nil }
            return UInt64(words[i + offset])
        }
        guard let active = number(after: "connections:"),
              let accepted = number(after: "requests", offset: 1),
              let handled = number(after: "requests", offset: 2),
              let requests = number(after: "requests", offset: 3),
              let reading = number(after: "Reading:"),
              let writing = number(after: "Writing:"),
              let waiting = number(after: "Waiting:"),
              words.first == "Active"
        else { return nil }
        self.init(active: active, accepted: accepted, handled: handled, requests: requests,
                  reading: reading, writing: writing, waiting: waiting)
    }

    /// The `kms_nginx_*` families.
    public var families: [MetricFamily] {
        [
            .single("kms_nginx_connections_active", "Client connections nginx holds open now, waiting ones included.", .gauge, Double(active)),
            .single("kms_nginx_connections_reading", "Connections where nginx is reading the request header.", .gauge, Double(reading)),
            .single("kms_nginx_connections_writing", "Connections where nginx is working on a request or writing its response.", .gauge, Double(writing)),
            .single("kms_nginx_connections_waiting", "Idle keep-alive connections.", .gauge, Double(waiting)),
            .single("kms_nginx_connections_accepted_total", "Client connections nginx accepted since it started.", .counter, Double(accepted)),
            .single("kms_nginx_connections_handled_total", "Accepted connections nginx handled (fewer than accepted only when a limit was hit).", .counter, Double(handled)),
            .single("kms_nginx_requests_total", "Client requests nginx received since it started (every port).", .counter, Double(requests)),
        ]
    }
}
