"""The audit trail covers hosted data keys (docs/DATA_KEYS.md "Access and audit"; SPEC §5, §9): a
hosted GenerateDataKey, GetDataKeyPlaintext (answered and refused), ScheduleDataKeyDeletion and
ImportDataKey are recorded with their action, region, caller, data key (DataKeyId), CMK and result
-- the state change committed with its record -- `kmsctl audit tail --data-key` shows one data
key's records, and `kmsctl audit verify` still passes. No data key, plaintext or wrapped, reaches the audit
trail or the responder's log."""

import json
import os
import time

from data_key_support import DK_DISABLED, dks, hosted, imported  # noqa: F401  (fixtures)
from e2e_support import FIPS_REGION, SM_REGION, b64, owner_psql, run_ctl, unb64
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException


def audit_records(kms_env, account, request_ids, deadline=5.0):
    """The account's audit records (`kmsctl audit tail --json`) once every one of ``request_ids``
    shows (read-only calls are written in batches); by RequestId."""
    started = time.monotonic()
    while True:
        out = run_ctl(kms_env.repo, ["audit", "tail", "--account", account.app_id, "--json", "--limit", "0"])
        rows = {r["RequestId"]: r for r in (json.loads(line) for line in out.splitlines() if line.strip())}
        if set(request_ids) <= set(rows) or time.monotonic() - started > deadline:
            return rows
        time.sleep(0.1)


def request_id_of(call):
    try:
        return call().RequestId
    except TencentCloudSDKException as exc:
        return exc.requestId


def test_data_key_actions_are_audited(kms_env, dks, make_account):
    account = make_account("dk-audit")
    expected = {}   # RequestId -> (action, region, DataKeyId, CMK or None when not asserted, result)
    for region in (FIPS_REGION, SM_REGION):
        dk = dks(account, region)
        cmk = dk.new_cmk()
        generated = hosted(dk, cmk)
        data_key_id = generated.DataKeyId
        # the state change commits with its record: it is there the moment the answer is
        rows = audit_records(kms_env, account, [generated.RequestId], deadline=0)
        assert generated.RequestId in rows, f"{region}: the hosted GenerateDataKey's record did not commit with it"
        expected[generated.RequestId] = ("GenerateDataKey", region, data_key_id, cmk, "Success")
        read = dk.GetDataKeyPlaintext(DataKeyId=data_key_id)
        expected[read.RequestId] = ("GetDataKeyPlaintext", region, data_key_id, cmk, "Success")
        scheduled = dk.ScheduleDataKeyDeletion(DataKeyId=data_key_id, PendingWindowInDays=7)
        rows = audit_records(kms_env, account, [scheduled.RequestId], deadline=0)
        assert scheduled.RequestId in rows, f"{region}: ScheduleDataKeyDeletion's record did not commit with it"
        expected[scheduled.RequestId] = ("ScheduleDataKeyDeletion", region, data_key_id, None, "Success")
        refused = request_id_of(lambda: dk.GetDataKeyPlaintext(DataKeyId=data_key_id))
        expected[refused] = ("GetDataKeyPlaintext", region, data_key_id, None,
                             "ResourceUnavailable.DataKeyPendingDelete")
        brought = imported(dk, os.urandom(16), cmk)
        expected[brought.RequestId] = ("ImportDataKey", region, brought.DataKeyId, cmk, "Success")

    rows = audit_records(kms_env, account, list(expected))
    for request_id, (action, region, data_key_id, cmk, result) in expected.items():
        assert request_id in rows, f"{action} in {region} ({request_id}) is not in the audit trail"
        row = rows[request_id]
        assert (row["Action"], row["Region"], row["Result"]) == (action, region, result), row
        assert str(row["AppId"]) == account.app_id and str(row["CallerUin"]) == account.uin, row
        assert row.get("DataKeyId") == data_key_id, f"{action}: the record names data key {row.get('DataKeyId')}"
        if cmk is not None:
            assert row["KeyId"] == cmk, f"{action}: the record names {row['KeyId']}, not its CMK {cmk}"
    run_ctl(kms_env.repo, ["audit", "verify"])   # fails the test unless the chain verifies


def test_audit_tail_shows_one_data_keys_records(kms_env, dks, make_account):
    account = make_account("dk-audit-one")
    dk = dks(account, FIPS_REGION)
    cmk = dk.new_cmk()
    mine, other = hosted(dk, cmk), hosted(dk, cmk)
    dk.DisableDataKey(DataKeyId=mine.DataKeyId)
    refused = request_id_of(lambda: dk.GetDataKeyPlaintext(DataKeyId=mine.DataKeyId))
    dk.GetDataKeyPlaintext(DataKeyId=other.DataKeyId)
    audit_records(kms_env, account, [refused])
    deadline = time.monotonic() + 5
    while True:
        out = run_ctl(kms_env.repo, ["audit", "tail", "--account", account.app_id, "--data-key", mine.DataKeyId,
                                     "--json", "--limit", "0"])
        rows = [json.loads(line) for line in out.splitlines() if line.strip()]
        if len(rows) >= 3 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert {r["DataKeyId"] for r in rows} == {mine.DataKeyId}, rows
    assert [(r["Action"], r["Result"]) for r in sorted(rows, key=lambda r: r["Seq"])] == [
        ("GenerateDataKey", "Success"), ("DisableDataKey", "Success"),
        ("GetDataKeyPlaintext", "ResourceUnavailable.DataKeyDisabled")], rows


def test_no_data_key_reaches_the_audit_trail_or_the_log(kms_env, dks, make_account, tmp_path):
    from test_wrapped_outputs import Sm2Key
    account = make_account("dk-secrets")
    dk = dks(account, FIPS_REGION)
    cmk = dk.new_cmk()
    resp = hosted(dk, cmk, NumberOfBytes=48, EncryptionContext='{"audit":"secret-free"}')
    secret = unb64(resp.Plaintext)
    material = os.urandom(40)
    imported_id = imported(dk, material, cmk).DataKeyId
    dk.GetDataKeyPlaintext(DataKeyId=resp.DataKeyId)
    dk.GetDataKeyPlaintext(DataKeyId=imported_id)
    sm2 = Sm2Key(tmp_path)
    dk.GetDataKeyPlaintext(DataKeyId=resp.DataKeyId, EncryptionPublicKey=sm2.public_pem)
    dk.DisableDataKey(DataKeyId=imported_id)
    refused = request_id_of(lambda: dk.GetDataKeyPlaintext(DataKeyId=imported_id))
    audit_records(kms_env, account, [refused])
    time.sleep(0.5)   # the request log is written after the answer

    forms = {"data key (Base64)": b64(secret), "data key (hex)": secret.hex(),
             "imported key (Base64)": b64(material), "imported key (hex)": material.hex()}
    audit = owner_psql(kms_env.home, "SELECT coalesce(string_agg(a::text, '|'), '') FROM audit_log a "
                                     f"WHERE app_id = {int(account.app_id)}")
    with open(os.path.join(kms_env.home, "log", "responder.log"), encoding="utf-8", errors="replace") as fh:
        log = fh.read()
    for label, text in forms.items():
        assert text not in audit, f"the {label} is in the audit trail"
        assert text not in log, f"the {label} is in the responder's log"
