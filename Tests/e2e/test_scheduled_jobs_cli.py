"""`scripts/kms ctl jobs list [--dead] [--json]` and `jobs retry ID` (issue 10 #5): the scheduled
work is visible to the operator, with attempts and the last error; a dead job can be retried.
(Back-off and dead-lettering themselves: Tests/KMSIntegrationTests/ScheduledJobRetryTests.swift.)"""

import json
import os
import subprocess

from e2e_support import run_ctl


def jobs(kms_env, *flags):
    return json.loads(run_ctl(kms_env.repo, ["jobs", "list", *flags, "--json"]).strip().splitlines()[-1])


def test_scheduled_deletion_is_listed_with_its_retry_state(kms_env, fips_a):
    key_id = fips_a.new_key_id()
    fips_a.call("DisableKey", KeyId=key_id)
    deletion = fips_a.call("ScheduleKeyDeletion", KeyId=key_id, PendingWindowInDays=7)
    job = next(j for j in jobs(kms_env) if j["KeyId"] == key_id and j["Kind"] == "delete_key")
    assert job["DueAt"] == deletion["DeletionDate"]
    assert job["Attempts"] == 0 and job["Dead"] is False and job["DeadAt"] is None and job["LastError"] is None
    assert isinstance(job["Id"], int) and job["Region"] == fips_a.region

    dead = jobs(kms_env, "--dead")
    assert all(j["Dead"] for j in dead)
    assert key_id not in {j["KeyId"] for j in dead}

    text = run_ctl(kms_env.repo, ["jobs", "list"])
    assert any(line.startswith(f"{job['Id']}\tdelete_key\t") and "scheduled" in line for line in text.splitlines()), text


def test_retrying_an_unknown_job_fails_clearly(kms_env):
    proc = subprocess.run([os.path.join(kms_env.repo, "scripts", "kms"), "ctl", "jobs", "retry", "987654321"],
                          capture_output=True, text=True, timeout=60, cwd=kms_env.repo)
    assert proc.returncode != 0
    assert "no scheduled job 987654321" in proc.stderr


def test_retrying_a_live_job_keeps_it_scheduled(kms_env, fips_a):
    key_id = fips_a.new_key_id()
    fips_a.call("DisableKey", KeyId=key_id)
    fips_a.call("ScheduleKeyDeletion", KeyId=key_id, PendingWindowInDays=7)
    job = next(j for j in jobs(kms_env) if j["KeyId"] == key_id)
    out = run_ctl(kms_env.repo, ["jobs", "retry", str(job["Id"])])
    assert f"job {job['Id']}" in out
    again = next(j for j in jobs(kms_env) if j["Id"] == job["Id"])
    assert again["DueAt"] == job["DueAt"] and again["Attempts"] == 0 and not again["Dead"]
