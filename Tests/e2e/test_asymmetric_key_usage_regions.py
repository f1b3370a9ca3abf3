"""Asymmetric KeyUsages and regions (SPEC §9): every KeyUsage Tencent documents is created in its
profile's region (RSA and the NIST curves in FIPS regions, SM2 in SM regions) and refused in the
other with `UnsupportedOperation.UnsupportedKeyUsageInCurrentRegion`; DescribeKey, DescribeKeys and
ListKeyDetail show it; ListKeyDetail's KeyUsage filter ("ALL", one usage, and the documented
default: no KeyUsage lists ENCRYPT_DECRYPT keys only); ListAlgorithms lists, per region, exactly
the usages that region creates."""

import pytest

from asymmetric_support import USAGES, new_asymmetric_key, usage_ids
from e2e_support import (
    FIPS_REGION, FIPS_REGION_2, PROFILE_OF, SM_REGION, assert_code, assert_codes, unique_alias,
)

UNSUPPORTED_HERE = "UnsupportedOperation.UnsupportedKeyUsageInCurrentRegion"


def listed(kms, **filters):
    """KeyIds of every key ListKeyDetail lists with ``filters`` (one page of 200 is plenty here)."""
    resp = kms.ListKeyDetail(Limit=200, **filters)
    ids = [k.KeyId for k in resp.KeyMetadatas or []]
    assert resp.TotalCount == len(ids), f"TotalCount {resp.TotalCount} but {len(ids)} listed"
    return ids


@pytest.mark.parametrize("usage", list(USAGES.values()), ids=usage_ids)
def test_each_asymmetric_usage_is_created_in_its_profile_region_and_refused_in_the_other(
        client, make_account, usage):
    account = make_account("asym-region")
    kms = client(account, usage.region)
    alias = unique_alias("asym")
    created = kms.CreateKey(Alias=alias, KeyUsage=usage.key_usage, Description=f"a {usage.key_usage} key")
    assert (created.KeyUsage, created.KeyState, created.Alias) == (usage.key_usage, "Enabled", alias)

    meta = kms.DescribeKey(KeyId=created.KeyId).KeyMetadata
    assert meta.KeyUsage == usage.key_usage
    assert meta.KeyState == "Enabled"
    assert meta.Origin == "TENCENT_KMS"
    assert meta.Type == PROFILE_OF[usage.region].key_type
    assert meta.KeyRotationEnabled is False
    assert meta.ResourceId == f"creatorUin/{account.uin}/{created.KeyId}"
    [described] = kms.DescribeKeys(KeyIds=[created.KeyId]).KeyMetadatas
    assert described.KeyUsage == usage.key_usage

    # The other profile's region refuses the usage and creates nothing, not even the alias.
    other = client(account, usage.other_region)
    assert_code(lambda: other.CreateKey(Alias=alias, KeyUsage=usage.key_usage), UNSUPPORTED_HERE)
    assert listed(other, KeyUsage="ALL") == []
    assert_code(lambda: other.DescribeKey(KeyId=created.KeyId), "ResourceUnavailable.CmkNotFound")


def test_every_fips_region_offers_the_fips_usages(client, make_account):
    account = make_account("asym-beijing")
    kms = client(account, FIPS_REGION_2)
    for usage in USAGES.values():
        if usage.region == FIPS_REGION:
            assert kms.DescribeKey(KeyId=new_asymmetric_key(kms, usage.key_usage)).KeyMetadata.KeyUsage == usage.key_usage
        else:
            assert_code(lambda: kms.CreateKey(Alias=unique_alias(), KeyUsage=usage.key_usage), UNSUPPORTED_HERE)


def test_unknown_key_usages_are_refused(client, account_a, region):
    kms = client(account_a, region)
    cases = [(text, (lambda t=text: kms.CreateKey(Alias=unique_alias(), KeyUsage=t)), "InvalidParameterValue.InvalidKeyUsage")
             for text in ("ASYMMETRIC_SIGN_VERIFY", "asymmetric_sign_verify_ecc", "ASYMMETRIC_SIGN_VERIFY_ECC ",
                          "SIGN_VERIFY", "ALL")]
    assert_codes(cases)


