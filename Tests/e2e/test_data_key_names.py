"""DataKeyName and Description (docs/DATA_KEYS.md "Fields"), in a FIPS and an SM region: names are
1–60 characters of A-Z a-z 0-9 _ -, the first a letter or digit, unique per account and region among
existing data keys (PendingDelete ones included) -- DataKeyNameAlreadyExists on GenerateDataKey,
ImportDataKey and UpdateDataKeyName alike -- while another region or account may use the same name;
descriptions at most 100 bytes without control characters; both updates show in DescribeDataKey."""

import os

import pytest

from data_key_support import (  # noqa: F401  (fixtures)
    INVALID_NAME, INVALID_VALUE, MISSING, NAME_EXISTS, cmk_a, dk_a, dks, hosted, imported, unique_name,
)
from e2e_support import FIPS_REGION, FIPS_REGION_2, SM_REGION, assert_code, assert_codes

BAD_NAMES = {
    "61 characters": "n" * 61,
    "space": "has space",
    "leading hyphen": "-leading",
    "leading underscore": "_leading",
    "dot": "a.b",
    "slash": "a/b",
    "colon": "a:b",
    "CJK": "数据密钥",
    "accented": "clé",
    "tab": "a\tb",
    "newline": "a\nb",
    "percent": "a%20b",
    "quote": "a'b",
}


def test_name_rules_on_generate_import_and_update(dk_a, cmk_a):
    data_key_id = hosted(dk_a, cmk_a).DataKeyId
    cases = []
    for label, name in BAD_NAMES.items():
        cases += [
            (f"GenerateDataKey: {label}", lambda n=name: hosted(dk_a, cmk_a, name=n), INVALID_NAME),
            (f"ImportDataKey: {label}", lambda n=name: imported(dk_a, os.urandom(16), cmk_a, name=n), INVALID_NAME),
            (f"UpdateDataKeyName: {label}",
             lambda n=name: dk_a.UpdateDataKeyName(DataKeyId=data_key_id, DataKeyName=n), INVALID_NAME),
        ]
    # NUL is refused before the name rule, for every string parameter: InvalidParameterValue
    cases += [
        ("GenerateDataKey: NUL", lambda: hosted(dk_a, cmk_a, name="a\u0000b"), INVALID_VALUE + "*"),
        ("UpdateDataKeyName: NUL",
         lambda: dk_a.UpdateDataKeyName(DataKeyId=data_key_id, DataKeyName="a\u0000b"), INVALID_VALUE + "*"),
        ("GenerateDataKey: empty", lambda: hosted(dk_a, cmk_a, name=""), MISSING),
        ("GenerateDataKey: absent",
         lambda: dk_a.GenerateDataKey(KeyId=cmk_a, KeySpec="AES_256", IsHostedByKms=1), MISSING),
        ("ImportDataKey: empty", lambda: imported(dk_a, os.urandom(16), cmk_a, name=""), MISSING),
        ("UpdateDataKeyName: empty",
         lambda: dk_a.UpdateDataKeyName(DataKeyId=data_key_id, DataKeyName=""), MISSING),
        ("UpdateDataKeyName: absent", lambda: dk_a.call("UpdateDataKeyName", DataKeyId=data_key_id), MISSING),
    ]
    assert_codes(cases)
    assert dk_a.ListDataKeyDetail(KeyId=cmk_a).TotalCount == 1, "a refused name stored a data key"


def test_names_that_follow_the_rule_are_accepted(dk_a, cmk_a):
    token = unique_name("")[1:9]
    for name in ("x" + token[:1], "7" + token, "A" * 52 + token, f"Mixed_Case-{token}_09"):
        assert len(name) <= 60
        data_key_id = hosted(dk_a, cmk_a, name=name).DataKeyId
        assert dk_a.meta(data_key_id).DataKeyName == name


