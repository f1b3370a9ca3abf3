import KMSCore

extension RequestAudit {
    /// The request's one log line (event `request`): `request_id` exactly as answered, `action`,
    /// `app_id` (null before the signature checked out), `code` (`OK` or the Tencent code),
    /// `duration_ms`, and `region`, `client`, `key_id`, `data_key_id` (a hosted data key), `caller_uin` (who
    /// acted) when known. Written at `info` whatever the outcome, so every RequestId a customer reports can be
    /// found. An InternalError is logged at `error` with `at` (the file:line that threw it) or `error` (what
    /// failed in a library).
    public func log(code: String, at failedAt: String? = nil, error failure: String? = nil) {
        let level: Log.Level = failedAt == nil && failure == nil ? .info : .error
        guard Log.enabled(level) else { return }
        var line = Log.start("request", level)
        line.field("request_id", requestId)
        line.field("action", action)
        if let appId { line.field("app_id", appId) } else { line.field("app_id", JSONValue.null) }
        line.field("code", code)
        line.milliseconds("duration_ms", microseconds: Int64((DispatchTimeNow.nanoseconds &- startedNanoseconds) / 1000))
        if !region.isEmpty { line.field("region", region) }
        line.field("client", client)
        if let keyID { line.field("key_id", keyID.description) }
        if let dataKeyID { line.field("data_key_id", dataKeyID.description) }
        if let callerUin { line.field("caller_uin", callerUin) }
        if let failedAt { line.field("at", failedAt) }
        if let failure { line.field("error", failure) }
        Log.emit(line)
    }
}
