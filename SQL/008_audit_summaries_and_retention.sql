-- Unauthenticated failures are summarised (issue 10): one record per source address, action
-- and error code per interval stands for `occurrences` requests. Every earlier record is one
-- request; the chain MAC covers the count only when it is not 1, so those records still verify.
ALTER TABLE audit_log ADD COLUMN occurrences bigint NOT NULL DEFAULT 1 CHECK (occurrences >= 1);

-- Retention: `kmsctl audit archive` exports the records up to a cut to a file and prunes them.
-- A checkpoint keeps, for every lane, the head of its chain at the cut (lane_seq and MAC), so
-- `kmsctl audit verify` resumes each lane from there. Checkpoints are chained and HMAC-protected
-- under the audit key: a deleted record cannot be hidden by writing a checkpoint. Only the owner
-- (kmsctl) reads or writes them; the responder's role has no right on this table.
CREATE TABLE audit_checkpoint (
    id           bigserial PRIMARY KEY,
    cut_seq      bigint NOT NULL,   -- every record with seq <= cut_seq was archived and pruned
    before_ms    bigint NOT NULL,   -- the archive's --before, Unix milliseconds
    archived     bigint NOT NULL,   -- records this archive removed
    created_ms   bigint NOT NULL,
    heads        text   NOT NULL,   -- one "lane lane_seq hex(mac)" line per lane, sorted by lane
    previous_mac bytea  NOT NULL CHECK (length(previous_mac) = 32),
    mac          bytea  NOT NULL CHECK (length(mac) = 32)
);
