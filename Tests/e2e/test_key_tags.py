"""CreateKey.Tags and ListKeyDetail.TagFilters over the official SDK, hand-signed v1 form requests
and tccli, in both profiles' regions: tags stored with the key, filters (every filter must match, a
filter's values are alternatives, no values = any value), Tencent's limits and error codes, and
another account (or region) seeing nothing of them."""

import json
import uuid

import pytest

from e2e_support import FIPS_REGION, SM_REGION, assert_code, assert_codes, ok, owner_psql, unique_alias
from tccli_support import tccli_service


def tags(*pairs):
    return [{"TagKey": k, "TagValue": v} for k, v in pairs]


def tag_filter(key, values=None):
    f = {"TagKey": key}
    if values is not None:
        f["TagValue"] = values
    return f


def listed(kms, filters, **fields):
    """The KeyIds ListKeyDetail lists under ``filters`` (every state and usage), and its TotalCount."""
    fields.setdefault("Limit", 200)
    resp = kms.ListKeyDetail(TagFilters=filters, KeyUsage="ALL", **fields)
    return {k.KeyId for k in (resp.KeyMetadatas or [])}, resp.TotalCount


@pytest.fixture
def label():
    """A tag value no other test uses, so filters see only this test's keys."""
    return "run-" + uuid.uuid4().hex[:12]


def test_tags_are_stored_with_the_key_and_answered_with_tag_code_0(kms_a, kms_env, account_a, region, label):
    created = kms_a.new_key(Tags=tags(("env", label), ("团队", "支付 平台【一】"), ("a+-=._:/@()[],;><", "x")))
    assert created.TagCode == 0 and created.TagMsg == "ok"
    assert created.KeyState == "Enabled" and created.KeyUsage == "ENCRYPT_DECRYPT"
    untagged = kms_a.new_key()
    assert untagged.TagCode == 0
    stored = owner_psql(kms_env.home, "SET kms.maintenance = 'on'; SELECT string_agg(tag_key || '=' || tag_value, ',' ORDER BY tag_key) "
                                      f"FROM key_tags WHERE key_id = '{created.KeyId}' AND app_id = {account_a.app_id} "
                                      f"AND region = '{region}'")
    assert stored == "a+-=._:/@()[],;><=x,env=" + label + ",团队=支付 平台【一】"


def test_every_filter_must_match_and_a_filters_values_are_alternatives(kms_a, label):
    other = label + "-other"
    dev_pay = kms_a.new_key_id(Tags=tags(("env", label), ("team", "pay")))
    other_pay = kms_a.new_key_id(Tags=tags(("env", other), ("team", "pay")))
    dev_ops = kms_a.new_key_id(Tags=tags(("env", label), ("team", "ops")))
    assert listed(kms_a, [tag_filter("env", [label])]) == ({dev_pay, dev_ops}, 2)
    assert listed(kms_a, [tag_filter("env", [label, other])]) == ({dev_pay, other_pay, dev_ops}, 3)
    assert listed(kms_a, [tag_filter("env", [label]), tag_filter("team", ["pay"])]) == ({dev_pay}, 1)
    assert listed(kms_a, [tag_filter("env", [label]), tag_filter("team", ["nobody"])]) == (set(), 0)
    # No values (absent or empty): the key must hold the tag, with any value.
    with_env = listed(kms_a, [tag_filter("env")])[0]
    assert {dev_pay, other_pay, dev_ops} <= with_env
    assert listed(kms_a, [tag_filter("env", [])])[0] == with_env
    # Values are compared exactly (case-sensitive), a tag no key has lists nothing.
    assert listed(kms_a, [tag_filter("env", [label.upper()])]) == (set(), 0)
    assert listed(kms_a, [tag_filter("no-such-tag-" + label)]) == (set(), 0)
    # Paging: TotalCount counts every match, the page holds Limit of them.
    page, total = listed(kms_a, [tag_filter("env", [label])], Limit=1)
    assert len(page) == 1 and total == 2
    past, total = listed(kms_a, [tag_filter("env", [label])], Offset=10)
    assert past == set() and total == 2


