"""Every one of the 16 data-key actions through tccli (the official CLI) over HTTPS, in a FIPS and an
SM region, as a user would type them: hosted GenerateDataKey, ImportDataKey (both types),
DescribeDataKey(s), ListDataKeys, ListDataKeyDetail, GetDataKeyPlaintext (plain and wrapped to an SM2
key, opened with openssl), GetDataKeyCiphertextBlob (opened with Decrypt), UpdateDataKeyName,
UpdateDataKeyDescription, Enable/DisableDataKey(s), ScheduleDataKeyDeletion, CancelDataKeyDeletion;
and documented errors as tccli prints them.

tccli signs like the SDK (TC3 over the body only), so two actions with the same body in the same
second would carry the same signature; each call here starts in a second of its own."""

import base64
import json
import os
import time
import uuid

import pytest

from data_key_support import REGION_IDS, REGIONS
from e2e_support import FIPS_REGION, b64, unb64
from tccli_support import tccli_service
from test_wrapped_outputs import Sm2Key, sm2_raw_to_der

ACTIONS = ("GenerateDataKey", "ImportDataKey", "DescribeDataKey", "DescribeDataKeys", "ListDataKeys",
           "ListDataKeyDetail", "GetDataKeyPlaintext", "GetDataKeyCiphertextBlob", "UpdateDataKeyName",
           "UpdateDataKeyDescription", "EnableDataKey", "EnableDataKeys", "DisableDataKey", "DisableDataKeys",
           "ScheduleDataKeyDeletion", "CancelDataKeyDeletion")


def next_second():
    time.sleep(1.02 - (time.time() % 1.0))


