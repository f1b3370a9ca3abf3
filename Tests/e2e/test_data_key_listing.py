"""ListDataKeys and ListDataKeyDetail (docs/DATA_KEYS.md "The actions"), each test in a brand-new
account: paging (Offset, Limit 1–200, default 10), TotalCount, newest first, every state listed,
Role 1 empty; every ListDataKeyDetail filter (KeyState 0–3, OrderType, SearchKeyAlias on id and name,
Origin, KeyId, DataKeyLen, TagFilters) and the refusals of bad values; HsmClusterId and
MemberAccount(s) (no HSM clusters, no trusted-service admins here)."""

import os
import time

import pytest

from data_key_support import (  # noqa: F401  (fixtures)
    BATCH_ACTIONS, CMK_NOT_FOUND, INVALID_HSM, INVALID_VALUE, MISSING, PER_KEY_ACTIONS, dks, hosted, imported,
    per_key_params, unique_name,
)

NOT_ROLE = "UnsupportedOperation.NotRoleOperation"
from e2e_support import FIPS_REGION, SM_REGION, assert_code, assert_codes, b64


def wait_next_second():
    time.sleep(1.02 - (time.time() % 1.0))


@pytest.fixture
def fresh(dks, make_account):
    """A brand-new account's data keys in the FIPS region and a CMK of it."""
    dk = dks(make_account("dk-list"), FIPS_REGION)
    return dk, dk.new_cmk()


def all_ids(dk, **filters):
    ids, offset = [], 0
    while True:
        page = dk.ListDataKeys(Offset=offset, Limit=3, **filters)
        got = [k.DataKeyId for k in page.DataKeys or []]
        ids += got
        offset += len(got)
        if not got:
            return ids, page.TotalCount


def test_list_data_keys_pages_newest_first_with_total_count(fresh):
    dk, cmk = fresh
    assert dk.ListDataKeys().TotalCount == 0
    created = []
    for _ in range(3):          # three creation seconds, oldest first
        created.append(hosted(dk, cmk).DataKeyId)
        wait_next_second()
    created += [hosted(dk, cmk).DataKeyId for _ in range(9)]   # 12 in all
    ids, total = all_ids(dk)
    assert total == 12 and sorted(ids) == sorted(created) and len(set(ids)) == 12
    assert ids[-3:] == created[2::-1], "the three oldest keys are not last, newest first"
    default_page = dk.ListDataKeys()
    assert len(default_page.DataKeys) == 10 and default_page.TotalCount == 12, "default Limit is not 10"
    assert len(dk.ListDataKeys(Limit=200).DataKeys) == 12
    beyond = dk.ListDataKeys(Offset=12, Limit=5)
    assert not beyond.DataKeys and beyond.TotalCount == 12


def test_every_state_is_listed(fresh):
    dk, cmk = fresh
    enabled, disabled, pending = (hosted(dk, cmk).DataKeyId for _ in range(3))
    dk.DisableDataKey(DataKeyId=disabled)
    dk.ScheduleDataKeyDeletion(DataKeyId=pending, PendingWindowInDays=7)
    ids, total = all_ids(dk)
    assert total == 3 and set(ids) == {enabled, disabled, pending}


def test_list_bounds_and_role(fresh):
    dk, cmk = fresh
    hosted(dk, cmk)
    for action in ("ListDataKeys", "ListDataKeyDetail"):
        other = dk.call(action, Role=1)
        assert other["TotalCount"] == 0 and not other.get(
            "DataKeys" if action == "ListDataKeys" else "DataKeyMetadatas"), f"{action} Role=1 is not empty"
        assert dk.call(action, Role=0)["TotalCount"] == 1
        assert_codes([
            (f"{action} Limit 0", lambda a=action: dk.call(a, Limit=0), INVALID_VALUE),
            (f"{action} Limit 201", lambda a=action: dk.call(a, Limit=201), INVALID_VALUE),
            (f"{action} Offset -1", lambda a=action: dk.call(a, Offset=-1), INVALID_VALUE),
            (f"{action} Role 2", lambda a=action: dk.call(a, Role=2), INVALID_VALUE),
            (f"{action} HsmClusterId", lambda a=action: dk.call(a, HsmClusterId="cluster-1"), INVALID_HSM),
        ])
        assert dk.call(action, HsmClusterId="")["TotalCount"] == 1


