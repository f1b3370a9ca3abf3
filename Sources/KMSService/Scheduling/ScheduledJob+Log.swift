import KMSCore

extension ScheduledJob {
    /// What identifies a job in its log lines: `job_id`, `job_kind`, `key_id` (`data_key_id` for a
    /// data key's job), `app_id`, `region`.
    var logFields: [(String, JSONValue)] {
        [("job_id", .int(id)), ("job_kind", .string(kind.rawValue)),
         (kind == .deleteDataKey ? "data_key_id" : "key_id", .string(keyID.description)),
         ("app_id", .int(tenant.appId)), ("region", .string(tenant.region))]
    }
}
