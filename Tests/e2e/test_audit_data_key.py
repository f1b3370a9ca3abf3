"""The hosted data key in the audit trail (issue 16): a data-key request's record names the data
key (`audit_log.data_key_id`) beside its CMK (`key_id`), through the official SDK and both audit
paths (a state change's own transaction, a read's batched writer); `kmsctl audit tail --data-key`
finds its records and prints the data key only when there is one; the request's log line names
`data_key_id`; the chain MAC covers it (`kmsctl audit verify`), and `kmsctl audit archive` writes
`DataKeyId` only on the lines of records that have one, which `audit verify --archive` checks."""

import json
import os
import subprocess
import time
import uuid
from datetime import datetime, timezone

from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from cam_support import Cam, add_sub_user
from e2e_support import FIPS_REGION, owner_psql, run_ctl


def ctl_status(kms_env, *args):
    """``scripts/kms ctl ARGS`` → (exit status, stdout + stderr), for commands that may fail."""
    proc = subprocess.run([os.path.join(kms_env.repo, "scripts", "kms"), "ctl", *args], capture_output=True, text=True,
                          timeout=180, cwd=kms_env.repo)
    return proc.returncode, proc.stdout + proc.stderr


def stored(kms_env, request_id, deadline=5.0):
    """``key_id|data_key_id|result`` of the request's record ('' for NULL), waiting for the batched writer."""
    started = time.monotonic()
    while True:
        row = owner_psql(kms_env.home, "SELECT coalesce(key_id::text, '') || '|' || coalesce(data_key_id::text, '') || '|' || result "
                                       f"FROM audit_log WHERE request_id = '{request_id}'")
        if row or time.monotonic() - started > deadline:
            return row
        time.sleep(0.1)


def log_lines(kms_env, request_id, deadline=3.0):
    started = time.monotonic()
    while True:
        with open(os.path.join(kms_env.home, "log", "responder.log"), encoding="utf-8") as fh:
            lines = [json.loads(line) for line in fh if request_id in line]
        lines = [line for line in lines if line.get("event") == "request"]
        if lines or time.monotonic() - started > deadline:
            return lines
        time.sleep(0.05)


def hosted(kms, name):
    """A CMK and a data key KMS hosts under it: ``(KeyId, GenerateDataKey response)``."""
    key_id = kms.new_key_id()
    return key_id, kms.GenerateDataKey(KeyId=key_id, NumberOfBytes=32, IsHostedByKms=1, DataKeyName=name)


def test_data_key_requests_are_audited_with_their_data_key(kms_env, client, make_account):
    account = make_account("audit-dk")
    kms = client(account, FIPS_REGION)
    key_id, generated = hosted(kms, "audit-dk-" + uuid.uuid4().hex[:8])
    data_key = generated.DataKeyId
    read = kms.GetDataKeyPlaintext(DataKeyId=data_key)
    disabled = kms.DisableDataKey(DataKeyId=data_key)
    encrypted = kms.Encrypt(KeyId=key_id, Plaintext="c2VjcmV0")
    missing = str(uuid.uuid4())
    try:
        kms.DescribeDataKey(DataKeyId=missing)
        raise AssertionError("DescribeDataKey of an unknown data key succeeded")
    except TencentCloudSDKException as exc:
        assert exc.code == "ResourceUnavailable.DataKeyNotFound", exc
        refused = exc.requestId

    # State changes (their own transaction) and reads (the batched writer) alike name the data key beside its CMK.
    assert stored(kms_env, generated.RequestId) == f"{key_id}|{data_key}|Success"
    assert stored(kms_env, read.RequestId) == f"{key_id}|{data_key}|Success"
    assert stored(kms_env, disabled.RequestId) == f"{key_id}|{data_key}|Success"
    assert stored(kms_env, encrypted.RequestId) == f"{key_id}||Success", "Encrypt names no data key"
    assert stored(kms_env, refused) == f"|{missing}|ResourceUnavailable.DataKeyNotFound"

    [line] = log_lines(kms_env, read.RequestId)
    assert line["data_key_id"] == data_key and line["key_id"] == key_id
    [line] = log_lines(kms_env, encrypted.RequestId)
    assert "data_key_id" not in line

    # --data-key: exactly this data key's records; DataKeyId in --json only where there is one.
    tail = [json.loads(x) for x in run_ctl(kms_env.repo, ["audit", "tail", "--data-key", data_key, "--json", "--limit", "0"])
            .splitlines() if x.strip()]
    assert {r["RequestId"] for r in tail} == {generated.RequestId, read.RequestId, disabled.RequestId}
    assert all(r["DataKeyId"] == data_key and r["KeyId"] == key_id for r in tail)
    by_account = {r["RequestId"]: r for r in (json.loads(x) for x in run_ctl(
        kms_env.repo, ["audit", "tail", "--account", account.app_id, "--json", "--limit", "50"]).splitlines() if x.strip())}
    assert "DataKeyId" not in by_account[encrypted.RequestId]
    assert by_account[refused]["DataKeyId"] == missing
    # The text form keeps its columns and adds the data key as a marked last field.
    text = run_ctl(kms_env.repo, ["audit", "tail", "--data-key", data_key, "--limit", "0"]).splitlines()
    assert len(text) == 3 and all(x.split("\t")[5] == key_id and x.split("\t")[-1] == f"datakey {data_key}" for x in text), text
    text = run_ctl(kms_env.repo, ["audit", "tail", "--account", account.app_id, "--limit", "50"])
    assert "datakey" not in next(x for x in text.splitlines() if "\tEncrypt\t" in x)

    status, out = ctl_status(kms_env, "audit", "tail", "--data-key", "not-a-data-key")
    assert status != 0 and "--data-key" in out, out