def detail_ids(dk, **filters):
    resp = dk.ListDataKeyDetail(Limit=200, **filters)
    ids = [m.DataKeyId for m in resp.DataKeyMetadatas or []]
    assert resp.TotalCount == len(ids), f"TotalCount {resp.TotalCount} for {len(ids)} keys ({filters})"
    return ids


def test_list_data_key_detail_filters(fresh):
    dk, cmk = fresh
    other_cmk = dk.new_cmk()
    names = {k: unique_name(k) for k in ("alpha", "beta", "gamma", "delta", "epsilon")}
    alpha = hosted(dk, cmk, name=names["alpha"], KeySpec="AES_128",
                   Tags=[{"TagKey": "team", "TagValue": "red"}]).DataKeyId
    wait_next_second()
    beta = hosted(dk, cmk, name=names["beta"], NumberOfBytes=32, Tags=[{"TagKey": "team", "TagValue": "blue"}]).DataKeyId
    gamma = imported(dk, os.urandom(32), other_cmk, name=names["gamma"],
                     Tags=[{"TagKey": "env", "TagValue": "prod"}]).DataKeyId
    wait_next_second()
    delta = hosted(dk, other_cmk, name=names["delta"], NumberOfBytes=64).DataKeyId
    epsilon = imported(dk, dk.kms.GenerateDataKey(KeyId=cmk, KeySpec="AES_128").CiphertextBlob,
                       name=names["epsilon"], import_type=1).DataKeyId
    dk.DisableDataKey(DataKeyId=beta)
    dk.ScheduleDataKeyDeletion(DataKeyId=delta, PendingWindowInDays=7)
    every = {alpha, beta, gamma, delta, epsilon}

    assert set(detail_ids(dk)) == every
    assert set(detail_ids(dk, KeyState=0)) == every
    assert set(detail_ids(dk, KeyState=1)) == {alpha, gamma, epsilon}
    assert detail_ids(dk, KeyState=2) == [beta]
    assert detail_ids(dk, KeyState=3) == [delta]

    newest = detail_ids(dk, OrderType=0)
    oldest = detail_ids(dk, OrderType=1)
    assert newest[-1] == alpha and oldest[0] == alpha, "alpha (the oldest) is not last newest-first / first oldest-first"
    assert set(newest[:2]) == {delta, epsilon} and set(oldest[-2:]) == {delta, epsilon}
    assert detail_ids(dk) == newest, "the default order is not newest first"

    assert detail_ids(dk, SearchKeyAlias=names["beta"]) == [beta]
    assert detail_ids(dk, SearchKeyAlias=names["beta"][3:12]) == [beta], "a substring of the name"
    assert detail_ids(dk, SearchKeyAlias=gamma) == [gamma]
    assert detail_ids(dk, SearchKeyAlias=gamma[9:23]) == [gamma], "a substring of the id"
    assert detail_ids(dk, SearchKeyAlias="no-such-name") == []

    assert set(detail_ids(dk, Origin="TENCENT_KMS")) == {alpha, beta, delta}
    assert set(detail_ids(dk, Origin="EXTERNAL")) == {gamma, epsilon}
    assert set(detail_ids(dk, Origin="ALL")) == every
    assert set(detail_ids(dk, Origin="")) == every

    assert set(detail_ids(dk, KeyId=cmk)) == {alpha, beta, epsilon}
    assert set(detail_ids(dk, KeyId=other_cmk)) == {gamma, delta}
    assert detail_ids(dk, KeyId=dk.new_cmk()) == []

    assert set(detail_ids(dk, DataKeyLen=16)) == {alpha, epsilon}
    assert set(detail_ids(dk, DataKeyLen=32)) == {beta, gamma}
    assert detail_ids(dk, DataKeyLen=64) == [delta]
    assert detail_ids(dk, DataKeyLen=1024) == []

    assert detail_ids(dk, TagFilters=[{"TagKey": "team", "TagValue": ["red"]}]) == [alpha]
    assert set(detail_ids(dk, TagFilters=[{"TagKey": "team"}])) == {alpha, beta}
    assert set(detail_ids(dk, TagFilters=[{"TagKey": "team", "TagValue": ["red", "blue"]}])) == {alpha, beta}
    assert detail_ids(dk, TagFilters=[{"TagKey": "env", "TagValue": ["prod"]}]) == [gamma]
    assert detail_ids(dk, TagFilters=[{"TagKey": "team", "TagValue": ["green"]}]) == []

    # filters combine
    assert detail_ids(dk, KeyId=cmk, KeyState=1, Origin="TENCENT_KMS") == [alpha]
    page = dk.ListDataKeyDetail(Limit=2, Offset=1, OrderType=1)
    assert [m.DataKeyId for m in page.DataKeyMetadatas] == oldest[1:3] and page.TotalCount == 5


