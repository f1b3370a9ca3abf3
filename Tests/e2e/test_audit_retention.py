"""The audit trail's growth and retention (issue 10): requests that never authenticate are
summarised (one record per source address, action and error code per interval, with an exact
count), and `kmsctl audit archive` exports and prunes old records behind an HMAC-protected
checkpoint from which `kmsctl audit verify` still verifies what remains."""

import json
import os
import subprocess
import time
import uuid
from datetime import datetime, timezone

import pytest

from e2e_support import response_body, run_ctl

PSQL = "/usr/lib/postgresql/15/bin/psql"


def audit_rows(kms_env, limit=20000):
    out = run_ctl(kms_env.repo, ["audit", "tail", "--json", "--limit", str(limit)])
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def psql(kms_env, sql):
    cmd = [PSQL, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
           f"host={os.path.join(kms_env.home, 'run', 'pg')} dbname=kms user=kms_owner", "-c", sql]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd="/")
    assert proc.returncode == 0, f"psql {sql!r}: {proc.stderr}"
    return proc.stdout.strip()


def ctl_status(kms_env, *args):
    """``scripts/kms ctl ARGS`` → (exit status, stdout), for commands expected to fail."""
    proc = subprocess.run([os.path.join(kms_env.repo, "scripts", "kms"), "ctl", *args], capture_output=True,
                          text=True, timeout=180, cwd=kms_env.repo)
    return proc.returncode, proc.stdout


def test_unauthenticated_failures_are_summarised_with_exact_counts(kms_env, raw, account_a):
    probe = "AuditProbe" + uuid.uuid4().hex[:12]
    bogus_id = "AKID" + uuid.uuid4().hex[:32]
    unknown, forged = 150, 40
    for _ in range(unknown):
        assert response_body(raw.tc3(account_a, probe, {}, secret_id=bogus_id))["Error"]["Code"] \
            == "AuthFailure.SecretIdNotFound"
    for _ in range(forged):
        assert response_body(raw.tc3(account_a, probe, {}, secret_key="x" * 32))["Error"]["Code"] \
            == "AuthFailure.SignatureFailure"
    deadline = time.time() + 40
    while True:
        rows = [r for r in audit_rows(kms_env) if r["Action"] == probe]
        counts = {}
        for r in rows:
            counts[r["Result"]] = counts.get(r["Result"], 0) + r.get("Count", 1)
        if counts.get("AuthFailure.SecretIdNotFound") == unknown and counts.get("AuthFailure.SignatureFailure") == forged:
            break
        assert time.time() < deadline, f"summaries never added up: {counts} in {len(rows)} rows"
        time.sleep(1)
    # A summary per interval (10 s) per error code: the requests took far less than a minute.
    assert len(rows) <= 8, f"{unknown + forged} unauthenticated requests made {len(rows)} audit rows"
    assert all(r["AppId"] is None and r["Client"] for r in rows)


def rfc3339(ts):
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_archive_prunes_old_records_and_verify_still_passes(kms_env, fips_a, tmp_path):
    old_key = fips_a.new_key_id()
    old_ids = [fips_a.DescribeKey(KeyId=old_key).RequestId for _ in range(5)]
    time.sleep(1.2)
    cutoff = int(time.time())
    time.sleep(1.2)
    new_key = fips_a.new_key_id()
    for _ in range(5):
        fips_a.DescribeKey(KeyId=new_key)
    time.sleep(0.5)  # the buffered writer flushes every 50 ms

    archive = tmp_path / "audit-archive.jsonl"
    out = run_ctl(kms_env.repo, ["audit", "archive", "--before", rfc3339(cutoff), "--to", str(archive)])
    assert "archived" in out, out
    lines = [json.loads(line) for line in archive.read_text().splitlines()]
    assert lines[0]["Kind"] == "AuditArchive" and lines[-1]["Kind"] == "Checkpoint"
    records = lines[1:-1]
    assert records and all(r["Time"] < cutoff * 1000 for r in records)
    assert set(old_ids) <= {r["RequestId"] for r in records}, "the archive holds the pruned records"
    assert all(len(r["Mac"]) == 64 and r["Lane"] and r["LaneSeq"] >= 1 for r in records)
    remaining = {r["RequestId"] for r in audit_rows(kms_env)}
    assert not set(old_ids) & remaining, "archived records are pruned"
    # What remains verifies from the checkpoint; the file verifies offline.
    run_ctl(kms_env.repo, ["audit", "verify"])
    run_ctl(kms_env.repo, ["audit", "verify", "--archive", str(archive)])

    # An edited checkpoint is found.
    last = psql(kms_env, "SELECT max(id) FROM audit_checkpoint")
    psql(kms_env, f"UPDATE audit_checkpoint SET cut_seq = cut_seq - 1 WHERE id = {last}")
    status, out = ctl_status(kms_env, "audit", "verify")
    psql(kms_env, f"UPDATE audit_checkpoint SET cut_seq = cut_seq + 1 WHERE id = {last}")
    assert status == 1 and "checkpoint" in out, out
    run_ctl(kms_env.repo, ["audit", "verify"])

    # A deleted checkpoint is found too (the lanes that continue past the cut jump).
    psql(kms_env, f"CREATE TABLE e2e_saved_checkpoint AS SELECT * FROM audit_checkpoint WHERE id = {last}")
    psql(kms_env, f"DELETE FROM audit_checkpoint WHERE id = {last}")
    status, out = ctl_status(kms_env, "audit", "verify")
    psql(kms_env, "INSERT INTO audit_checkpoint SELECT * FROM e2e_saved_checkpoint; DROP TABLE e2e_saved_checkpoint")
    assert status == 1 and "PROBLEM" in out, out

    # A remaining record deleted (one with a successor in its lane) is found.
    seq = psql(kms_env, "SELECT a.seq FROM audit_log a JOIN audit_log b ON b.lane = a.lane AND b.lane_seq = a.lane_seq + 1 "
                        "ORDER BY a.seq DESC LIMIT 1")
    psql(kms_env, f"CREATE TABLE e2e_saved_record AS SELECT * FROM audit_log WHERE seq = {seq}")
    psql(kms_env, f"DELETE FROM audit_log WHERE seq = {seq}")
    status, out = ctl_status(kms_env, "audit", "verify")
    psql(kms_env, "INSERT INTO audit_log SELECT * FROM e2e_saved_record; DROP TABLE e2e_saved_record")
    assert status == 1 and "jumps" in out, out
    run_ctl(kms_env.repo, ["audit", "verify"])

    # A tampered archive file is found offline.
    tampered = tmp_path / "tampered.jsonl"
    records[0]["Result"] = "Success" if records[0]["Result"] != "Success" else "InternalError"
    tampered.write_text("\n".join(json.dumps(x) for x in [lines[0], *records, lines[-1]]) + "\n")
    status, out = ctl_status(kms_env, "audit", "verify", "--archive", str(tampered))
    assert status == 1 and "MAC" in out, out


def test_archive_refuses_a_date_in_the_future_and_archives_nothing_twice(kms_env, tmp_path):
    status, out = ctl_status(kms_env, "audit", "archive", "--before", "2999-01-01", "--to", str(tmp_path / "a.jsonl"))
    assert status != 0
    out = run_ctl(kms_env.repo, ["audit", "archive", "--before", "2000-01-01", "--to", str(tmp_path / "b.jsonl")])
    assert "nothing to archive" in out
    run_ctl(kms_env.repo, ["audit", "verify"])
