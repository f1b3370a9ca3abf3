-- BYOK import parameters and the scheduled-work queue (SPEC §5).

-- The import token is a bearer capability: only its SHA-256 is stored.
DROP TABLE import_parameters;
CREATE TABLE import_parameters (
    app_id               bigint NOT NULL,
    region               text   NOT NULL CHECK (region <> ''),
    key_id               uuid   NOT NULL,
    token_hash           bytea  NOT NULL CHECK (length(token_hash) = 32),
    wrapping_algorithm   text   NOT NULL,
    wrapping_key_spec    text   NOT NULL,
    -- PKCS#8 private key, sealed under the master key and bound to this row.
    private_key_sealed   bytea  NOT NULL,
    valid_to             bigint NOT NULL,
    created_at           bigint NOT NULL,
    PRIMARY KEY (app_id, region, token_hash),
    FOREIGN KEY (app_id, region, key_id) REFERENCES keys (app_id, region, key_id) ON DELETE CASCADE
);
CREATE INDEX import_parameters_key ON import_parameters (app_id, region, key_id, created_at);
ALTER TABLE import_parameters ENABLE ROW LEVEL SECURITY;
ALTER TABLE import_parameters FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON import_parameters
    USING (app_id = NULLIF(current_setting('kms.app_id', true), '')::bigint
           AND region = NULLIF(current_setting('kms.region', true), ''))
    WITH CHECK (app_id = NULLIF(current_setting('kms.app_id', true), '')::bigint
           AND region = NULLIF(current_setting('kms.region', true), ''));
GRANT SELECT, INSERT, UPDATE, DELETE ON import_parameters TO kms_app;

-- Work the service owes at a time: material expiry, purging spent import parameters (and, later,
-- deletion and rotation). It names a key and a time, nothing secret; no row-level security, so
-- the worker can find due work across tenants, then does each job inside that tenant's scope.
-- Several responder processes share it safely: a job is claimed with FOR UPDATE SKIP LOCKED.
CREATE TABLE scheduled_jobs (
    kind     text   NOT NULL,
    app_id   bigint NOT NULL,
    region   text   NOT NULL CHECK (region <> ''),
    key_id   uuid   NOT NULL,
    due_at   bigint NOT NULL,
    PRIMARY KEY (kind, app_id, region, key_id)
);
CREATE INDEX scheduled_jobs_due ON scheduled_jobs (due_at);
GRANT SELECT, INSERT, UPDATE, DELETE ON scheduled_jobs TO kms_app;