def test_filters_combine_with_the_other_list_filters(kms_a, label):
    enabled = kms_a.new_key_id(Tags=tags(("env", label)))
    disabled = kms_a.new_key_id(Tags=tags(("env", label)))
    kms_a.DisableKey(KeyId=disabled)
    assert listed(kms_a, [tag_filter("env", [label])], KeyState=1) == ({enabled}, 1)
    assert listed(kms_a, [tag_filter("env", [label])], KeyState=2) == ({disabled}, 1)
    alias = kms_a.DescribeKey(KeyId=enabled).KeyMetadata.Alias
    assert listed(kms_a, [tag_filter("env", [label])], SearchKeyAlias=alias) == ({enabled}, 1)
    # ListKeyDetail without KeyUsage lists ENCRYPT_DECRYPT keys, tag filters or not.
    resp = kms_a.ListKeyDetail(TagFilters=[tag_filter("env", [label])], Limit=200)
    assert {k.KeyId for k in resp.KeyMetadatas} == {enabled, disabled}


def test_another_account_or_region_sees_none_of_the_tags(client, account_a, account_b, label):
    a_fips, b_fips = client(account_a, FIPS_REGION), client(account_b, FIPS_REGION)
    a_sm = client(account_a, SM_REGION)
    a_key = a_fips.new_key_id(Tags=tags(("env", label)))
    assert listed(b_fips, [tag_filter("env", [label])]) == (set(), 0)
    assert listed(a_sm, [tag_filter("env", [label])]) == (set(), 0)
    b_key = b_fips.new_key_id(Tags=tags(("env", label)))
    assert listed(a_fips, [tag_filter("env", [label])]) == ({a_key}, 1)
    assert listed(b_fips, [tag_filter("env", [label])]) == ({b_key}, 1)


def test_each_broken_tag_rule_has_its_code_and_creates_nothing(kms_a, label):
    def create(tag_list):
        return lambda: kms_a.new_key(alias=alias, Tags=tag_list)

    alias = unique_alias("tagerr")
    fifty = tags(*[(f"k{i}", label) for i in range(50)])
    assert_codes([
        ("same TagKey twice", create(tags(("env", "a"), ("env", "b"))), "InvalidParameterValue.TagKeysDuplicated"),
        ("empty TagValue", create(tags(("env", ""))), "InvalidParameterValue.TagsNotExisted"),
        ("empty TagKey", create(tags(("", "dev"))), "InvalidParameterValue.TagsNotExisted"),
        ("no TagValue", create([{"TagKey": "env"}]), "InvalidParameterValue.TagsNotExisted"),
        ("51 tags", create(fifty + tags(("k50", "v"))), "InvalidParameter"),
        ("TagKey of 128", create(tags(("k" * 128, "v"))), "InvalidParameter"),
        ("TagValue of 256", create(tags(("k", "v" * 256))), "InvalidParameter"),
        ("reserved qcs:", create(tags(("qcs:env", "v"))), "InvalidParameter"),
        ("reserved project", create(tags(("Project", "v"))), "InvalidParameter"),
        ("reserved 项目", create(tags(("项目", "v"))), "InvalidParameter"),
        ("character *", create(tags(("a*b", "v"))), "InvalidParameter"),
        ("leading space", create(tags(("k", " v"))), "InvalidParameter"),
        ("emoji", create(tags(("k", "😀"))), "InvalidParameter"),
        ("unknown member", lambda: kms_a.call("CreateKey", Alias=alias, Tags=[{"TagKey": "k", "TagValue": "v", "X": "y"}]),
         "UnknownParameter"),
        ("TagValue a number", lambda: kms_a.call("CreateKey", Alias=alias, Tags=[{"TagKey": "k", "TagValue": 1}]),
         "InvalidParameter"),
        ("Tags not a list", lambda: kms_a.call("CreateKey", Alias=alias, Tags={"TagKey": "k", "TagValue": "v"}),
         "InvalidParameter"),
    ])
    # Nothing was half-made: the alias is free, and exactly 50 tags, at their longest, are fine.
    created = kms_a.new_key(alias=alias, Tags=fifty)
    assert created.TagCode == 0
    longest = kms_a.new_key(Tags=tags(("键" * 127, "值" * 255)))
    assert listed(kms_a, [tag_filter("键" * 127, ["值" * 255])])[0] >= {longest.KeyId}


