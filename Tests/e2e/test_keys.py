"""Key lifecycle and metadata: CreateKey, DescribeKey(s), ListKeys, ListKeyDetail, EnableKey,
DisableKey, UpdateAlias, UpdateKeyDescription -- in a FIPS and in the SM region."""

import time

import pytest

from e2e_support import (
    FIPS_REGION, FIPS_REGION_2, KEY_ACTIONS, PROFILE_OF, SM_REGION, UUID_RE, assert_code, assert_codes,
    key_action_params, now, random_key_id, unique_alias,
)

NOT_FOUND = "ResourceUnavailable.CmkNotFound"
STATE_NOT_SUPPORTED = "ResourceUnavailable.CmkStateNotSupport"


# ------------------------------------------------------------------------------------------------
# CreateKey / DescribeKey
# ------------------------------------------------------------------------------------------------

def test_create_key_returns_enabled_symmetric_key(kms_a):
    alias = unique_alias()
    resp = kms_a.CreateKey(Alias=alias, Description="first key")
    assert UUID_RE.match(resp.KeyId), f"KeyId {resp.KeyId!r} is not a lower-case UUID"
    assert resp.Alias == alias
    assert resp.Description == "first key"
    assert resp.KeyState == "Enabled"
    assert resp.KeyUsage == "ENCRYPT_DECRYPT"
    assert isinstance(resp.CreateTime, int) and abs(resp.CreateTime - now()) < 600, resp.CreateTime


def test_describe_key_returns_complete_metadata(kms_a, account_a, region):
    alias = unique_alias()
    key_id = kms_a.CreateKey(Alias=alias, Description="described", KeyUsage="ENCRYPT_DECRYPT",
                             Type=1).KeyId
    meta = kms_a.DescribeKey(KeyId=key_id).KeyMetadata
    assert meta.KeyId == key_id
    assert meta.Alias == alias
    assert meta.Description == "described"
    assert meta.KeyState == "Enabled"
    assert meta.KeyUsage == "ENCRYPT_DECRYPT"
    assert meta.Type == PROFILE_OF[region].key_type
    assert meta.Origin == "TENCENT_KMS"
    assert str(meta.CreatorUin) == account_a.uin
    assert meta.KeyRotationEnabled is False
    assert meta.Owner == "user"
    assert meta.NextRotateTime == 0
    assert meta.DeletionDate == 0
    assert meta.ValidTo == 0
    assert isinstance(meta.ResourceId, str) and meta.ResourceId
    assert isinstance(meta.CreateTime, int) and abs(meta.CreateTime - now()) < 600


def test_external_key_starts_pending_import(kms_a, region):
    resp = kms_a.new_key(Type=2)
    assert resp.KeyState == "PendingImport"
    meta = kms_a.DescribeKey(KeyId=resp.KeyId).KeyMetadata
    assert meta.KeyState == "PendingImport"
    assert meta.Origin == "EXTERNAL"
    assert meta.Type == PROFILE_OF[region].key_type


def test_create_key_requires_alias(fips_a):
    assert_code(lambda: fips_a.call("CreateKey", Description="no alias"), "MissingParameter")


def test_create_key_rejects_malformed_alias(fips_a):
    bad = ["-leading-dash", "_leading_underscore", "x" * 61, "has space", "dot.ted", "slash/ed", "中文别名"]
    cases = [(repr(a), lambda a=a: fips_a.CreateKey(Alias=a), "InvalidParameterValue*") for a in bad]
    cases.append(("empty", lambda: fips_a.CreateKey(Alias=""), ("InvalidParameterValue*", "MissingParameter")))
    assert_codes(cases)


def test_create_key_accepts_alias_edge_cases(client, make_account):
    kms = client(make_account("alias"), FIPS_REGION)
    for alias in ("q", "7", "Z" * 60, "Mixed_Case-09"):
        assert kms.CreateKey(Alias=alias).Alias == alias


