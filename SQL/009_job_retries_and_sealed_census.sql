-- Scheduled jobs that fail are retried with back-off and end up dead, visible (issue 10 #5);
-- master-key retirement counts every sealed value of every tenant first (issue 10 #6).

-- Retry state. A job is claimable when due_at and not_before have passed and it is not dead.
-- last_error is a short classified reason (error kind, code, source line), never a value.
ALTER TABLE scheduled_jobs
    ADD COLUMN id         bigint  GENERATED ALWAYS AS IDENTITY,
    ADD COLUMN attempts   integer NOT NULL DEFAULT 0,
    ADD COLUMN not_before bigint  NOT NULL DEFAULT 0,
    ADD COLUMN last_error text,
    ADD COLUMN dead_at    bigint;
ALTER TABLE scheduled_jobs ADD CONSTRAINT scheduled_jobs_id_unique UNIQUE (id);
DROP INDEX scheduled_jobs_due;
CREATE INDEX scheduled_jobs_due ON scheduled_jobs (due_at) WHERE dead_at IS NULL;

-- Maintenance reads across tenants. The owner (kmsctl) is subject to FORCE ROW LEVEL SECURITY
-- like everyone; a transaction of the owner that sets kms.maintenance = 'on' with SET LOCAL also
-- sees every tenant's rows (to re-seal them and count them before retiring a master key). The
-- policy names only each table's owner, so the application role gains nothing by setting the
-- variable. Added to every table with row-level security at this point, i.e. also to tables of
-- earlier migrations that this one does not know by name; a later tenant table must add it too
-- (until it does, the census below refuses to vouch for its sealed columns).
DO $$
DECLARE t record;
BEGIN
    FOR t IN SELECT c.relname, pg_get_userbyid(c.relowner) AS owner
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = current_schema() AND c.relkind = 'r' AND c.relrowsecurity LOOP
        EXECUTE format($p$CREATE POLICY owner_maintenance ON %I TO %I
            USING (current_setting('kms.maintenance', true) = 'on')$p$, t.relname, t.owner);
    END LOOP;
END $$;

-- How many sealed values name each master key id, per table and column: every bytea column whose
-- name contains "sealed" (the naming rule for values sealed under the master key), so a column a
-- later table adds is counted without changing this function. A sealed value starts with the
-- format byte 1 and the master key id (see Sealer); anything else is counted under id -1. A table
-- with row-level security but no owner_maintenance policy cannot be counted across tenants: it is
-- reported under id -2 (and blocks retiring any key). Runs as the caller, in maintenance mode.
CREATE FUNCTION sealed_value_census()
RETURNS TABLE (table_name text, column_name text, master_key_id integer, value_count bigint)
LANGUAGE plpgsql STABLE AS $$
DECLARE c record;
BEGIN
    FOR c IN SELECT k.relname::text AS t, a.attname::text AS col,
                    k.relrowsecurity AND NOT EXISTS (SELECT FROM pg_policy p WHERE p.polrelid = k.oid
                                                     AND p.polname = 'owner_maintenance') AS unseen
             FROM pg_attribute a JOIN pg_class k ON k.oid = a.attrelid JOIN pg_namespace n ON n.oid = k.relnamespace
             WHERE n.nspname = current_schema() AND k.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
               AND a.atttypid = 'bytea'::regtype AND a.attname LIKE '%sealed%'
             ORDER BY 1, 2 LOOP
        IF c.unseen THEN
            table_name := c.t; column_name := c.col; master_key_id := -2; value_count := 1;
            RETURN NEXT;
            CONTINUE;
        END IF;
        RETURN QUERY EXECUTE format(
            'SELECT %L::text, %L::text, CASE WHEN length(%I) >= 30 AND get_byte(%I, 0) = 1 THEN get_byte(%I, 1) ELSE -1 END, count(*)
             FROM %I WHERE %I IS NOT NULL AND length(%I) > 0 GROUP BY 3',
            c.t, c.col, c.col, c.col, c.col, c.t, c.col, c.col);
    END LOOP;
END $$;
REVOKE EXECUTE ON FUNCTION sealed_value_census() FROM PUBLIC;
