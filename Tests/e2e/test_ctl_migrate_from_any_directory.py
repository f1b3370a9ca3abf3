"""`scripts/kms ctl migrate` finds the repository's SQL/ from any working directory, and a
migrations directory that is missing or holds no migrations is a one-line error, never
"schema is up to date"."""

import os

from kmsctl_support import assert_one_line_failure, ctl_run, kmsctl_run


def test_ctl_migrate_works_outside_the_repository(kms_env, tmp_path):
    proc = ctl_run(kms_env, "migrate", cwd=str(tmp_path))
    assert proc.returncode == 0, f"migrate from {tmp_path} exited {proc.returncode}: {proc.stderr}"
    assert proc.stdout.strip() == "schema is up to date", proc.stdout


def test_ctl_migrate_refuses_a_missing_directory(kms_env, tmp_path):
    missing = tmp_path / "no-such-dir"
    proc = ctl_run(kms_env, "migrate", "--dir", str(missing))
    assert_one_line_failure(proc, str(missing), "--dir")


def test_ctl_migrate_refuses_a_directory_without_migrations(kms_env, tmp_path):
    proc = ctl_run(kms_env, "migrate", "--dir", str(tmp_path))
    assert_one_line_failure(proc, "no NNN_name.sql migrations", str(tmp_path))


def test_kmsctl_migrate_without_the_repository_says_what_to_pass(kms_env, tmp_path):
    # kmsctl run as a program of its own (no KMS_SQL_DIR from scripts/kms) where there is no SQL/.
    env = {k: v for k, v in os.environ.items() if k != "KMS_SQL_DIR"}
    proc = kmsctl_run(kms_env, "migrate", "--database", "host=/nonexistent dbname=kms", cwd=str(tmp_path), env=env)
    assert_one_line_failure(proc, "no migrations directory SQL", "--dir")
