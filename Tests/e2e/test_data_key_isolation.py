"""Data keys belong to one account and one region (docs/DATA_KEYS.md "What a data key is here"):
another account in the same region and the same account in another region (of either profile) get
ResourceUnavailable.DataKeyNotFound from every per-key and batch action -- exactly as for an id that
never existed -- never see the key listed, and cannot reach it through its CMK or its blob."""

import os

import pytest

from data_key_support import (  # noqa: F401  (fixtures)
    BATCH_ACTIONS, CMK_NOT_FOUND, NOT_FOUND, PER_KEY_ACTIONS, cmk_a, dk_a, dks, hosted, imported, per_key_params,
)
from e2e_support import FIPS_REGION, FIPS_REGION_2, SM_REGION, assert_code, assert_codes, unb64


def outsiders(dks, dk, account_b):
    """Who must not see ``dk``'s data keys: label -> DataKeys."""
    others = {"account B, same region": dks(account_b, dk.region)}
    for region in (FIPS_REGION, FIPS_REGION_2, SM_REGION):
        if region != dk.region:
            others[f"account A, {region}"] = dks(dk.account, region)
    return others


def test_other_accounts_and_regions_get_data_key_not_found(dks, dk_a, cmk_a, account_b):
    resp = hosted(dk_a, cmk_a, Description="A's only")
    data_key_id = resp.DataKeyId
    name = dk_a.meta(data_key_id).DataKeyName
    cases = []
    for label, other in outsiders(dks, dk_a, account_b).items():
        for action in PER_KEY_ACTIONS:
            cases.append((f"{label}: {action}",
                          lambda o=other, a=action: getattr(o, a)(**per_key_params(a, data_key_id)), NOT_FOUND))
        for action in BATCH_ACTIONS:
            cases.append((f"{label}: {action}",
                          lambda o=other, a=action: getattr(o, a)(DataKeyIds=[data_key_id]), NOT_FOUND))
    assert_codes(cases)
    meta = dk_a.meta(data_key_id)
    assert (meta.KeyState, meta.DataKeyName, meta.Description, meta.DeletionDate) == \
        ("Enabled", name, "A's only", 0), "an outsider's refused request changed the data key"
    assert dk_a.plaintext(data_key_id) == unb64(resp.Plaintext)


def test_other_accounts_and_regions_never_list_it(dks, dk_a, cmk_a, account_b):
    data_key_id = hosted(dk_a, cmk_a).DataKeyId
    name = dk_a.meta(data_key_id).DataKeyName
    for label, other in outsiders(dks, dk_a, account_b).items():
        listed = [k.DataKeyId for k in other.ListDataKeys(Limit=200).DataKeys or []]
        assert data_key_id not in listed, f"{label} lists it"
        for search in (data_key_id, name):
            found = other.ListDataKeyDetail(SearchKeyAlias=search)
            assert found.TotalCount == 0 and not found.DataKeyMetadatas, f"{label} finds it by {search}"
        assert_code(lambda o=other: o.ListDataKeyDetail(KeyId=cmk_a), CMK_NOT_FOUND)


def test_outsiders_cannot_reach_it_through_the_cmk_or_the_blob(dks, dk_a, cmk_a, account_b):
    data_key_id = hosted(dk_a, cmk_a).DataKeyId
    blob = dk_a.blob(data_key_id)
    cases = []
    for label, other in outsiders(dks, dk_a, account_b).items():
        cases += [
            (f"{label}: hosted GenerateDataKey under A's CMK", lambda o=other: hosted(o, cmk_a), CMK_NOT_FOUND),
            (f"{label}: ImportDataKey under A's CMK", lambda o=other: imported(o, os.urandom(16), cmk_a),
             CMK_NOT_FOUND),
        ]
    b = dks(account_b, dk_a.region)
    cases += [
        ("account B: Decrypt of the blob", lambda: b.kms.decrypt(blob), CMK_NOT_FOUND),
        ("account B: ImportDataKey of the blob", lambda: imported(b, blob, import_type=1), CMK_NOT_FOUND),
    ]
    assert_codes(cases)


def test_a_foreign_id_is_indistinguishable_from_a_missing_one(dks, dk_a, cmk_a, account_b):
    data_key_id = hosted(dk_a, cmk_a).DataKeyId
    b = dks(account_b, dk_a.region)
    _, foreign = assert_code(lambda: b.DescribeDataKey(DataKeyId=data_key_id), NOT_FOUND)
    missing_id = "0" * 8 + data_key_id[8:]
    _, missing = assert_code(lambda: b.DescribeDataKey(DataKeyId=missing_id), NOT_FOUND)
    assert foreign.replace(data_key_id, "<id>") == missing.replace(missing_id, "<id>")
