import KMSCore

/// Audit records of requests that never authenticated, folded into one summary per source
/// address, action and error code per interval (issue 10: bogus requests grew the trail without
/// bound, one row each). The count is kept exactly; the summary carries the first request's id,
/// time and latency, and `*` for a region that varied. Authenticated requests are never folded:
/// each is one record, attributable to its account.
///
/// Memory is bounded: past `maximumGroups` open groups, a new source address is folded into one
/// group per action and error code with the address `*` (the counts stay exact, the addresses of
/// the flood do not).
struct FailureSummaries {
    struct Group: Hashable {
        let client: String
        let action: String
        let result: String
    }

    /// Nanoseconds a group stays open.
    let interval: UInt64
    let maximumGroups: Int
    private var open: [Group: AuditRecord] = [:]
    private var openedAt: UInt64 = 0

    init(interval: UInt64, maximumGroups: Int = 10_000) {
        self.interval = interval
        self.maximumGroups = maximumGroups
    }

    var isEmpty: Bool { open.isEmpty }

    mutating func add(_ record: AuditRecord, now: UInt64) {
        if open.isEmpty { openedAt = now }
        var group = Group(client: record.client, action: record.action, result: record.result)
        if open[group] == nil, open.count >= maximumGroups {
            group = Group(client: "*", action: record.action, result: record.result)
        }
        guard var summary = open[group] else {
            var first = record
            first.client = group.client
            open[group] = first
            return
        }
        summary.occurrences += record.occurrences
        if summary.region != record.region { summary.region = "*" }
        open[group] = summary
    }

    /// The summaries whose interval has ended (all of them with `force`), oldest first.
    mutating func drain(now: UInt64, force: Bool) -> [AuditRecord] {
        guard !open.isEmpty, force || now &- openedAt >= interval else { return [] }
        let records = open.values.sorted { ($0.atMilliseconds, $0.requestId) < ($1.atMilliseconds, $1.requestId) }
        open.removeAll(keepingCapacity: true)
        return records
    }
}