def test_list_data_key_detail_refuses_bad_values(fresh):
    dk, cmk = fresh
    hosted(dk, cmk)
    assert_codes([
        ("KeyState 4", lambda: dk.ListDataKeyDetail(KeyState=4), INVALID_VALUE),
        ("KeyState -1", lambda: dk.call("ListDataKeyDetail", KeyState=-1), INVALID_VALUE),
        ("OrderType 2", lambda: dk.ListDataKeyDetail(OrderType=2), INVALID_VALUE),
        ("Origin lower case", lambda: dk.ListDataKeyDetail(Origin="external"), INVALID_VALUE),
        ("Origin unknown", lambda: dk.ListDataKeyDetail(Origin="BYOK"), INVALID_VALUE),
        ("DataKeyLen 0", lambda: dk.ListDataKeyDetail(DataKeyLen=0), INVALID_VALUE),
        ("DataKeyLen 1025", lambda: dk.ListDataKeyDetail(DataKeyLen=1025), INVALID_VALUE),
        ("unknown KeyId", lambda: dk.ListDataKeyDetail(KeyId="00000000-0000-4000-8000-000000000000"), CMK_NOT_FOUND),
        ("TagFilters without a key", lambda: dk.ListDataKeyDetail(TagFilters=[{"TagValue": ["x"]}]), MISSING),
    ])


def test_member_accounts_are_not_role_operations(fresh):
    dk, cmk = fresh
    data_key_id = hosted(dk, cmk).DataKeyId
    member = {"MemberAppId": 1250000000, "MemberUin": 100000000001}
    cases = []
    for action in PER_KEY_ACTIONS:
        if action == "GetDataKeyPlaintext":   # it has no MemberAccount
            continue
        cases.append((action, lambda a=action: getattr(dk, a)(**per_key_params(a, data_key_id), MemberAccount=member),
                      NOT_ROLE))
    for action in BATCH_ACTIONS:
        cases.append((action, lambda a=action: getattr(dk, a)(DataKeyIds=[data_key_id], MemberAccount=member),
                      NOT_ROLE))
    cases.append(("ListDataKeyDetail", lambda: dk.ListDataKeyDetail(MemberAccounts=[member]), NOT_ROLE))
    assert_codes(cases)
    meta = dk.meta(data_key_id)
    assert meta.KeyState == "Enabled" and meta.DeletionDate == 0, "a refused request changed the data key"
    # empty members are no members (what the SDK sends for an empty model)
    assert dk.DescribeDataKey(DataKeyId=data_key_id, MemberAccount={}).DataKeyMetadata.DataKeyId == data_key_id


def test_hsm_cluster_id_on_generate_and_import(fresh):
    dk, cmk = fresh
    assert_codes([
        ("GenerateDataKey", lambda: hosted(dk, cmk, HsmClusterId="cls-1"), INVALID_HSM),
        ("ImportDataKey", lambda: imported(dk, os.urandom(8), cmk, HsmClusterId="cls-1"), INVALID_HSM),
    ])
    assert dk.ListDataKeys().TotalCount == 0
    assert hosted(dk, cmk, HsmClusterId="").DataKeyId