def test_each_broken_filter_has_its_code(kms_a):
    def filters(f):
        return lambda: kms_a.ListKeyDetail(TagFilters=f)

    assert_codes([
        ("no TagKey", lambda: kms_a.call("ListKeyDetail", TagFilters=[{"TagValue": ["v"]}]), "MissingParameter"),
        ("empty TagKey", filters([tag_filter("", ["v"])]), "InvalidParameter"),
        ("TagKey of 128", filters([tag_filter("k" * 128)]), "InvalidParameter"),
        ("empty value", filters([tag_filter("k", [""])]), "InvalidParameter"),
        ("11 values", filters([tag_filter("k", [f"v{i}" for i in range(11)])]), "InvalidParameter"),
        ("51 filters", filters([tag_filter(f"k{i}") for i in range(51)]), "InvalidParameter"),
        ("TagValue a string", lambda: kms_a.call("ListKeyDetail", TagFilters=[{"TagKey": "k", "TagValue": "v"}]), "InvalidParameter"),
        ("unknown member", lambda: kms_a.call("ListKeyDetail", TagFilters=[{"TagKey": "k", "Y": 1}]), "UnknownParameter"),
    ])
    # Fifty filters are fine (a tag no key holds lists nothing).
    assert listed(kms_a, [tag_filter(f"k{i}") for i in range(49)] + [tag_filter("no-such-tag")]) == (set(), 0)


def test_v1_form_requests_carry_tags_and_filters(raw, account_a, region, label):
    created = ok(raw.v1(account_a, "CreateKey", {"Alias": unique_alias("v1tag"), "Tags": tags(("env", label), ("team", "pay"))},
                        region=region))
    assert created["TagCode"] == 0
    found = ok(raw.v1(account_a, "ListKeyDetail", {"TagFilters": [tag_filter("env", [label]), tag_filter("team")]},
                      region=region))
    assert [k["KeyId"] for k in found["KeyMetadatas"]] == [created["KeyId"]]
    assert_code(raw.v1(account_a, "CreateKey", {"Alias": unique_alias("v1tag"), "Tags": tags(("env", "a"), ("env", "b"))},
                       region=region), "InvalidParameterValue.TagKeysDuplicated")


def test_tccli_creates_tagged_keys_and_filters_them(kms_env, account_a, tmp_path, label):
    kms = tccli_service(kms_env, account_a, tmp_path, "kms")
    for region in (FIPS_REGION, SM_REGION):
        created = kms("CreateKey", "--region", region, "--Alias", unique_alias("cli"), "--Tags", json.dumps(tags(("env", label))))
        assert created["TagCode"] == 0
        listed = kms("ListKeyDetail", "--region", region, "--TagFilters", json.dumps([tag_filter("env", [label])]))
        assert [k["KeyId"] for k in listed["KeyMetadatas"]] == [created["KeyId"]]
        said = kms("CreateKey", "--region", region, "--Alias", unique_alias("cli"),
                   "--Tags", json.dumps(tags(("env", "a"), ("env", "b"))), fails=True)
        assert "InvalidParameterValue.TagKeysDuplicated" in said, said


ASYMMETRIC_USAGE = {FIPS_REGION: "ASYMMETRIC_SIGN_VERIFY_ECC", SM_REGION: "ASYMMETRIC_SIGN_VERIFY_SM2"}


def test_asymmetric_keys_carry_tags_and_are_filtered_under_their_usage(kms_a, region, label):
    usage = ASYMMETRIC_USAGE[region]
    signing = kms_a.new_key(KeyUsage=usage, Tags=tags(("env", label)))
    assert signing.TagCode == 0 and signing.KeyUsage == usage
    symmetric = kms_a.new_key_id(Tags=tags(("env", label)))
    assert listed(kms_a, [tag_filter("env", [label])]) == ({signing.KeyId, symmetric}, 2)
    by_usage = kms_a.ListKeyDetail(TagFilters=[tag_filter("env", [label])], KeyUsage=usage)
    assert [k.KeyId for k in by_usage.KeyMetadatas] == [signing.KeyId]
    # Without KeyUsage only ENCRYPT_DECRYPT keys are listed (Tencent), tags or not.
    default = kms_a.ListKeyDetail(TagFilters=[tag_filter("env", [label])])
    assert [k.KeyId for k in default.KeyMetadatas] == [symmetric]
