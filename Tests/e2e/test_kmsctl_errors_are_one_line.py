"""Every kmsctl failure is one clear line on stderr (``kmsctl: <reason>``), never a Swift source
file and line, with a non-zero exit status: errors from the service, the database, the master key
file, argument validation and argument parsing."""

import os

import pytest

from kmsctl_support import assert_one_line_failure, ctl_run

UNUSED_APP_ID = "1"  # AppIds are 10 digits: no account has this one


@pytest.mark.parametrize("args, words, status", [
    (["credential", "create", "--app-id", UNUSED_APP_ID], ["no account with AppId 1"], 1),
    (["credential", "create", "--app-id", UNUSED_APP_ID, "--json"], ["no account with AppId 1"], 1),
    (["credential", "list", "--app-id", UNUSED_APP_ID], ["no account with AppId 1"], 1),
    (["credential", "disable", "--secret-id", "AKIDnosuchcredential0000000000000000"], ["no credential"], 1),
    (["audit", "tail", "--key", "not-a-key"], ["--key", "not-a-key"], 1),
    (["audit", "tail", "--since", "yesterday"], ["--since", "yesterday"], 64),
    (["audit", "archive", "--before", "2999-01-01", "--to", "/tmp/never-written.jsonl"], ["future"], 1),
    (["jobs", "retry", "987654321"], ["no scheduled job 987654321"], 1),
    (["credential", "create"], ["--app-id", "--help"], 64),
    (["account", "create", "--name", "x", "--bogus"], ["--bogus"], 64),
    (["credential", "create", "--app-id", "twelve"], ["twelve"], 64),
    (["apply", "/nonexistent/seed.yaml"], ["/nonexistent/seed.yaml", "no such file"], 1),
    (["apply", "/"], ["/: cannot be read"], 1),
    (["apply"], ["<file>"], 64),
    (["export", "--account", "no-such-account-anywhere"], ["no account named 'no-such-account-anywhere'"], 1),
], ids=lambda v: " ".join(v) if isinstance(v, list) else None)
def test_kmsctl_failure_is_one_line(kms_env, args, words, status):
    proc = ctl_run(kms_env, *args)
    assert_one_line_failure(proc, *words)
    assert proc.returncode == status, f"exit status {proc.returncode}, expected {status}: {proc.stderr!r}"


def test_kmsctl_database_failure_is_one_line(kms_env):
    # libpq's message spans two lines ("…failed: No such file or directory\n\tIs the server running…").
    proc = ctl_run(kms_env, "account", "list", "--database", "host=/nonexistent-kms-socket-dir dbname=kms")
    assert_one_line_failure(proc, "database", "/nonexistent-kms-socket-dir")


def test_kmsctl_master_key_failure_is_one_line(kms_env, tmp_path):
    short = tmp_path / "master.key"
    short.write_bytes(b"\x00" * 7)
    proc = ctl_run(kms_env, "audit", "verify", "--master-key", str(short))
    assert_one_line_failure(proc, str(short), "32")


def test_kmsctl_archive_refusal_is_one_line(kms_env, tmp_path):
    existing = tmp_path / "archive.jsonl"
    existing.write_text("an earlier archive\n")
    proc = ctl_run(kms_env, "audit", "archive", "--before", "2000-01-01", "--to", str(existing))
    assert_one_line_failure(proc, "audit archive", str(existing), "not overwriting")
    assert existing.read_text() == "an earlier archive\n"


def test_kmsctl_help_still_succeeds(kms_env):
    for args in (["--help"], ["credential", "--help"], ["help", "audit", "tail"]):
        proc = ctl_run(kms_env, *args)
        assert proc.returncode == 0, f"kmsctl {' '.join(args)} exited {proc.returncode}: {proc.stderr!r}"
        assert "USAGE:" in proc.stdout and proc.stderr == "", proc.stdout + proc.stderr
