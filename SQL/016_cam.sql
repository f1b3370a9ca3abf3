-- Least privilege (issue 14, SPEC §6): CAM sub-users with their own access keys, policies
-- attached to them, disabled accounts, and the operator account that manages tenant accounts
-- over the signed API. CAM is global: these rows carry the account, not a region.

-- A disabled account's credentials are all refused (its keys stay). The operator account
-- (at most one, made by `scripts/kms up`) creates and disables tenant accounts; it holds no keys.
ALTER TABLE accounts ADD COLUMN enabled boolean NOT NULL DEFAULT true;
ALTER TABLE accounts ADD COLUMN kind text NOT NULL DEFAULT 'tenant' CHECK (kind IN ('tenant', 'operator'));
CREATE UNIQUE INDEX accounts_one_operator ON accounts (kind) WHERE kind = 'operator';

-- Sub-users. Their Uins are drawn from a range of their own (200000000000–299999999999), apart
-- from the accounts' root Uins (1xxxxxxxxxxx), so a Uin names one principal everywhere.
CREATE TABLE cam_users (
    app_id         bigint  NOT NULL REFERENCES accounts (app_id),
    uin            bigint  PRIMARY KEY CHECK (uin BETWEEN 200000000000 AND 299999999999),
    uid            bigint  NOT NULL UNIQUE,
    name           text    NOT NULL,
    remark         text    NOT NULL DEFAULT '',
    console_login  boolean NOT NULL DEFAULT false,
    created_at     bigint  NOT NULL,
    UNIQUE (app_id, name)
);

-- A credential belongs to the account's root (user_uin NULL) or to one of its sub-users.
ALTER TABLE credentials ADD COLUMN user_uin bigint REFERENCES cam_users (uin) ON DELETE CASCADE;
ALTER TABLE credentials ADD COLUMN description text NOT NULL DEFAULT '';
CREATE INDEX credentials_user_uin ON credentials (user_uin);

-- Custom policies: the document as the caller wrote it (validated), and its normalised form.
CREATE SEQUENCE cam_policy_ids START 100000000;
CREATE TABLE cam_policies (
    app_id       bigint NOT NULL REFERENCES accounts (app_id),
    policy_id    bigint PRIMARY KEY DEFAULT nextval('cam_policy_ids'),
    name         text   NOT NULL,
    description  text   NOT NULL DEFAULT '',
    document     text   NOT NULL,
    created_at   bigint NOT NULL,
    updated_at   bigint NOT NULL,
    UNIQUE (app_id, name)
);

CREATE TABLE cam_attachments (
    app_id       bigint NOT NULL REFERENCES accounts (app_id),
    policy_id    bigint NOT NULL REFERENCES cam_policies (policy_id) ON DELETE CASCADE,
    user_uin     bigint NOT NULL REFERENCES cam_users (uin) ON DELETE CASCADE,
    attached_at  bigint NOT NULL,
    PRIMARY KEY (policy_id, user_uin)
);
CREATE INDEX cam_attachments_user ON cam_attachments (user_uin);

