"""A data key is only as usable as its CMK (docs/DATA_KEYS.md "The CMK"), in a FIPS and an SM region:
GetDataKeyPlaintext under a Disabled CMK is CmkDisabled, under an Archived, PendingDelete or
PendingImport (BYOK material deleted or expired) one CmkStateNotSupport; GenerateDataKey and ImportDataKey need
the CMK Enabled and symmetric; EnableDataKey(s) and a CancelDataKeyDeletion that returns to Enabled
need it Enabled; everything else works whatever its state. Rotation does not disturb data keys, and
destroying the CMK destroys its data keys."""

import os
import time

import pytest

from asymmetric_support import USAGES, new_asymmetric_key
from data_key_support import (  # noqa: F401  (fixtures)
    CMK_ARCHIVED, CMK_DISABLED, CMK_NOT_FOUND, CMK_PENDING_DELETE, CMK_STATE, INVALID_KEY_USAGE, NOT_FOUND,
    cmk_a, data_key_rows, dk_a, dks, hosted, imported, psql_in_tenant, random_data_key_id, unique_name,
)
from e2e_support import FIPS_REGION, SM_REGION, assert_code, assert_codes, b64, now, unb64
from test_byok import RSA_OAEP_SHA256, SM2PKE, Byok

UNKNOWN_CMK = "00000000-0000-4000-8000-000000000000"


def disable(dk, cmk):
    dk.kms.DisableKey(KeyId=cmk)


def archive(dk, cmk):
    dk.kms.ArchiveKey(KeyId=cmk)


def pending_delete(dk, cmk):
    dk.kms.DisableKey(KeyId=cmk)
    dk.kms.ScheduleKeyDeletion(KeyId=cmk, PendingWindowInDays=7)


CMK_STATES = {"Disabled": (disable, CMK_DISABLED), "Archived": (archive, CMK_STATE),
              "PendingDelete": (pending_delete, CMK_STATE)}


@pytest.mark.parametrize("cmk_state", list(CMK_STATES))
def test_plaintext_refused_while_the_cmk_is_not_enabled_and_back_after(dk_a, cmk_a, cmk_state):
    put, code = CMK_STATES[cmk_state]
    resp = hosted(dk_a, cmk_a)
    data_key_id = resp.DataKeyId
    put(dk_a, cmk_a)
    assert dk_a.kms.state(cmk_a) == cmk_state
    assert_code(lambda: dk_a.plaintext(data_key_id), code)
    # what does not need the CMK works whatever its state
    blob = dk_a.blob(data_key_id)
    assert dk_a.meta(data_key_id).KeyState == "Enabled"
    dk_a.UpdateDataKeyName(DataKeyId=data_key_id, DataKeyName=unique_name("cmk-" + cmk_state.lower()))
    dk_a.UpdateDataKeyDescription(DataKeyId=data_key_id, Description=f"CMK {cmk_state}")
    assert data_key_id in [m.DataKeyId for m in dk_a.ListDataKeyDetail(KeyId=cmk_a).DataKeyMetadatas]
    dk_a.DisableDataKey(DataKeyId=data_key_id)
    dk_a.ScheduleDataKeyDeletion(DataKeyId=data_key_id, PendingWindowInDays=7)
    dk_a.CancelDataKeyDeletion(DataKeyId=data_key_id)   # back to Disabled: no CMK needed
    assert dk_a.state(data_key_id) == "Disabled"
    # bring the CMK back
    if cmk_state == "Archived":
        dk_a.kms.CancelKeyArchive(KeyId=cmk_a)
    else:
        if cmk_state == "PendingDelete":
            dk_a.kms.CancelKeyDeletion(KeyId=cmk_a)
        dk_a.kms.EnableKey(KeyId=cmk_a)
    dk_a.EnableDataKey(DataKeyId=data_key_id)
    assert dk_a.plaintext(data_key_id) == unb64(resp.Plaintext)
    assert dk_a.kms.decrypt(blob) == unb64(resp.Plaintext)


