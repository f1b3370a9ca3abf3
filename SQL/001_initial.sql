-- Accounts, credentials, keys and key-material versions (SPEC §3, §6).
-- Applied by `kmsctl migrate` as kms_owner; the responder connects as kms_app, which owns
-- nothing, has no BYPASSRLS, and sees tenant rows only for the tenant set with SET LOCAL.

CREATE TABLE accounts (
    app_id      bigint PRIMARY KEY,
    uin         bigint NOT NULL UNIQUE,
    name        text   NOT NULL,
    created_at  bigint NOT NULL
);

-- The secret key is stored only sealed under the master key, bound to its secret_id.
CREATE TABLE credentials (
    secret_id          text    PRIMARY KEY CHECK (length(secret_id) = 36),
    app_id             bigint  NOT NULL REFERENCES accounts (app_id),
    secret_key_sealed  bytea   NOT NULL,
    enabled            boolean NOT NULL DEFAULT true,
    created_at         bigint  NOT NULL
);
CREATE INDEX credentials_app_id ON credentials (app_id);

-- One row per CMK. Every tenant row carries its account and region; the key id is unique
-- only within them, so a clash between tenants can reveal nothing.
CREATE TABLE keys (
    app_id            bigint  NOT NULL REFERENCES accounts (app_id),
    region            text    NOT NULL CHECK (region <> ''),
    key_id            uuid    NOT NULL,
    alias             text    NOT NULL,
    description       text    NOT NULL DEFAULT '',
    key_usage         text    NOT NULL,
    origin            text    NOT NULL CHECK (origin IN ('TENCENT_KMS', 'EXTERNAL')),
    state             text    NOT NULL CHECK (state IN ('Enabled', 'Disabled', 'PendingDelete', 'PendingImport', 'Archived')),
    creator_uin       bigint  NOT NULL,
    create_time       bigint  NOT NULL,
    deletion_date     bigint  NOT NULL DEFAULT 0,
    valid_to          bigint  NOT NULL DEFAULT 0,
    current_version   integer NOT NULL DEFAULT 0,
    -- Keyed fingerprint of imported material (HMAC under the master key), never the material.
    material_fingerprint bytea,
    rotation_enabled  boolean NOT NULL DEFAULT false,
    rotate_days       integer NOT NULL DEFAULT 365,
    next_rotate_time  bigint  NOT NULL DEFAULT 0,
    last_rotate_time  bigint  NOT NULL DEFAULT 0,
    PRIMARY KEY (app_id, region, key_id),
    UNIQUE (app_id, region, alias)
);
CREATE INDEX keys_listing ON keys (app_id, region, create_time);

-- Material versions of a key, each sealed under the master key and bound to its row.
CREATE TABLE key_material (
    app_id           bigint  NOT NULL,
    region           text    NOT NULL,
    key_id           uuid    NOT NULL,
    version          integer NOT NULL CHECK (version >= 1),
    material_sealed  bytea   NOT NULL,
    created_at       bigint  NOT NULL,
    PRIMARY KEY (app_id, region, key_id, version),
    FOREIGN KEY (app_id, region, key_id) REFERENCES keys (app_id, region, key_id) ON DELETE CASCADE
);

-- Wrapping key pairs handed out by GetParametersForImport (filled by the BYOK work).
CREATE TABLE import_parameters (
    app_id               bigint NOT NULL,
    region               text   NOT NULL,
    key_id               uuid   NOT NULL,
    import_token         text   NOT NULL,
    wrapping_algorithm   text   NOT NULL,
    wrapping_key_spec    text   NOT NULL,
    private_key_sealed   bytea  NOT NULL,
    valid_to             bigint NOT NULL,
    created_at           bigint NOT NULL,
    PRIMARY KEY (app_id, region, import_token),
    FOREIGN KEY (app_id, region, key_id) REFERENCES keys (app_id, region, key_id) ON DELETE CASCADE
);
CREATE INDEX import_parameters_key ON import_parameters (app_id, region, key_id);

-- Row-level security: the tenant comes from SET LOCAL kms.app_id / kms.region, set per
-- transaction. Unset (or reset to '') means no rows at all.
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['keys', 'key_material', 'import_parameters'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format($p$CREATE POLICY tenant_isolation ON %I
            USING (app_id = NULLIF(current_setting('kms.app_id', true), '')::bigint
                   AND region = NULLIF(current_setting('kms.region', true), ''))
            WITH CHECK (app_id = NULLIF(current_setting('kms.app_id', true), '')::bigint
                   AND region = NULLIF(current_setting('kms.region', true), ''))$p$, t);
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO kms_app', t);
    END LOOP;
END $$;

-- The responder resolves a SecretId before it knows the tenant; it only reads these.
GRANT SELECT ON accounts, credentials TO kms_app;