def test_create_key_rejects_reserved_kms_prefix(fips_a):
    assert_code(lambda: fips_a.CreateKey(Alias="kms-" + unique_alias()), "InvalidParameterValue.InvalidAlias")


def test_update_alias_rejects_reserved_kms_prefix(fips_a):
    key_id = fips_a.new_key_id()
    assert_code(lambda: fips_a.UpdateAlias(KeyId=key_id, Alias="kms-" + unique_alias()),
                "InvalidParameterValue.InvalidAlias")


def test_create_key_rejects_duplicate_alias_in_same_region(fips_a):
    alias = unique_alias()
    fips_a.CreateKey(Alias=alias)
    assert_code(lambda: fips_a.CreateKey(Alias=alias), "InvalidParameterValue.AliasAlreadyExists")


def test_same_alias_is_allowed_in_every_other_region(client, account_a):
    alias = unique_alias()
    ids = {client(account_a, r).CreateKey(Alias=alias).KeyId for r in (FIPS_REGION, FIPS_REGION_2, SM_REGION)}
    assert len(ids) == 3


def test_update_alias_to_an_alias_in_use_fails(fips_a):
    taken = unique_alias()
    fips_a.CreateKey(Alias=taken)
    key_id = fips_a.new_key_id()
    assert_code(lambda: fips_a.UpdateAlias(KeyId=key_id, Alias=taken), "InvalidParameterValue.AliasAlreadyExists")


def test_update_alias_renames_key_and_frees_old_alias(fips_a):
    old, new = unique_alias(), unique_alias()
    key_id = fips_a.CreateKey(Alias=old).KeyId
    fips_a.UpdateAlias(KeyId=key_id, Alias=new)
    assert fips_a.DescribeKey(KeyId=key_id).KeyMetadata.Alias == new
    assert fips_a.CreateKey(Alias=old).KeyId != key_id


def test_update_alias_rejects_malformed_alias(fips_a):
    key_id = fips_a.new_key_id()
    assert_code(lambda: fips_a.UpdateAlias(KeyId=key_id, Alias="bad alias!"), "InvalidParameterValue*")


def test_create_key_accepts_description_up_to_1024_bytes(fips_a):
    for description in ("d" * 1024, "中" * 341):  # 1024 bytes; 1023 bytes of UTF-8
        key_id = fips_a.new_key_id(Description=description)
        assert fips_a.DescribeKey(KeyId=key_id).KeyMetadata.Description == description


def test_create_key_rejects_description_over_1024_bytes(fips_a):
    assert_codes([
        ("1025 ASCII bytes", lambda: fips_a.new_key(Description="d" * 1025), "InvalidParameterValue*"),
        # 342 characters, but 1026 bytes: the limit counts UTF-8 bytes
        ("1026 UTF-8 bytes", lambda: fips_a.new_key(Description="中" * 342), "InvalidParameterValue*"),
    ])


def test_description_with_unicode_and_symbols_round_trips(fips_a):
    text = "描述 with spaces & symbols <>\"'\\ + = % 😀"
    key_id = fips_a.new_key_id(Description=text)
    assert fips_a.DescribeKey(KeyId=key_id).KeyMetadata.Description == text


def test_update_key_description_changes_description(kms_a, key_a):
    kms_a.UpdateKeyDescription(KeyId=key_a, Description="changed ✓")
    assert kms_a.DescribeKey(KeyId=key_a).KeyMetadata.Description == "changed ✓"


def test_update_key_description_rejects_more_than_1024_bytes(fips_a):
    key_id = fips_a.new_key_id()
    assert_code(lambda: fips_a.UpdateKeyDescription(KeyId=key_id, Description="d" * 1025),
                "InvalidParameterValue*")


def test_create_key_rejects_unknown_key_usage(fips_a):
    assert_codes((u, lambda u=u: fips_a.new_key(KeyUsage=u), "InvalidParameterValue.InvalidKeyUsage")
                 for u in ("NOT_A_USAGE", "ASYMMETRIC_SIGN_VERIFY_RSA_3072", "asymmetric_sign_verify_ecc"))