def test_name_taken_in_the_same_account_and_region(dk_a, cmk_a):
    taken = unique_name("taken")
    pending = unique_name("pending")
    first = hosted(dk_a, cmk_a, name=taken).DataKeyId
    scheduled = hosted(dk_a, cmk_a, name=pending).DataKeyId
    dk_a.ScheduleDataKeyDeletion(DataKeyId=scheduled, PendingWindowInDays=7)
    other_cmk = dk_a.new_cmk()
    second = hosted(dk_a, cmk_a).DataKeyId
    assert_codes([
        ("GenerateDataKey", lambda: hosted(dk_a, cmk_a, name=taken), NAME_EXISTS),
        ("GenerateDataKey under another CMK", lambda: hosted(dk_a, other_cmk, name=taken), NAME_EXISTS),
        ("ImportDataKey", lambda: imported(dk_a, os.urandom(32), cmk_a, name=taken), NAME_EXISTS),
        ("UpdateDataKeyName", lambda: dk_a.UpdateDataKeyName(DataKeyId=second, DataKeyName=taken), NAME_EXISTS),
        ("the name of a PendingDelete key", lambda: hosted(dk_a, cmk_a, name=pending), NAME_EXISTS),
        ("renaming to a PendingDelete key's name",
         lambda: dk_a.UpdateDataKeyName(DataKeyId=second, DataKeyName=pending), NAME_EXISTS),
    ])
    assert dk_a.meta(first).DataKeyName == taken
    # renaming frees the old name
    dk_a.UpdateDataKeyName(DataKeyId=first, DataKeyName=unique_name("moved"))
    hosted(dk_a, cmk_a, name=taken)
    # renaming a key to its own name is no conflict
    dk_a.UpdateDataKeyName(DataKeyId=second, DataKeyName=dk_a.meta(second).DataKeyName)


def test_same_name_in_another_region_and_another_account(dks, account_a, account_b):
    name = unique_name("shared")
    for account, region in ((account_a, FIPS_REGION), (account_a, FIPS_REGION_2), (account_a, SM_REGION),
                            (account_b, FIPS_REGION), (account_b, SM_REGION)):
        dk = dks(account, region)
        data_key_id = hosted(dk, dk.new_cmk(), name=name).DataKeyId
        assert dk.meta(data_key_id).DataKeyName == name


def test_update_name_and_description_show_in_describe(dk_a, cmk_a):
    data_key_id = hosted(dk_a, cmk_a, Description="first").DataKeyId
    name = unique_name("renamed")
    dk_a.UpdateDataKeyName(DataKeyId=data_key_id, DataKeyName=name)
    dk_a.UpdateDataKeyDescription(DataKeyId=data_key_id, Description="数据密钥 second")
    meta = dk_a.meta(data_key_id)
    assert (meta.DataKeyName, meta.Description) == (name, "数据密钥 second")
    dk_a.UpdateDataKeyDescription(DataKeyId=data_key_id, Description="")
    assert dk_a.meta(data_key_id).Description == ""
    [listed] = dk_a.ListDataKeyDetail(SearchKeyAlias=name).DataKeyMetadatas
    assert listed.DataKeyId == data_key_id


def test_description_limits(dk_a, cmk_a):
    data_key_id = hosted(dk_a, cmk_a, Description="d" * 100).DataKeyId
    assert dk_a.meta(data_key_id).Description == "d" * 100
    assert hosted(dk_a, cmk_a, Description="密" * 33).DataKeyId          # 99 bytes
    bad = {"101 bytes": "d" * 101, "102 bytes in 34 CJK characters": "密" * 34, "newline": "a\nb",
           "NUL": "a\u0000b", "escape": "a\u001bb", "DEL": "a\u007fb"}
    cases = []
    for label, text in bad.items():
        cases += [
            (f"GenerateDataKey: {label}", lambda t=text: hosted(dk_a, cmk_a, Description=t), INVALID_VALUE),
            (f"ImportDataKey: {label}", lambda t=text: imported(dk_a, os.urandom(8), cmk_a, Description=t),
             INVALID_VALUE),
            (f"UpdateDataKeyDescription: {label}",
             lambda t=text: dk_a.UpdateDataKeyDescription(DataKeyId=data_key_id, Description=t), INVALID_VALUE),
        ]
    cases.append(("UpdateDataKeyDescription: absent",
                  lambda: dk_a.call("UpdateDataKeyDescription", DataKeyId=data_key_id), MISSING))
    assert_codes(cases)
    assert dk_a.meta(data_key_id).Description == "d" * 100