@pytest.mark.parametrize("region_name", [FIPS_REGION, SM_REGION], ids=["fips", "sm"])
def test_list_key_detail_filters_on_key_usage_and_lists_symmetric_keys_by_default(client, make_account, region_name):
    kms = client(make_account("asym-list"), region_name)
    symmetric = kms.new_key_id()
    by_usage = {u.key_usage: new_asymmetric_key(kms, u.key_usage) for u in USAGES.values() if u.region == region_name}
    assert len(by_usage) >= 2

    # Tencent: "为空则默认筛选ENCRYPT_DECRYPT类型" -- without KeyUsage only symmetric keys are listed.
    assert listed(kms) == [symmetric]
    assert listed(kms, KeyUsage="ENCRYPT_DECRYPT") == [symmetric]
    assert [k["KeyId"] for k in kms.call("ListKeyDetail", KeyUsage="", Limit=200)["KeyMetadatas"]] == [symmetric]
    assert sorted(listed(kms, KeyUsage="ALL")) == sorted([symmetric, *by_usage.values()])
    # ListKeys has no KeyUsage (Tencent: every Enabled, Disabled and PendingImport CMK): all of them.
    assert sorted(kms.list_all_key_ids()) == sorted([symmetric, *by_usage.values()])
    for key_usage, key_id in by_usage.items():
        resp = kms.ListKeyDetail(Limit=200, KeyUsage=key_usage)
        assert [(k.KeyId, k.KeyUsage) for k in resp.KeyMetadatas] == [(key_id, key_usage)], key_usage
        assert resp.TotalCount == 1
    # The other profile's usages are valid names that simply match nothing here.
    for usage in USAGES.values():
        if usage.region != region_name:
            assert listed(kms, KeyUsage=usage.key_usage) == []
    # With the other filters: a disabled asymmetric key under KeyState 2 and KeyUsage ALL.
    some_key = next(iter(by_usage.values()))
    kms.DisableKey(KeyId=some_key)
    assert listed(kms, KeyUsage="ALL", KeyState=2) == [some_key]
    assert listed(kms, KeyState=2) == []   # still ENCRYPT_DECRYPT only by default
    # ListKeyDetail documents InvalidParameter; the value error of the KeyUsage family is as clear.
    assert_code(lambda: kms.ListKeyDetail(KeyUsage="SIGN"), ("InvalidParameter", "InvalidParameterValue.InvalidKeyUsage"))


EXPECTED_ALGORITHMS = {
    # (KeyUsage, Algorithm) per list; Algorithm names are those of Tencent's ListAlgorithms example.
    FIPS_REGION: {
        "SymmetricAlgorithms": {("ENCRYPT_DECRYPT", "AES_256")},
        "AsymmetricAlgorithms": {("ASYMMETRIC_DECRYPT_RSA_2048", "RSA_2048")},
        "AsymmetricSignVerifyAlgorithms": {("ASYMMETRIC_SIGN_VERIFY_RSA_2048", "RSA_2048"),
                                           ("ASYMMETRIC_SIGN_VERIFY_ECC", "ECC"),
                                           ("ASYMMETRIC_SIGN_VERIFY_ECDSA384", "ECDSA384_SHA384")},
    },
    SM_REGION: {
        "SymmetricAlgorithms": {("ENCRYPT_DECRYPT", "SM4")},
        "AsymmetricAlgorithms": {("ASYMMETRIC_DECRYPT_SM2", "SM2")},
        "AsymmetricSignVerifyAlgorithms": {("ASYMMETRIC_SIGN_VERIFY_SM2", "SM2")},
    },
}


@pytest.mark.parametrize("region_name", [FIPS_REGION, FIPS_REGION_2, SM_REGION], ids=["fips", "fips-2", "sm"])
def test_list_algorithms_lists_what_the_region_creates(client, make_account, region_name):
    kms = client(make_account("asym-algos"), region_name)
    resp = kms.ListAlgorithms()
    expected = EXPECTED_ALGORITHMS[SM_REGION if region_name == SM_REGION else FIPS_REGION]
    got = {field: {(a.KeyUsage, a.Algorithm) for a in getattr(resp, field) or []} for field in expected}
    assert got == expected
    for field in expected:
        assert len(getattr(resp, field)) == len(expected[field]), f"{field} lists an entry twice"
    # Every asymmetric usage listed is one CreateKey accepts here.
    for field in ("AsymmetricAlgorithms", "AsymmetricSignVerifyAlgorithms"):
        for key_usage, _ in got[field]:
            assert kms.DescribeKey(KeyId=new_asymmetric_key(kms, key_usage)).KeyMetadata.KeyUsage == key_usage
