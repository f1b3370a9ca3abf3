"""Tenant isolation: account B never sees, uses or changes account A's keys (FIPS and SM region)."""

import pytest

from e2e_support import (
    KEY_ACTIONS, assert_code, key_action_params, random_key_id, unique_alias,
)

NOT_FOUND = "ResourceUnavailable.CmkNotFound"
FOREIGN_BLOB = ("InvalidParameterValue.InvalidCiphertext", NOT_FOUND)
CONTEXT = '{"owner":"a"}'


@pytest.fixture
def a_key(kms_a):
    """One of A's keys in the parametrised region, with a blob encrypted under it."""
    alias = unique_alias("a-owned")
    key_id = kms_a.CreateKey(Alias=alias, Description="belongs to A").KeyId
    blob = kms_a.encrypt(key_id, b"A's secret", CONTEXT)
    plain_blob = kms_a.encrypt(key_id, b"A's other secret")
    return {"id": key_id, "alias": alias, "blob": blob, "plain_blob": plain_blob}


def _attack(kms_b, key_id):
    """B tries every key action on key_id; each must answer CmkNotFound."""
    for action in KEY_ACTIONS:
        assert_code(lambda: kms_b.call(action, **key_action_params(action, key_id)), NOT_FOUND)


@pytest.mark.parametrize("action", list(KEY_ACTIONS))
def test_other_account_cannot_use_key(kms_b, a_key, action):
    assert_code(lambda: kms_b.call(action, **key_action_params(action, a_key["id"])), NOT_FOUND)


def test_other_account_cannot_decrypt_blob(kms_b, a_key):
    assert_code(lambda: kms_b.decrypt(a_key["blob"], CONTEXT), FOREIGN_BLOB)
    assert_code(lambda: kms_b.decrypt(a_key["plain_blob"]), FOREIGN_BLOB)


def test_foreign_key_is_indistinguishable_from_missing_key(kms_b, a_key):
    missing = random_key_id()
    for action in ("DescribeKey", "Encrypt"):
        code_a, msg_a = assert_code(lambda: kms_b.call(action, **key_action_params(action, a_key["id"])), NOT_FOUND)
        code_m, msg_m = assert_code(lambda: kms_b.call(action, **key_action_params(action, missing)), NOT_FOUND)
        assert msg_a.replace(a_key["id"], "<id>") == msg_m.replace(missing, "<id>")


def test_other_account_never_lists_foreign_keys(kms_b, a_key):
    assert a_key["id"] not in kms_b.list_all_key_ids()
    for search in (a_key["alias"], a_key["id"]):
        detail = kms_b.ListKeyDetail(SearchKeyAlias=search, Limit=200)
        assert detail.TotalCount == 0 and not detail.KeyMetadatas
    everything = kms_b.ListKeyDetail(Limit=200, KeyState=0)
    assert a_key["id"] not in [m.KeyId for m in (everything.KeyMetadatas or [])]
    assert not kms_b.DescribeKeys(KeyIds=[a_key["id"]]).KeyMetadatas


def test_other_account_may_reuse_alias(kms_a, kms_b, a_key):
    b_key = kms_b.CreateKey(Alias=a_key["alias"]).KeyId
    assert b_key != a_key["id"]
    assert kms_b.DescribeKey(KeyId=b_key).KeyMetadata.Alias == a_key["alias"]
    assert kms_a.DescribeKey(KeyId=a_key["id"]).KeyMetadata.Alias == a_key["alias"]
    assert b_key not in kms_a.list_all_key_ids()


def test_owner_key_unchanged_after_foreign_attempts(kms_a, kms_b, a_key):
    before = kms_a.DescribeKey(KeyId=a_key["id"]).KeyMetadata.to_json_string(sort_keys=True)
    _attack(kms_b, a_key["id"])
    assert_code(lambda: kms_b.decrypt(a_key["blob"], CONTEXT), FOREIGN_BLOB)
    after = kms_a.DescribeKey(KeyId=a_key["id"]).KeyMetadata
    assert after.to_json_string(sort_keys=True) == before
    assert (after.KeyState, after.Alias, after.Description) == ("Enabled", a_key["alias"], "belongs to A")
    assert kms_a.decrypt(a_key["blob"], CONTEXT) == b"A's secret"
    assert a_key["id"] in kms_a.list_all_key_ids()
