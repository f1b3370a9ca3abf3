-- Change notifications for the responders' in-memory caches (keys with their material, and
-- credentials). A trigger sends the changed row's identity on commit; every responder process
-- LISTENs and drops that entry, so a change made anywhere is seen everywhere within moments.
-- Payloads carry identifiers only.
CREATE FUNCTION notify_key_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE r record;
BEGIN
    IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
    PERFORM pg_notify('kms_key_changed', r.app_id || '/' || r.region || '/' || r.key_id);
    RETURN NULL;
END $$;

CREATE TRIGGER keys_changed AFTER UPDATE OR DELETE ON keys
    FOR EACH ROW EXECUTE FUNCTION notify_key_change();
CREATE TRIGGER key_material_changed AFTER INSERT OR UPDATE OR DELETE ON key_material
    FOR EACH ROW EXECUTE FUNCTION notify_key_change();

CREATE FUNCTION notify_credential_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE r record;
BEGIN
    IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
    PERFORM pg_notify('kms_credential_changed', r.secret_id);
    RETURN NULL;
END $$;

CREATE TRIGGER credentials_changed AFTER UPDATE OR DELETE ON credentials
    FOR EACH ROW EXECUTE FUNCTION notify_credential_change();
