-- The audit trail (one record per request). Records are chained per "lane" (one writer: a
-- responder worker, or a process's buffered writer) by an HMAC under a key derived from the
-- master key, so an edited, inserted or deleted record is detected by `kmsctl audit verify`.
-- The responder's role may only INSERT: it can neither read nor change what it wrote.
CREATE TABLE audit_log (
    seq         bigserial PRIMARY KEY,
    lane        uuid    NOT NULL,
    lane_seq    bigint  NOT NULL CHECK (lane_seq >= 1),
    at_ms       bigint  NOT NULL,
    request_id  uuid    NOT NULL,
    app_id      bigint,            -- NULL when the caller was not authenticated
    secret_id   text,
    region      text    NOT NULL,
    action      text    NOT NULL,
    key_id      uuid,
    result      text    NOT NULL,  -- "Success" or the Tencent error code
    client      text    NOT NULL,
    latency_us  bigint  NOT NULL,
    mac         bytea   NOT NULL CHECK (length(mac) = 32),
    UNIQUE (lane, lane_seq)
);
CREATE INDEX audit_log_app ON audit_log (app_id, seq);
CREATE INDEX audit_log_key ON audit_log (key_id, seq);
GRANT INSERT ON audit_log TO kms_app;
GRANT USAGE ON SEQUENCE audit_log_seq_seq TO kms_app;