def test_create_key_rejects_unknown_type(fips_a):
    assert_codes((f"Type={t}", lambda t=t: fips_a.new_key(Type=t), "InvalidParameterValue*") for t in (0, 3, 4))


# ------------------------------------------------------------------------------------------------
# Enable / Disable
# ------------------------------------------------------------------------------------------------

def test_disable_then_enable_key_round_trips_state(kms_a, key_a):
    kms_a.DisableKey(KeyId=key_a)
    assert kms_a.state(key_a) == "Disabled"
    kms_a.EnableKey(KeyId=key_a)
    assert kms_a.state(key_a) == "Enabled"


def test_disable_already_disabled_key_is_a_no_op(fips_a):
    key_id = fips_a.new_key_id()
    fips_a.DisableKey(KeyId=key_id)
    fips_a.DisableKey(KeyId=key_id)
    assert fips_a.state(key_id) == "Disabled"


def test_enable_already_enabled_key_is_a_no_op(fips_a):
    key_id = fips_a.new_key_id()
    fips_a.EnableKey(KeyId=key_id)
    assert fips_a.state(key_id) == "Enabled"


def test_enable_or_disable_pending_import_key_fails(fips_a):
    key_id = fips_a.new_key_id(Type=2)
    assert_codes([
        ("EnableKey", lambda: fips_a.EnableKey(KeyId=key_id), STATE_NOT_SUPPORTED),
        ("DisableKey", lambda: fips_a.DisableKey(KeyId=key_id), STATE_NOT_SUPPORTED),
    ])
    assert fips_a.state(key_id) == "PendingImport"


# ------------------------------------------------------------------------------------------------
# unknown / malformed / other-region key ids
# ------------------------------------------------------------------------------------------------

def test_unknown_key_id_is_cmk_not_found(fips_a):
    assert_codes((action, lambda action=action: fips_a.call(action, **key_action_params(action, random_key_id())),
                  NOT_FOUND) for action in KEY_ACTIONS)


def test_malformed_key_id_is_rejected(fips_a):
    malformed = ["not-a-uuid", "' OR '1'='1", random_key_id() + "x", "../" * 12]
    assert_codes((repr(k), lambda k=k: fips_a.DescribeKey(KeyId=k), "InvalidParameterValue.InvalidKeyId")
                 for k in malformed)


@pytest.mark.parametrize("other_region", [FIPS_REGION_2, SM_REGION], ids=["fips-beijing", "sm"])
def test_key_is_invisible_from_other_regions(client, account_a, other_region):
    home = client(account_a, FIPS_REGION)
    key_id = home.new_key_id(Description="home region only")
    away = client(account_a, other_region)
    for action in KEY_ACTIONS:
        assert_code(lambda: away.call(action, **key_action_params(action, key_id)), NOT_FOUND)
    assert key_id not in away.list_all_key_ids()
    meta = home.DescribeKey(KeyId=key_id).KeyMetadata
    assert (meta.KeyState, meta.Description) == ("Enabled", "home region only")


# ------------------------------------------------------------------------------------------------
# listing: a fresh account with three keys of known states, created a second apart
# ------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def catalogue(client, make_account):
    """Fresh account in the FIPS region with (in creation order) an Enabled key, a Disabled key and
    a PendingImport key, each created at a distinct CreateTime second."""
    account = make_account("catalogue")
    kms = client(account, FIPS_REGION)
    tag = unique_alias("cat")
    keys = {}
    for name, fields in (("enabled", {}), ("disabled", {}), ("external", {"Type": 2})):
        if keys:
            time.sleep(1.1)
        keys[name] = kms.CreateKey(Alias=f"{name}-{tag}", Description=name, **fields).KeyId
    kms.DisableKey(KeyId=keys["disabled"])
    return {"account": account, "kms": kms, "keys": keys, "tag": tag}