def test_audit_verify_covers_the_data_key(kms_env, client, make_account):
    kms = client(make_account("audit-dk-verify"), FIPS_REGION)
    _, generated = hosted(kms, "audit-dk-v-" + uuid.uuid4().hex[:8])
    read = kms.GetDataKeyPlaintext(DataKeyId=generated.DataKeyId)
    assert stored(kms_env, read.RequestId)
    status, out = ctl_status(kms_env, "audit", "verify")
    assert status == 0, f"kmsctl audit verify failed: {out}"

    seq = owner_psql(kms_env.home, f"SELECT seq FROM audit_log WHERE request_id = '{read.RequestId}'")
    for forged in ("NULL", f"'{uuid.uuid4()}'"):
        owner_psql(kms_env.home, f"UPDATE audit_log SET data_key_id = {forged} WHERE seq = {seq}")
        try:
            status, out = ctl_status(kms_env, "audit", "verify")
            assert status != 0 and "MAC" in out, f"kmsctl audit verify passed with data_key_id = {forged}: {out}"
        finally:
            owner_psql(kms_env.home, f"UPDATE audit_log SET data_key_id = '{generated.DataKeyId}' WHERE seq = {seq}")
    status, out = ctl_status(kms_env, "audit", "verify")
    assert status == 0, f"kmsctl audit verify failed after the record was restored: {out}"


def test_the_archive_carries_the_data_key_only_when_present(kms_env, client, make_account, tmp_path):
    kms = client(make_account("audit-dk-archive"), FIPS_REGION)
    key_id, generated = hosted(kms, "audit-dk-a-" + uuid.uuid4().hex[:8])
    read = kms.GetDataKeyPlaintext(DataKeyId=generated.DataKeyId)
    described = kms.DescribeKey(KeyId=key_id)
    assert stored(kms_env, read.RequestId) and stored(kms_env, described.RequestId)
    time.sleep(1.2)
    cutoff = datetime.fromtimestamp(int(time.time()), tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    time.sleep(1.2)

    archive = tmp_path / "audit-archive.jsonl"
    run_ctl(kms_env.repo, ["audit", "archive", "--before", cutoff, "--to", str(archive)])
    lines = [json.loads(x) for x in archive.read_text().splitlines()]
    records = {r["RequestId"]: r for r in lines[1:-1]}
    assert records[generated.RequestId]["DataKeyId"] == generated.DataKeyId
    assert records[read.RequestId]["DataKeyId"] == generated.DataKeyId
    assert "DataKeyId" not in records[described.RequestId]
    run_ctl(kms_env.repo, ["audit", "verify", "--archive", str(archive)])
    run_ctl(kms_env.repo, ["audit", "verify"])

    # A data key dropped from an archived line is found offline.
    records[read.RequestId].pop("DataKeyId")
    tampered = tmp_path / "tampered.jsonl"
    tampered.write_text("\n".join(json.dumps(x) for x in [lines[0], *records.values(), lines[-1]]) + "\n")
    status, out = ctl_status(kms_env, "audit", "verify", "--archive", str(tampered))
    assert status == 1 and "MAC" in out, out


def test_a_refusal_names_the_data_key_that_was_tried(kms_env, client, make_account):
    root = make_account("audit-dk-refused")
    _, generated = hosted(client(root, FIPS_REGION), "audit-dk-r-" + uuid.uuid4().hex[:8])
    added, sub = add_sub_user(Cam(root, kms_env.endpoint), root)
    try:
        client(sub, FIPS_REGION).GetDataKeyPlaintext(DataKeyId=generated.DataKeyId)
        raise AssertionError("a sub-user without a policy read a data key")
    except TencentCloudSDKException as exc:
        assert exc.code == "UnauthorizedOperation", exc
        refused = exc.requestId
    # Refused before the action ran, the record still says which data key was tried, and by whom.
    assert stored(kms_env, refused) == f"|{generated.DataKeyId}|UnauthorizedOperation"
    assert owner_psql(kms_env.home, f"SELECT caller_uin FROM audit_log WHERE request_id = '{refused}'") == str(added.Uin)