@pytest.mark.parametrize("cmk_state", list(CMK_STATES))
def test_enabling_a_data_key_needs_an_enabled_cmk(dk_a, cmk_a, cmk_state):
    put, _ = CMK_STATES[cmk_state]
    disabled = hosted(dk_a, cmk_a).DataKeyId
    dk_a.DisableDataKey(DataKeyId=disabled)
    scheduled = hosted(dk_a, cmk_a).DataKeyId
    dk_a.ScheduleDataKeyDeletion(DataKeyId=scheduled, PendingWindowInDays=7)
    put(dk_a, cmk_a)
    assert_codes([
        ("EnableDataKey", lambda: dk_a.EnableDataKey(DataKeyId=disabled), CMK_STATE),
        ("EnableDataKeys", lambda: dk_a.EnableDataKeys(DataKeyIds=[disabled]), CMK_STATE),
        ("CancelDataKeyDeletion back to Enabled", lambda: dk_a.CancelDataKeyDeletion(DataKeyId=scheduled), CMK_STATE),
    ])
    assert (dk_a.state(disabled), dk_a.state(scheduled)) == ("Disabled", "PendingDelete")


def test_enable_batch_over_two_cmks_is_refused_whole_when_one_is_disabled(dk_a, cmk_a):
    other = dk_a.new_cmk()
    keys = [hosted(dk_a, cmk_a).DataKeyId, hosted(dk_a, other).DataKeyId]
    dk_a.DisableDataKeys(DataKeyIds=keys)
    dk_a.kms.DisableKey(KeyId=other)
    assert_code(lambda: dk_a.EnableDataKeys(DataKeyIds=keys), CMK_STATE)
    assert [dk_a.state(k) for k in keys] == ["Disabled", "Disabled"]


@pytest.mark.parametrize("cmk_state, code", [("Disabled", CMK_DISABLED), ("Archived", CMK_ARCHIVED),
                                             ("PendingDelete", CMK_PENDING_DELETE)])
def test_generate_and_import_need_an_enabled_cmk(dk_a, cmk_a, cmk_state, code):
    blob = dk_a.kms.GenerateDataKey(KeyId=cmk_a, KeySpec="AES_256").CiphertextBlob
    CMK_STATES[cmk_state][0](dk_a, cmk_a)
    before = dk_a.ListDataKeys().TotalCount
    assert_codes([
        ("hosted GenerateDataKey", lambda: hosted(dk_a, cmk_a), code),
        ("unhosted GenerateDataKey", lambda: dk_a.GenerateDataKey(KeyId=cmk_a, KeySpec="AES_256"), code),
        ("ImportDataKey type 2", lambda: imported(dk_a, os.urandom(32), cmk_a), code),
        ("ImportDataKey type 1", lambda: imported(dk_a, blob, import_type=1), code),
    ])
    assert dk_a.ListDataKeys().TotalCount == before


def test_generate_and_import_need_a_symmetric_cmk_that_exists(dk_a):
    usage = next(u for u in USAGES.values() if u.region == dk_a.region and u.decrypts)
    asymmetric = new_asymmetric_key(dk_a.kms, usage.key_usage)
    assert_codes([
        ("asymmetric CMK, GenerateDataKey", lambda: hosted(dk_a, asymmetric), INVALID_KEY_USAGE),
        ("asymmetric CMK, ImportDataKey", lambda: imported(dk_a, os.urandom(32), asymmetric), INVALID_KEY_USAGE),
        ("unknown CMK, GenerateDataKey", lambda: hosted(dk_a, UNKNOWN_CMK), CMK_NOT_FOUND),
        ("unknown CMK, ImportDataKey", lambda: imported(dk_a, os.urandom(32), UNKNOWN_CMK), CMK_NOT_FOUND),
    ])


@pytest.fixture(params=[RSA_OAEP_SHA256, SM2PKE], ids=["fips", "sm"])
def byok(request, dks, account_a):
    dk = dks(account_a, request.param.region)
    return dk, Byok(dk.kms, request.param)


