-- Tags and cloud-resource bindings of CMKs (issue 15, SPEC §9). Both belong to one key of one
-- tenant and go with it (ON DELETE CASCADE: the scheduled deletion destroys them with the key).

-- CreateKey.Tags: one value per TagKey on a key (Tencent's rule), at most 50 per key (checked by
-- the service, KeyTag.maximumPerKey). ListKeyDetail.TagFilters reads them by key.
CREATE TABLE key_tags (
    app_id     bigint NOT NULL,
    region     text   NOT NULL,
    key_id     uuid   NOT NULL,
    tag_key    text   NOT NULL CHECK (char_length(tag_key) BETWEEN 1 AND 127),
    tag_value  text   NOT NULL CHECK (char_length(tag_value) BETWEEN 1 AND 255),
    PRIMARY KEY (app_id, region, key_id, tag_key),
    FOREIGN KEY (app_id, region, key_id) REFERENCES keys (app_id, region, key_id) ON DELETE CASCADE
);

-- BindCloudResource: which product's resource uses a key. Binding twice is one row (the primary
-- key; Tencent answers success). At most 1000 per key (CloudResourceBinding.maximumPerKey).
CREATE TABLE key_bindings (
    app_id       bigint NOT NULL,
    region       text   NOT NULL,
    key_id       uuid   NOT NULL,
    product_id   text   NOT NULL CHECK (char_length(product_id) BETWEEN 1 AND 64),
    resource_id  text   NOT NULL CHECK (octet_length(resource_id) BETWEEN 1 AND 512),
    created_at   bigint NOT NULL,
    PRIMARY KEY (app_id, region, key_id, product_id, resource_id),
    FOREIGN KEY (app_id, region, key_id) REFERENCES keys (app_id, region, key_id) ON DELETE CASCADE
);

-- Row-level security as on every tenant table (migration 001's tenant_isolation), FORCEd, and
-- migration 009's owner_maintenance policy so maintenance mode sees every tenant's rows.
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['key_tags', 'key_bindings'] LOOP
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
               AND c.relname IN ('key_tags', 'key_bindings') LOOP
        EXECUTE format($p$CREATE POLICY owner_maintenance ON %I TO %I
            USING (current_setting('kms.maintenance', true) = 'on')$p$, t.relname, t.owner);
    END LOOP;
END $$;
