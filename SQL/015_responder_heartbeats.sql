-- Cluster-wide rate limits and CPU budgets (issue 13, SPEC §8): each responder host of a
-- deployment writes its row here every second (HostHeartbeat, only when started with
-- --host-name) and counts the rows written within the last few seconds: the live hosts. Each host
-- then enforces an account's limit divided by that count. No tenant data: no row-level security.
-- The single-host stack never writes here.
CREATE TABLE responder_heartbeats (
    host    text PRIMARY KEY CHECK (host ~ '^[A-Za-z0-9._-]{1,63}$'),
    seen_at timestamptz NOT NULL
);
GRANT SELECT, INSERT, UPDATE, DELETE ON responder_heartbeats TO kms_app;
