-- A token survives at most three import attempts (SPEC §5): each ImportKeyMaterial that gets as
-- far as unwrapping claims one, durably and under the row lock, before it unwraps, so neither
-- concurrency nor a restart can buy more. A successful import deletes the row; a parameter set
-- whose attempts are used up has its private key wiped and stays as a TokenExpired tombstone
-- until the purge job removes it.
ALTER TABLE import_parameters
    ADD COLUMN import_attempts integer NOT NULL DEFAULT 0 CHECK (import_attempts >= 0);
