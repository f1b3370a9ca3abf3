-- KMS-hosted data keys (issue 16, SPEC §10, docs/DATA_KEYS.md). A data key belongs to one account
-- and region and is sealed under one of its CMKs: `ciphertext` is the ciphertext envelope that CMK
-- made (never the data key itself). Not named "sealed": that name is for values sealed under the
-- master key, which migration 009's census counts (an envelope would read as an unknown master key). Destroying the CMK destroys its data keys (ON DELETE CASCADE):
-- nothing could open them any more.
CREATE TABLE data_keys (
    app_id               bigint  NOT NULL,
    region               text    NOT NULL CHECK (region <> ''),
    data_key_id          uuid    NOT NULL,
    key_id               uuid    NOT NULL,
    name                 text    NOT NULL CHECK (char_length(name) BETWEEN 1 AND 60),
    description          text    NOT NULL DEFAULT '' CHECK (octet_length(description) <= 100),
    number_of_bytes      integer NOT NULL CHECK (number_of_bytes BETWEEN 1 AND 1024),
    state                text    NOT NULL CHECK (state IN ('Enabled', 'Disabled', 'PendingDelete')),
    -- The state CancelDataKeyDeletion restores; set exactly while PendingDelete.
    state_before_deletion text   CHECK (state_before_deletion IN ('Enabled', 'Disabled')),
    origin               text    NOT NULL CHECK (origin IN ('TENCENT_KMS', 'EXTERNAL')),
    creator_uin          bigint  NOT NULL,
    create_time          bigint  NOT NULL,
    deletion_date        bigint  NOT NULL DEFAULT 0,
    ciphertext           bytea   NOT NULL,
    encryption_context   text    NOT NULL DEFAULT '',
    PRIMARY KEY (app_id, region, data_key_id),
    -- DataKeyName is unique per account and region (InvalidParameterValue.DataKeyNameAlreadyExists).
    UNIQUE (app_id, region, name),
    CHECK ((state = 'PendingDelete') = (state_before_deletion IS NOT NULL)),
    FOREIGN KEY (app_id, region, key_id) REFERENCES keys (app_id, region, key_id) ON DELETE CASCADE
);
-- ListDataKeys / ListDataKeyDetail page by creation time; ListDataKeyDetail.KeyId and the cascade
-- find a CMK's data keys.
CREATE INDEX data_keys_listing ON data_keys (app_id, region, create_time);
CREATE INDEX data_keys_by_key ON data_keys (app_id, region, key_id);

-- Tags of a data key (GenerateDataKey with IsHostedByKms=1, ImportDataKey), as key_tags are a CMK's.
CREATE TABLE data_key_tags (
    app_id       bigint NOT NULL,
    region       text   NOT NULL,
    data_key_id  uuid   NOT NULL,
    tag_key      text   NOT NULL CHECK (char_length(tag_key) BETWEEN 1 AND 127),
    tag_value    text   NOT NULL CHECK (char_length(tag_value) BETWEEN 1 AND 255),
    PRIMARY KEY (app_id, region, data_key_id, tag_key),
    FOREIGN KEY (app_id, region, data_key_id) REFERENCES data_keys (app_id, region, data_key_id) ON DELETE CASCADE
);

-- Row-level security as on every tenant table (migration 001's tenant_isolation), FORCEd, and
-- migration 009's owner_maintenance policy so maintenance mode sees every tenant's rows.
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['data_keys', 'data_key_tags'] LOOP
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

DO $$
DECLARE t record;
BEGIN
    FOR t IN SELECT c.relname, pg_get_userbyid(c.relowner) AS owner
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = current_schema() AND c.relkind = 'r' AND c.relrowsecurity
               AND c.relname IN ('data_keys', 'data_key_tags') LOOP
        EXECUTE format($p$CREATE POLICY owner_maintenance ON %I TO %I
            USING (current_setting('kms.maintenance', true) = 'on')$p$, t.relname, t.owner);
    END LOOP;
END $$;
