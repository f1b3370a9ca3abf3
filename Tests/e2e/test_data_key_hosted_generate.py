"""GenerateDataKey with IsHostedByKms=1 (docs/DATA_KEYS.md "The actions"), in a FIPS and an SM
region, through the official SDK: a DataKeyId comes back; GetDataKeyPlaintext gives the very bytes
returned; GetDataKeyCiphertextBlob opens with Decrypt under the EncryptionContext it was generated
with (and not without it); DescribeDataKey/DescribeDataKeys carry every DataKeyMetadata field of the
contract. An unhosted GenerateDataKey is unchanged: no DataKeyId, its DataKeyName ignored."""

import pytest

from data_key_support import (  # noqa: F401  (fixtures)
    METADATA_FIELDS, NOT_FOUND, cmk_a, dk_a, dks, hosted, unique_name,
)
from e2e_support import UUID_RE, assert_code, now, unb64

SIZES = [({"KeySpec": "AES_256"}, 32), ({"KeySpec": "AES_128"}, 16), ({"NumberOfBytes": 1}, 1),
         ({"NumberOfBytes": 1024}, 1024), ({"KeySpec": "AES_128", "NumberOfBytes": 7}, 7)]


@pytest.mark.parametrize("size, length", SIZES, ids=["aes256", "aes128", "1", "1024", "bytes-win"])
def test_hosted_data_key_plaintext_and_blob_are_the_generated_bytes(dk_a, cmk_a, size, length):
    context = '{"tenant":"e2e","purpose":"hosted"}'
    resp = hosted(dk_a, cmk_a, EncryptionContext=context, **size)
    assert UUID_RE.match(resp.DataKeyId), f"DataKeyId {resp.DataKeyId!r} is not a lower-case UUID"
    assert resp.KeyId == cmk_a
    plaintext = unb64(resp.Plaintext)
    assert len(plaintext) == length

    assert dk_a.plaintext(resp.DataKeyId) == plaintext
    blob = dk_a.blob(resp.DataKeyId)
    assert dk_a.kms.decrypt(blob, context) == plaintext
    # the returned CiphertextBlob is the same data key, bound to the same context
    assert dk_a.kms.decrypt(resp.CiphertextBlob, context) == plaintext
    assert_code(lambda: dk_a.kms.decrypt(blob), "InvalidParameterValue.InvalidCiphertext")
    assert_code(lambda: dk_a.kms.decrypt(blob, '{"tenant":"other"}'), "InvalidParameterValue.InvalidCiphertext")


def test_hosted_data_key_metadata_has_every_contract_field(dk_a, cmk_a):
    alias = dk_a.kms.DescribeKey(KeyId=cmk_a).KeyMetadata.Alias
    name = unique_name("meta")
    before = now()
    resp = hosted(dk_a, cmk_a, name=name, KeySpec="AES_128", Description="what it is for")
    after = now()
    meta = dk_a.meta(resp.DataKeyId)
    for field in METADATA_FIELDS:
        assert getattr(meta, field) is not None, f"DataKeyMetadata.{field} is missing: {meta}"
    uin = int(dk_a.account.uin)
    assert meta.DataKeyId == resp.DataKeyId
    assert meta.KeyId == cmk_a
    assert meta.KeyName == alias, f"KeyName {meta.KeyName!r} is not the CMK's alias {alias!r}"
    assert meta.DataKeyName == name
    assert meta.NumberOfBytes == 16
    assert before <= meta.CreateTime <= after
    assert meta.Description == "what it is for"
    assert meta.KeyState == "Enabled"
    assert meta.CreatorUin == uin
    assert meta.Owner == "user"
    assert meta.DeletionDate == 0
    assert meta.Origin == "TENCENT_KMS"
    assert meta.ResourceId == f"creatorUin/{uin}/{resp.DataKeyId}"

    [listed] = dk_a.DescribeDataKeys(DataKeyIds=[resp.DataKeyId]).DataKeyMetadatas
    for field in METADATA_FIELDS:
        assert getattr(listed, field) == getattr(meta, field), f"DescribeDataKeys.{field} differs from DescribeDataKey"
    # upper-case input names the same data key
    assert dk_a.DescribeDataKey(DataKeyId=resp.DataKeyId.upper()).DataKeyMetadata.DataKeyId == resp.DataKeyId


def test_describe_data_keys_answers_in_the_order_asked(dk_a, cmk_a):
    ids = [hosted(dk_a, cmk_a, NumberOfBytes=n).DataKeyId for n in (5, 6, 7)]
    asked = [ids[2], ids[0], ids[1]]
    got = dk_a.DescribeDataKeys(DataKeyIds=asked).DataKeyMetadatas
    assert [m.DataKeyId for m in got] == asked
    assert [m.NumberOfBytes for m in got] == [7, 5, 6]


def test_description_may_be_empty_or_absent(dk_a, cmk_a):
    absent = hosted(dk_a, cmk_a).DataKeyId
    empty = hosted(dk_a, cmk_a, Description="").DataKeyId
    assert dk_a.meta(absent).Description == ""
    assert dk_a.meta(empty).Description == ""


def test_hosted_response_carries_tag_code_zero(dk_a, cmk_a):
    resp = hosted(dk_a, cmk_a, Tags=[{"TagKey": "team", "TagValue": "e2e"}])
    assert resp.TagCode == 0, f"TagCode {resp.TagCode!r}"


def test_unhosted_generate_data_key_is_unchanged_and_ignores_data_key_name(dk_a, cmk_a):
    name = unique_name("ignored")
    for hosted_flag in (None, 0):
        fields = {"KeyId": cmk_a, "KeySpec": "AES_256", "DataKeyName": name, "Description": "ignored"}
        if hosted_flag is not None:
            fields["IsHostedByKms"] = hosted_flag
        resp = dk_a.GenerateDataKey(**fields)
        assert resp.DataKeyId in (None, ""), f"an unhosted data key got a DataKeyId: {resp.DataKeyId!r}"
        assert dk_a.kms.decrypt(resp.CiphertextBlob) == unb64(resp.Plaintext)
    listed = dk_a.ListDataKeyDetail(SearchKeyAlias=name, Limit=200)
    assert listed.TotalCount == 0 and not listed.DataKeyMetadatas, "an unhosted GenerateDataKey stored a data key"
    # the name was never taken: a hosted data key may have it
    hosted(dk_a, cmk_a, name=name)


def test_unknown_or_malformed_data_key_id(dk_a):
    assert_code(lambda: dk_a.DescribeDataKey(DataKeyId="00000000-0000-4000-8000-000000000000"), NOT_FOUND)
    assert_code(lambda: dk_a.DescribeDataKey(DataKeyId="not-a-uuid"), "InvalidParameterValue.InvalidDataKeyId")