def test_byok_cmk_whose_material_is_deleted(byok):
    dk, material_owner = byok
    cmk, material = material_owner.imported_key()
    resp = hosted(dk, cmk)
    plain_import = imported(dk, b"brought-along-key", cmk).DataKeyId
    blob = dk.kms.GenerateDataKey(KeyId=cmk, KeySpec="AES_128").CiphertextBlob
    dk.kms.DeleteImportedKeyMaterial(KeyId=cmk)
    assert dk.kms.state(cmk) == "PendingImport"
    assert_codes([
        ("GetDataKeyPlaintext", lambda: dk.plaintext(resp.DataKeyId), CMK_STATE),
        ("GetDataKeyPlaintext of the imported one", lambda: dk.plaintext(plain_import), CMK_STATE),
        ("hosted GenerateDataKey", lambda: hosted(dk, cmk), CMK_STATE),
        ("ImportDataKey type 2", lambda: imported(dk, os.urandom(16), cmk), CMK_STATE),
        ("ImportDataKey type 1", lambda: imported(dk, blob, import_type=1), CMK_STATE),
    ])
    dk.DisableDataKey(DataKeyId=resp.DataKeyId)
    assert_code(lambda: dk.EnableDataKey(DataKeyId=resp.DataKeyId), CMK_STATE)
    # the same material again: everything is back
    material_owner.import_material(cmk, material)
    dk.EnableDataKey(DataKeyId=resp.DataKeyId)
    assert dk.plaintext(resp.DataKeyId) == unb64(resp.Plaintext)
    assert dk.plaintext(plain_import) == b"brought-along-key"


def test_byok_cmk_whose_material_expired(byok):
    """Material past its ValidTo, before the worker has destroyed it (the deadline moved into the
    past in the database, the expiry job pushed far out, as test_deadlines.py does)."""
    dk, material_owner = byok
    cmk, _ = material_owner.imported_key(valid_to=now() + 30 * 86400)
    resp = hosted(dk, cmk)
    psql_in_tenant(dk,
                   f"UPDATE keys SET valid_to = extract(epoch FROM now())::bigint - 1 WHERE key_id = '{cmk}';",
                   f"UPDATE scheduled_jobs SET due_at = 4000000000 WHERE kind = 'expire_material' "
                   f"AND key_id = '{cmk}';")
    assert_codes([
        ("GetDataKeyPlaintext", lambda: dk.plaintext(resp.DataKeyId), CMK_STATE),
        ("hosted GenerateDataKey", lambda: hosted(dk, cmk), CMK_STATE),
        ("ImportDataKey", lambda: imported(dk, os.urandom(16), cmk), CMK_STATE),
    ])
    assert dk.meta(resp.DataKeyId).KeyState == "Enabled"


def test_rotating_the_cmk_keeps_data_keys_readable(dk_a, cmk_a):
    resp = hosted(dk_a, cmk_a)
    blob_before = dk_a.blob(resp.DataKeyId)
    dk_a.kms.EnableKeyRotation(KeyId=cmk_a)
    dk_a.kms.call("RotateKey", KeyId=cmk_a)
    after = hosted(dk_a, cmk_a)
    assert dk_a.plaintext(resp.DataKeyId) == unb64(resp.Plaintext)
    assert dk_a.blob(resp.DataKeyId) == blob_before, "rotation re-sealed a data key"
    assert dk_a.plaintext(after.DataKeyId) == unb64(after.Plaintext)


def test_destroying_the_cmk_destroys_its_data_keys(dk_a, cmk_a):
    survivor_cmk = dk_a.new_cmk()
    doomed = [hosted(dk_a, cmk_a).DataKeyId, imported(dk_a, os.urandom(8), cmk_a).DataKeyId]
    survivor = hosted(dk_a, survivor_cmk).DataKeyId
    used = dk_a.GetServiceStatus().DataKeyUsedCount
    pending_delete(dk_a, cmk_a)   # allowed with data keys in it (as Tencent allows it)
    psql_in_tenant(dk_a,
                   f"UPDATE keys SET deletion_date = extract(epoch FROM now())::bigint - 1 WHERE key_id = '{cmk_a}';",
                   f"UPDATE scheduled_jobs SET due_at = extract(epoch FROM now())::bigint - 1 "
                   f"WHERE kind = 'delete_key' AND key_id = '{cmk_a}';")
    deadline = time.monotonic() + 10
    while any(data_key_rows(dk_a, k) for k in doomed) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert [data_key_rows(dk_a, k) for k in doomed] == [0, 0], "the CMK's data keys outlived it"
    assert_codes([(f"DescribeDataKey {k}", lambda k=k: dk_a.DescribeDataKey(DataKeyId=k), NOT_FOUND) for k in doomed])
    assert dk_a.state(survivor) == "Enabled"
    assert dk_a.GetServiceStatus().DataKeyUsedCount == used - 2