-- Row-level security, by account only (CAM has no region). FORCE: the owner role is held to it too.
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['cam_users', 'cam_policies', 'cam_attachments'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format($p$CREATE POLICY account_isolation ON %I
            USING (app_id = NULLIF(current_setting('kms.app_id', true), '')::bigint)
            WITH CHECK (app_id = NULLIF(current_setting('kms.app_id', true), '')::bigint)$p$, t);
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO kms_app', t);
    END LOOP;
END $$;
GRANT USAGE ON SEQUENCE cam_policy_ids TO kms_app;

-- Whether an account is the operator's; SECURITY DEFINER so a policy on accounts can ask it
-- without recursing into the policies of accounts.
CREATE FUNCTION kms_is_operator(account bigint) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    SELECT EXISTS (SELECT 1 FROM public.accounts WHERE app_id = account AND kind = 'operator')
$$;
REVOKE ALL ON FUNCTION kms_is_operator(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kms_is_operator(bigint) TO kms_app;

-- The responder now writes credentials (CreateAccessKey, AddUser) and, for the operator, accounts.
-- Reads stay open to it (a SecretId is resolved before the tenant is known); writes are held to
-- the transaction's account, or to the operator. Not FORCEd: kmsctl (the owner) works across accounts.
ALTER TABLE credentials ENABLE ROW LEVEL SECURITY;
CREATE POLICY credentials_read ON credentials FOR SELECT TO kms_app USING (true);
CREATE POLICY credentials_write ON credentials FOR INSERT TO kms_app
    WITH CHECK (app_id = NULLIF(current_setting('kms.app_id', true), '')::bigint
                OR kms_is_operator(NULLIF(current_setting('kms.app_id', true), '')::bigint));
CREATE POLICY credentials_change ON credentials FOR UPDATE TO kms_app
    USING (app_id = NULLIF(current_setting('kms.app_id', true), '')::bigint
           OR kms_is_operator(NULLIF(current_setting('kms.app_id', true), '')::bigint));
CREATE POLICY credentials_delete ON credentials FOR DELETE TO kms_app
    USING (app_id = NULLIF(current_setting('kms.app_id', true), '')::bigint
           OR kms_is_operator(NULLIF(current_setting('kms.app_id', true), '')::bigint));
GRANT INSERT, UPDATE, DELETE ON credentials TO kms_app;

ALTER TABLE accounts ENABLE ROW LEVEL SECURITY;
CREATE POLICY accounts_read ON accounts FOR SELECT TO kms_app USING (true);
CREATE POLICY accounts_by_operator ON accounts FOR INSERT TO kms_app
    WITH CHECK (kind = 'tenant' AND kms_is_operator(NULLIF(current_setting('kms.app_id', true), '')::bigint));
CREATE POLICY accounts_changed_by_operator ON accounts FOR UPDATE TO kms_app
    USING (kind = 'tenant' AND kms_is_operator(NULLIF(current_setting('kms.app_id', true), '')::bigint))
    WITH CHECK (kind = 'tenant');
GRANT INSERT, UPDATE (enabled, name) ON accounts TO kms_app;

-- Maintenance reads across tenants (migration 009): every table this migration put under
-- row-level security gets the owner_maintenance policy too, so the sealed-value census still
-- counts credentials.secret_key_sealed (master-key retirement, /readyz) and kmsctl sees every
-- account's CAM rows in maintenance mode.
DO $$
DECLARE t record;
BEGIN
    FOR t IN SELECT c.relname, pg_get_userbyid(c.relowner) AS owner
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = current_schema() AND c.relkind = 'r' AND c.relrowsecurity
               AND c.relname IN ('accounts', 'credentials', 'cam_users', 'cam_policies', 'cam_attachments') LOOP
        EXECUTE format($p$CREATE POLICY owner_maintenance ON %I TO %I
            USING (current_setting('kms.maintenance', true) = 'on')$p$, t.relname, t.owner);
    END LOOP;
END $$;

-- New credentials notify too (a cached "not found" does not exist, but a refused SecretId may be
-- retried at once after CreateAccessKey); a changed account (disabled, enabled) drops every cached
-- credential: the payload '*' means all.
DROP TRIGGER credentials_changed ON credentials;
CREATE TRIGGER credentials_changed AFTER INSERT OR UPDATE OR DELETE ON credentials
    FOR EACH ROW EXECUTE FUNCTION notify_credential_change();

CREATE FUNCTION notify_account_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('kms_credential_changed', '*');
    RETURN NULL;
END $$;
CREATE TRIGGER accounts_changed AFTER UPDATE ON accounts
    FOR EACH ROW EXECUTE FUNCTION notify_account_change();

-- What a sub-user may do changed (a policy attached, detached, edited or deleted, a user
-- deleted): the payload is the account; every responder drops that account's compiled policies.
CREATE FUNCTION notify_access_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE r record;
BEGIN
    IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
    PERFORM pg_notify('kms_access_changed', r.app_id::text);
    RETURN NULL;
END $$;
CREATE TRIGGER cam_users_changed AFTER UPDATE OR DELETE ON cam_users
    FOR EACH ROW EXECUTE FUNCTION notify_access_change();
CREATE TRIGGER cam_policies_changed AFTER UPDATE OR DELETE ON cam_policies
    FOR EACH ROW EXECUTE FUNCTION notify_access_change();
CREATE TRIGGER cam_attachments_changed AFTER INSERT OR UPDATE OR DELETE ON cam_attachments
    FOR EACH ROW EXECUTE FUNCTION notify_access_change();

-- Who acted: the caller's Uin (the account's root Uin, or the sub-user's).
ALTER TABLE audit_log ADD COLUMN caller_uin bigint;
