"""Tenant isolation: account B never sees, uses or changes account A's keys (FIPS and SM region)."""

import pytest

from e2e_support import (
    KEY_ACTIONS, assert_code, assert_codes, key_action_params, random_key_id, unique_alias,
)

NOT_FOUND = "ResourceUnavailable.CmkNotFound"
FOREIGN_BLOB = ("InvalidParameterValue.InvalidCiphertext", NOT_FOUND)
CONTEXT = '{"owner":"a"}'


@pytest.fixture
def a_key(kms_a):
    """One of A's keys in the parametrised region, with two blobs encrypted under it."""
    alias = unique_alias("a-owned")
    key_id = kms_a.CreateKey(Alias=alias, Description="belongs to A").KeyId
    return {
        "id": key_id,
        "alias": alias,
        "blob": kms_a.encrypt(key_id, b"A's secret", CONTEXT),
        "plain_blob": kms_a.encrypt(key_id, b"A's other secret"),
    }


def test_other_account_cannot_use_or_change_key(kms_a, kms_b, a_key):
    before = kms_a.DescribeKey(KeyId=a_key["id"]).KeyMetadata.to_json_string(sort_keys=True)
    assert_codes(
        (action, lambda action=action: kms_b.call(action, **key_action_params(action, a_key["id"])), NOT_FOUND)
        for action in KEY_ACTIONS)
    after = kms_a.DescribeKey(KeyId=a_key["id"]).KeyMetadata
    assert after.to_json_string(sort_keys=True) == before
    assert (after.KeyState, after.Alias, after.Description) == ("Enabled", a_key["alias"], "belongs to A")
    assert kms_a.decrypt(a_key["blob"], CONTEXT) == b"A's secret"


def test_other_account_cannot_decrypt_blob(kms_a, kms_b, a_key):
    assert_codes([
        ("with context", lambda: kms_b.decrypt(a_key["blob"], CONTEXT), FOREIGN_BLOB),
        ("without context", lambda: kms_b.decrypt(a_key["plain_blob"]), FOREIGN_BLOB),
    ])
    assert kms_a.decrypt(a_key["plain_blob"]) == b"A's other secret"


def test_foreign_key_is_indistinguishable_from_missing_key(kms_b, a_key):
    missing = random_key_id()
    for action in ("DescribeKey", "Encrypt", "DisableKey"):
        _, foreign_msg = assert_code(
            lambda: kms_b.call(action, **key_action_params(action, a_key["id"])), NOT_FOUND)
        _, missing_msg = assert_code(
            lambda: kms_b.call(action, **key_action_params(action, missing)), NOT_FOUND)
        assert foreign_msg.replace(a_key["id"], "<id>") == missing_msg.replace(missing, "<id>"), action


def test_other_account_never_lists_foreign_keys(kms_b, a_key):
    assert a_key["id"] not in kms_b.list_all_key_ids()
    for search in (a_key["alias"], a_key["id"]):
        detail = kms_b.ListKeyDetail(SearchKeyAlias=search, Limit=200)
        assert detail.TotalCount == 0 and not detail.KeyMetadatas, search
    everything = kms_b.ListKeyDetail(Limit=200, KeyState=0)
    assert a_key["id"] not in [m.KeyId for m in (everything.KeyMetadatas or [])]
    assert not kms_b.DescribeKeys(KeyIds=[a_key["id"]]).KeyMetadatas


def test_other_account_may_reuse_alias(kms_a, kms_b, a_key):
    b_key = kms_b.CreateKey(Alias=a_key["alias"]).KeyId
    assert b_key != a_key["id"]
    assert kms_b.DescribeKey(KeyId=b_key).KeyMetadata.Alias == a_key["alias"]
    assert kms_a.DescribeKey(KeyId=a_key["id"]).KeyMetadata.Alias == a_key["alias"]
    assert b_key not in kms_a.list_all_key_ids()
    assert_code(lambda: kms_a.DescribeKey(KeyId=b_key), NOT_FOUND)
