"""Who acted: every authenticated request's audit record carries the caller's Uin — the sub-user's
when a sub-user's access key signed it, else the account's root Uin — in `audit_log.caller_uin`,
in `kmsctl audit tail --json` (`CallerUin`) and on the request's log line (`caller_uin`); the
chain MAC covers it and `kmsctl audit verify` still passes over old and new records."""

import json
import os
import subprocess
import time

from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from cam_support import Cam, add_sub_user
from e2e_support import FIPS_REGION, owner_psql, run_ctl


def request_id_of(call):
    """The RequestId of one call, answered or refused."""
    try:
        return call().RequestId
    except TencentCloudSDKException as exc:
        return exc.requestId


def caller_uin_of(kms_env, request_id, deadline=5.0):
    """`audit_log.caller_uin` of the request's record, waiting for the batched writer."""
    started = time.monotonic()
    while True:
        row = owner_psql(kms_env.home, f"SELECT coalesce(caller_uin::text, 'NULL') FROM audit_log WHERE request_id = '{request_id}'")
        if row or time.monotonic() - started > deadline:
            return row
        time.sleep(0.1)


def log_line_of(kms_env, request_id, deadline=3.0):
    started = time.monotonic()
    while True:
        with open(os.path.join(kms_env.home, "log", "responder.log"), encoding="utf-8") as fh:
            lines = [json.loads(l) for l in fh if request_id in l]
        lines = [l for l in lines if l.get("event") == "request"]
        if lines or time.monotonic() - started > deadline:
            return lines
        time.sleep(0.05)


def test_the_audit_record_names_the_sub_user_or_the_root_who_acted(kms_env, client, make_account):
    root = make_account("audit-who")
    cam = Cam(root, kms_env.endpoint)
    added, sub = add_sub_user(cam, root)

    # A root request (mutating: its record commits with the change) and a sub-user's (whatever its
    # policies let it do: a refusal is recorded with the same who).
    by_root = request_id_of(lambda: cam.AddUser(Name=added.Name + "-2"))
    by_sub = request_id_of(lambda: client(sub, FIPS_REGION).CreateKey(Alias="audit-who-" + added.Name[-10:]))
    by_sub_cam = request_id_of(lambda: Cam(sub, kms_env.endpoint).ListUsers())

    assert caller_uin_of(kms_env, by_root) == root.uin
    assert caller_uin_of(kms_env, by_sub) == str(added.Uin)
    assert caller_uin_of(kms_env, by_sub_cam) == str(added.Uin)

    [line] = log_line_of(kms_env, by_sub)
    assert line["caller_uin"] == added.Uin and line["app_id"] == int(root.app_id)

    tail = [json.loads(l) for l in run_ctl(kms_env.repo, ["audit", "tail", "--account", root.app_id, "--json",
                                                          "--limit", "50"]).splitlines() if l.strip()]
    by_id = {r["RequestId"]: r for r in tail}
    assert by_id[by_sub]["CallerUin"] == added.Uin and by_id[by_root]["CallerUin"] == int(root.uin)


def ctl_exit_status(kms_env, *args):
    proc = subprocess.run([os.path.join(kms_env.repo, "scripts", "kms"), "ctl", *args], capture_output=True, text=True,
                          timeout=180, cwd=kms_env.repo)
    return proc.returncode, proc.stdout + proc.stderr


def test_audit_verify_passes_with_caller_uins_and_fails_when_one_is_changed(kms_env, client, make_account):
    account = make_account("audit-verify")
    request_id = client(account, FIPS_REGION).GetServiceStatus().RequestId
    assert caller_uin_of(kms_env, request_id) == account.uin
    status, out = ctl_exit_status(kms_env, "audit", "verify")
    assert status == 0, f"kmsctl audit verify failed: {out}"

    # The chain MAC covers caller_uin: a record whose caller is rewritten no longer verifies.
    seq = owner_psql(kms_env.home, f"SELECT seq FROM audit_log WHERE request_id = '{request_id}'")
    owner_psql(kms_env.home, f"UPDATE audit_log SET caller_uin = caller_uin + 1 WHERE seq = {seq}")
    try:
        status, out = ctl_exit_status(kms_env, "audit", "verify")
        assert status != 0, f"kmsctl audit verify passed over a record whose caller_uin was changed: {out}"
    finally:
        owner_psql(kms_env.home, f"UPDATE audit_log SET caller_uin = caller_uin - 1 WHERE seq = {seq}")
    status, out = ctl_exit_status(kms_env, "audit", "verify")
    assert status == 0, f"kmsctl audit verify failed after the record was restored: {out}"
