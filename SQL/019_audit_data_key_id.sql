-- The hosted data key a request named or acted on (issue 16), beside its CMK in key_id. NULL for
-- every other request and for every record written before: the chain MAC covers it only when
-- present (tagged `data_key_id:`), so those records still verify. Adding a nullable column
-- without a default rewrites nothing.
ALTER TABLE audit_log ADD COLUMN data_key_id uuid;
-- For `kmsctl audit tail --data-key`, as audit_log_key serves --key. Partial: the records without
-- a data key (nearly all of them, Encrypt's among them) get no entry and cost no index write.
CREATE INDEX audit_log_data_key ON audit_log (data_key_id, seq) WHERE data_key_id IS NOT NULL;
-- Grants unchanged: kms_app may still only INSERT (the new column is covered by the table grant).