def _ids(metadatas):
    return [m.KeyId for m in (metadatas or [])]


def test_list_keys_returns_enabled_disabled_and_pending_import_keys(catalogue):
    resp = catalogue["kms"].ListKeys()
    assert resp.TotalCount == 3
    assert sorted(k.KeyId for k in resp.Keys) == sorted(catalogue["keys"].values())


def test_list_keys_pages_with_offset_and_limit(catalogue):
    kms = catalogue["kms"]
    seen = []
    for offset in (0, 2):
        resp = kms.ListKeys(Offset=offset, Limit=2)
        assert resp.TotalCount == 3
        seen += [k.KeyId for k in resp.Keys]
    assert sorted(seen) == sorted(catalogue["keys"].values())
    beyond = kms.ListKeys(Offset=3, Limit=2)
    assert beyond.TotalCount == 3 and not beyond.Keys


def test_list_keys_default_limit_is_ten(client, make_account):
    kms = client(make_account("paging"), FIPS_REGION)
    created = {kms.new_key_id() for _ in range(11)}
    first = kms.ListKeys()
    assert first.TotalCount == 11 and len(first.Keys) == 10
    rest = kms.ListKeys(Offset=10)
    assert {k.KeyId for k in first.Keys} | {k.KeyId for k in rest.Keys} == created
    assert len(kms.ListKeys(Limit=200).Keys) == 11


def test_list_keys_rejects_out_of_range_paging(fips_a):
    assert_codes((repr(p), lambda p=p: fips_a.ListKeys(**p), "InvalidParameterValue*")
                 for p in ({"Limit": 0}, {"Limit": 201}, {"Offset": -1}))


def test_list_keys_only_shows_keys_of_the_region(catalogue, client):
    for other in (FIPS_REGION_2, SM_REGION):
        resp = client(catalogue["account"], other).ListKeys()
        assert resp.TotalCount == 0 and not resp.Keys


def test_describe_keys_returns_existing_and_omits_unknown(catalogue):
    keys = catalogue["keys"]
    wanted = [keys["enabled"], random_key_id(), keys["disabled"], keys["external"], random_key_id()]
    metas = catalogue["kms"].DescribeKeys(KeyIds=wanted).KeyMetadatas
    assert sorted(_ids(metas)) == sorted(keys.values())
    by_id = {m.KeyId: m for m in metas}
    assert by_id[keys["disabled"]].KeyState == "Disabled"
    assert by_id[keys["external"]].Origin == "EXTERNAL"


def test_describe_keys_accepts_one_hundred_ids(catalogue):
    ids = [catalogue["keys"]["enabled"]] + [random_key_id() for _ in range(99)]
    assert _ids(catalogue["kms"].DescribeKeys(KeyIds=ids).KeyMetadatas) == [catalogue["keys"]["enabled"]]


def test_describe_keys_rejects_wrong_number_of_ids(fips_a):
    assert_codes([
        ("0 ids", lambda: fips_a.DescribeKeys(KeyIds=[]), "InvalidParameterValue*"),
        ("101 ids", lambda: fips_a.DescribeKeys(KeyIds=[random_key_id() for _ in range(101)]),
         "InvalidParameterValue*"),
        ("no KeyIds", lambda: fips_a.call("DescribeKeys"), "MissingParameter"),
    ])


def _check_filter(catalogue, cases):
    """cases: [(ListKeyDetail fields, [catalogue key names expected])]; checks KeyIds and TotalCount
    of every case and reports all mismatches together."""
    names = {v: k for k, v in catalogue["keys"].items()}
    problems = []
    for fields, expected in cases:
        resp = catalogue["kms"].ListKeyDetail(**fields)
        got = sorted(names.get(i, i) for i in _ids(resp.KeyMetadatas))
        if got != sorted(expected) or resp.TotalCount != len(expected):
            problems.append(f"{fields}: got {got} (TotalCount {resp.TotalCount}), want {sorted(expected)}")
    assert not problems, "\n".join(problems)


