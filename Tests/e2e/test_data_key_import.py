"""ImportDataKey (docs/DATA_KEYS.md "The actions"), in a FIPS and an SM region: ImportType 2 takes
the data key itself (KeyId required), ImportType 1 a CiphertextBlob this service made in this region
without EncryptionContext (KeyId optional, and when given it must be the CMK the blob names). Both
store an EXTERNAL data key whose GetDataKeyPlaintext is the imported bytes; every refusal has the
contract's code and stores nothing."""

import os

import pytest

from data_key_support import (  # noqa: F401  (fixtures)
    CMK_NOT_FOUND, INVALID_KEY_ID, INVALID_MATERIAL, INVALID_TYPE, MISSING, cmk_a, dk_a, dks, hosted, imported,
    unique_name,
)
from e2e_support import FIPS_REGION, FIPS_REGION_2, SM_REGION, UUID_RE, assert_code, assert_codes, b64, unb64


@pytest.mark.parametrize("length", [1, 5, 32, 1024])
def test_plaintext_import_stores_the_bytes_as_an_external_data_key(dk_a, cmk_a, length):
    material = os.urandom(length)
    name = unique_name("imp2")
    resp = imported(dk_a, material, cmk_a, name=name, Description="brought along")
    assert UUID_RE.match(resp.DataKeyId) and resp.KeyId == cmk_a
    meta = dk_a.meta(resp.DataKeyId)
    assert (meta.Origin, meta.KeyId, meta.NumberOfBytes, meta.DataKeyName, meta.Description, meta.KeyState) == \
        ("EXTERNAL", cmk_a, length, name, "brought along", "Enabled")
    assert dk_a.plaintext(resp.DataKeyId) == material
    # sealed under its CMK: the stored blob opens with Decrypt
    assert dk_a.kms.decrypt(dk_a.blob(resp.DataKeyId)) == material


def test_ciphertext_import_of_a_generate_data_key_blob(dk_a, cmk_a):
    made = dk_a.kms.GenerateDataKey(KeyId=cmk_a, KeySpec="AES_256")
    for key_id in (None, cmk_a, cmk_a.upper()):
        resp = imported(dk_a, made.CiphertextBlob, key_id, import_type=1)
        assert resp.KeyId == cmk_a
        meta = dk_a.meta(resp.DataKeyId)
        assert (meta.Origin, meta.KeyId, meta.NumberOfBytes) == ("EXTERNAL", cmk_a, 32)
        assert dk_a.plaintext(resp.DataKeyId) == unb64(made.Plaintext)
        assert dk_a.blob(resp.DataKeyId) == made.CiphertextBlob, "the imported blob is not stored as it came"


def test_ciphertext_import_of_a_downloaded_hosted_blob(dk_a, cmk_a):
    original = hosted(dk_a, cmk_a, NumberOfBytes=48)
    copy = imported(dk_a, dk_a.blob(original.DataKeyId), import_type=1)
    assert copy.DataKeyId != original.DataKeyId
    assert dk_a.plaintext(copy.DataKeyId) == unb64(original.Plaintext)


def test_ciphertext_import_with_another_cmk_is_invalid_key_id(dk_a, cmk_a):
    other = dk_a.new_cmk()
    blob = dk_a.kms.GenerateDataKey(KeyId=cmk_a, NumberOfBytes=16).CiphertextBlob
    before = dk_a.ListDataKeys(Limit=200).TotalCount
    assert_code(lambda: imported(dk_a, blob, other, import_type=1), INVALID_KEY_ID)
    assert dk_a.ListDataKeys(Limit=200).TotalCount == before, "a refused import stored a data key"


def test_ciphertext_import_refuses_what_it_cannot_open(dk_a, cmk_a, dks):
    other_profile = SM_REGION if dk_a.region == FIPS_REGION else FIPS_REGION
    foreign = dks(dk_a.account, other_profile)
    foreign_blob = foreign.kms.GenerateDataKey(KeyId=foreign.new_cmk(), KeySpec="AES_256").CiphertextBlob
    with_context = dk_a.kms.GenerateDataKey(KeyId=cmk_a, KeySpec="AES_256",
                                            EncryptionContext='{"bound":"yes"}').CiphertextBlob
    hosted_with_context = hosted(dk_a, cmk_a, EncryptionContext='{"bound":"hosted"}').DataKeyId
    good = dk_a.kms.GenerateDataKey(KeyId=cmk_a, KeySpec="AES_256").CiphertextBlob
    truncated = good[: len(good) // 2]
    assert_codes([
        ("blob made with EncryptionContext", lambda: imported(dk_a, with_context, import_type=1), INVALID_MATERIAL),
        ("downloaded blob of a data key with a context",
         lambda: imported(dk_a, dk_a.blob(hosted_with_context), import_type=1), INVALID_MATERIAL),
        ("the other profile's blob", lambda: imported(dk_a, foreign_blob, import_type=1), INVALID_MATERIAL),
        ("garbage", lambda: imported(dk_a, "this is not a ciphertext blob", import_type=1), INVALID_MATERIAL),
        ("base64 garbage", lambda: imported(dk_a, b64(os.urandom(80)), import_type=1), INVALID_MATERIAL),
        ("truncated blob", lambda: imported(dk_a, truncated, import_type=1), INVALID_MATERIAL),
        ("the data key itself as a blob", lambda: imported(dk_a, os.urandom(32), import_type=1), INVALID_MATERIAL),
    ])


def test_ciphertext_import_of_a_same_profile_region_blob_finds_no_cmk(dks, account_a):
    """ap-beijing and ap-guangzhou share the FIPS profile: the envelope opens, but its CMK is not here."""
    beijing, guangzhou = dks(account_a, FIPS_REGION_2), dks(account_a, FIPS_REGION)
    blob = beijing.kms.GenerateDataKey(KeyId=beijing.new_cmk(), KeySpec="AES_256").CiphertextBlob
    assert_code(lambda: imported(guangzhou, blob, import_type=1), CMK_NOT_FOUND)


def test_plaintext_import_refusals(dk_a, cmk_a):
    assert_codes([
        ("no KeyId", lambda: imported(dk_a, os.urandom(32)), MISSING),
        ("empty KeyId", lambda: imported(dk_a, os.urandom(32), ""), MISSING),
        ("1025 bytes", lambda: imported(dk_a, os.urandom(1025), cmk_a), INVALID_MATERIAL),
        ("empty material", lambda: imported(dk_a, "", cmk_a), INVALID_MATERIAL),
        ("not base64", lambda: imported(dk_a, "***not base64***", cmk_a), INVALID_MATERIAL),
        ("unknown CMK", lambda: imported(dk_a, os.urandom(32), "00000000-0000-4000-8000-000000000000"),
         CMK_NOT_FOUND),
        ("malformed CMK id", lambda: imported(dk_a, os.urandom(32), "not-a-key-id"), INVALID_KEY_ID),
    ])


def test_import_type_other_than_1_or_2_is_invalid_type(dk_a, cmk_a):
    for import_type in (0, 3, 99):
        assert_code(lambda t=import_type: imported(dk_a, os.urandom(16), cmk_a, import_type=t), INVALID_TYPE)
    assert_code(lambda: dk_a.call("ImportDataKey", DataKeyName=unique_name(), ImportKeyMaterial=b64(b"x" * 16),
                                  KeyId=cmk_a), MISSING)
