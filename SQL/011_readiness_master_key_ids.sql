-- Readiness (issue 12, /readyz): the responder answers "ready" only while it holds every master
-- key that some sealed value in the database names. It runs as kms_app, which cannot read across
-- tenants nor call sealed_value_census(); this function gives it the one fact it needs, the set
-- of master key ids in use, and nothing else (no table, column, count or tenant).
-- SECURITY DEFINER: runs as the owner, whose owner_maintenance policies (migration 009) read
-- kms.maintenance; it is switched on for the census only and put back as it was. (The caller's
-- own value of the variable grants kms_app nothing: those policies name only the owner.)
CREATE FUNCTION sealed_master_key_ids()
RETURNS TABLE (master_key_id integer)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path FROM CURRENT
AS $$
DECLARE previous text := current_setting('kms.maintenance', true);
BEGIN
    PERFORM set_config('kms.maintenance', 'on', true);
    RETURN QUERY SELECT DISTINCT c.master_key_id FROM sealed_value_census() c
                 WHERE c.master_key_id >= 1 AND c.value_count > 0 ORDER BY 1;
    PERFORM set_config('kms.maintenance', coalesce(previous, ''), true);
END $$;
REVOKE EXECUTE ON FUNCTION sealed_master_key_ids() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sealed_master_key_ids() TO kms_app;