ALL3 = ["enabled", "disabled", "external"]


def test_list_key_detail_filters_by_key_state(catalogue):
    _check_filter(catalogue, [
        ({"KeyState": 0}, ALL3),
        ({"KeyState": 1}, ["enabled"]),
        ({"KeyState": 2}, ["disabled"]),
        ({"KeyState": 3}, []),
        ({"KeyState": 4}, ["external"]),
        ({"KeyState": 5}, []),
    ])


def test_list_key_detail_filters_by_origin(catalogue):
    _check_filter(catalogue, [
        ({"Origin": "TENCENT_KMS"}, ["enabled", "disabled"]),
        ({"Origin": "EXTERNAL"}, ["external"]),
        ({"Origin": "ALL"}, ALL3),
        ({"Origin": ""}, ALL3),
        ({"Origin": "EXTERNAL", "KeyState": 1}, []),
    ])


def test_list_key_detail_filters_by_key_usage_and_role(catalogue):
    _check_filter(catalogue, [
        ({"KeyUsage": "ENCRYPT_DECRYPT"}, ALL3),
        ({"KeyUsage": "ALL"}, ALL3),
        ({"KeyUsage": "ASYMMETRIC_DECRYPT_RSA_2048"}, []),
        ({"Role": 0}, ALL3),
    ])


def test_list_key_detail_searches_alias_substring(catalogue):
    resp = catalogue["kms"].ListKeyDetail(SearchKeyAlias="disabled-" + catalogue["tag"][:8])
    assert _ids(resp.KeyMetadatas) == [catalogue["keys"]["disabled"]]
    everything = catalogue["kms"].ListKeyDetail(SearchKeyAlias=catalogue["tag"])
    assert everything.TotalCount == 3


def test_list_key_detail_searches_key_id_substring(catalogue):
    key_id = catalogue["keys"]["external"]
    resp = catalogue["kms"].ListKeyDetail(SearchKeyAlias=key_id[9:23])
    assert _ids(resp.KeyMetadatas) == [key_id]


def test_list_key_detail_search_without_match_is_empty(catalogue):
    resp = catalogue["kms"].ListKeyDetail(SearchKeyAlias="no-such-alias-anywhere")
    assert resp.TotalCount == 0 and not resp.KeyMetadatas


def test_list_key_detail_orders_by_create_time(catalogue):
    keys, kms = catalogue["keys"], catalogue["kms"]
    newest_first = [keys["external"], keys["disabled"], keys["enabled"]]
    assert _ids(kms.ListKeyDetail().KeyMetadatas) == newest_first  # default OrderType 0
    assert _ids(kms.ListKeyDetail(OrderType=0).KeyMetadatas) == newest_first
    assert _ids(kms.ListKeyDetail(OrderType=1).KeyMetadatas) == newest_first[::-1]


def test_list_key_detail_pages_and_counts_before_paging(catalogue):
    resp = catalogue["kms"].ListKeyDetail(Offset=1, Limit=1, OrderType=1)
    assert resp.TotalCount == 3
    assert _ids(resp.KeyMetadatas) == [catalogue["keys"]["disabled"]]


def test_list_key_detail_rejects_out_of_range_paging(catalogue):
    kms = catalogue["kms"]
    assert_codes((repr(p), lambda p=p: kms.ListKeyDetail(**p), "InvalidParameterValue*")
                 for p in ({"Limit": 0}, {"Limit": 201}, {"Offset": -1}))


def test_list_key_detail_metadata_matches_describe_key(catalogue):
    kms = catalogue["kms"]
    for meta in kms.ListKeyDetail(Role=0).KeyMetadatas:
        described = kms.DescribeKey(KeyId=meta.KeyId).KeyMetadata
        assert meta.to_json_string(sort_keys=True) == described.to_json_string(sort_keys=True)
        assert str(meta.CreatorUin) == catalogue["account"].uin