@pytest.mark.parametrize("region", REGIONS, ids=REGION_IDS)
def test_every_data_key_action_through_tccli(kms_env, make_account, tmp_path, region):
    account = make_account("dk-tccli")
    cli = tccli_service(kms_env, account, tmp_path, "kms")
    used = set()

    def kms(action, *args, fails=False):
        used.add(action)
        next_second()
        return cli(action, "--region", region, *args, fails=fails)

    cmk = kms("CreateKey", "--Alias", f"dk-cli-{uuid.uuid4().hex[:8]}")["KeyId"]
    name = f"cli-{uuid.uuid4().hex[:10]}"
    made = kms("GenerateDataKey", "--KeyId", cmk, "--KeySpec", "AES_256", "--IsHostedByKms", "1",
               "--DataKeyName", name, "--Description", "made by tccli", "--EncryptionContext", '{"via":"tccli"}')
    data_key_id, plaintext = made["DataKeyId"], unb64(made["Plaintext"])
    material = os.urandom(24)
    imported_id = kms("ImportDataKey", "--DataKeyName", name + "-imp", "--ImportKeyMaterial", b64(material),
                      "--ImportType", "2", "--KeyId", cmk)["DataKeyId"]
    blob = kms("GenerateDataKey", "--KeyId", cmk, "--NumberOfBytes", "20")["CiphertextBlob"]
    from_blob = kms("ImportDataKey", "--DataKeyName", name + "-blob", "--ImportKeyMaterial", blob,
                    "--ImportType", "1")
    assert from_blob["KeyId"] == cmk

    meta = kms("DescribeDataKey", "--DataKeyId", data_key_id)["DataKeyMetadata"]
    assert (meta["DataKeyName"], meta["Description"], meta["KeyId"], meta["NumberOfBytes"], meta["Origin"]) == \
        (name, "made by tccli", cmk, 32, "TENCENT_KMS")
    metas = kms("DescribeDataKeys", "--DataKeyIds", json.dumps([imported_id, data_key_id]))["DataKeyMetadatas"]
    assert [m["DataKeyId"] for m in metas] == [imported_id, data_key_id]
    assert metas[0]["Origin"] == "EXTERNAL"
    listed = kms("ListDataKeys", "--Limit", "200")
    assert listed["TotalCount"] == 3
    assert {k["DataKeyId"] for k in listed["DataKeys"]} == {data_key_id, imported_id, from_blob["DataKeyId"]}
    detail = kms("ListDataKeyDetail", "--Origin", "EXTERNAL", "--OrderType", "1")
    assert [m["DataKeyId"] for m in detail["DataKeyMetadatas"]] == [imported_id, from_blob["DataKeyId"]]

    assert unb64(kms("GetDataKeyPlaintext", "--DataKeyId", data_key_id)["Plaintext"]) == plaintext
    assert unb64(kms("GetDataKeyPlaintext", "--DataKeyId", imported_id)["Plaintext"]) == material
    sm2 = Sm2Key(tmp_path)
    wrapped = kms("GetDataKeyPlaintext", "--DataKeyId", data_key_id, "--EncryptionPublicKey", sm2.public_pem,
                  "--EncryptionAlgorithm", "SM2")["Plaintext"]
    assert sm2.decrypt(sm2_raw_to_der(unb64(wrapped))) == plaintext
    downloaded = kms("GetDataKeyCiphertextBlob", "--DataKeyId", data_key_id)["CiphertextBlob"]
    opened = kms("Decrypt", "--CiphertextBlob", downloaded, "--EncryptionContext", '{"via":"tccli"}')
    assert unb64(opened["Plaintext"]) == plaintext

    renamed = name + "-renamed"
    kms("UpdateDataKeyName", "--DataKeyId", data_key_id, "--DataKeyName", renamed)
    kms("UpdateDataKeyDescription", "--DataKeyId", data_key_id, "--Description", "changed by tccli")
    kms("DisableDataKey", "--DataKeyId", data_key_id)
    said = kms("GetDataKeyPlaintext", "--DataKeyId", data_key_id, fails=True)
    assert "ResourceUnavailable.DataKeyDisabled" in said, said
    kms("EnableDataKey", "--DataKeyId", data_key_id)
    kms("DisableDataKeys", "--DataKeyIds", json.dumps([data_key_id, imported_id]))
    kms("EnableDataKeys", "--DataKeyIds", json.dumps([imported_id]))
    scheduled = kms("ScheduleDataKeyDeletion", "--DataKeyId", data_key_id, "--PendingWindowInDays", "7")
    assert scheduled["DataKeyId"] == data_key_id and scheduled["DeletionDate"] > time.time() + 7 * 86400 - 60
    meta = kms("DescribeDataKey", "--DataKeyId", data_key_id)["DataKeyMetadata"]
    assert (meta["DataKeyName"], meta["Description"], meta["KeyState"], meta["DeletionDate"]) == \
        (renamed, "changed by tccli", "PendingDelete", scheduled["DeletionDate"])
    assert kms("CancelDataKeyDeletion", "--DataKeyId", data_key_id)["DataKeyId"] == data_key_id
    states = kms("DescribeDataKeys", "--DataKeyIds", json.dumps([data_key_id, imported_id]))["DataKeyMetadatas"]
    assert [m["KeyState"] for m in states] == ["Disabled", "Enabled"]

    # documented errors, as tccli shows them
    errors = {
        "ResourceUnavailable.DataKeyNotFound": ("DescribeDataKey", "--DataKeyId", str(uuid.uuid4())),
        "InvalidParameter.InvalidPendingWindowInDays": ("ScheduleDataKeyDeletion", "--DataKeyId", imported_id,
                                                        "--PendingWindowInDays", "6"),
        "InvalidParameterValue.DataKeyNameAlreadyExists": ("ImportDataKey", "--DataKeyName", renamed,
                                                           "--ImportKeyMaterial", b64(b"k" * 16), "--ImportType", "2",
                                                           "--KeyId", cmk),
        "ResourceUnavailable.DataKeyNotPendingDelete": ("CancelDataKeyDeletion", "--DataKeyId", imported_id),
        "InvalidParameterValue.DuplicatedDataKeyId": ("EnableDataKeys", "--DataKeyIds",
                                                      json.dumps([imported_id, imported_id])),
    }
    for code, (action, *args) in errors.items():
        said = kms(action, *args, fails=True)
        assert code in said, f"tccli {action}: {code} not in {said!r}"

    assert used >= set(ACTIONS), f"not run through tccli: {sorted(set(ACTIONS) - used)}"
