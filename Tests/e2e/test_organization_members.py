"""Tenant accounts over HTTP (issue 14): the operator's credential creates, lists and disables
tenant accounts with Tencent's Organization API (2021-03-31), through the official SDK and tccli.
A disabled tenant's credentials are refused within a second, its keys are kept, and `kmsctl
account enable` brings it back. Nobody else may call these actions, and the operator cannot call
KMS. Bad input gets Tencent's codes.
"""

import json
import os
import subprocess
import time
import uuid

import pytest

from e2e_support import FIPS_REGION, Account, Kms, assert_code, run_ctl
from organization_support import FINANCIAL, Organization, accounts, demo_account, operator_account
from test_readme_walkthrough import tccli_dir  # noqa: F401  (a tccli that trusts the stack's CA)


@pytest.fixture(scope="module")
def operator(kms_env):
    return operator_account(kms_env)


@pytest.fixture(scope="module")
def org(kms_env, operator):
    return Organization(operator, kms_env.endpoint)


def tenant_credential(kms_env, uin, name):
    """A root credential for the tenant account ``uin`` (kmsctl, until CAM's CreateAccessKey)."""
    app_id = accounts(kms_env)[int(uin)]["AppId"]
    data = json.loads(run_ctl(kms_env.repo, ["credential", "create", "--app-id", str(app_id), "--json"]).strip())
    return Account.from_ctl(name, data)


def refused_within(deadline_seconds, attempt):
    """Calls ``attempt()`` until it raises AuthFailure.SecretIdNotFound; the seconds that took."""
    start = time.monotonic()
    while True:
        try:
            attempt()
        except Exception as exc:  # noqa: BLE001 -- the SDK's exception; its code is checked
            assert_code(exc, "AuthFailure.SecretIdNotFound")
            return time.monotonic() - start
        assert time.monotonic() - start < deadline_seconds, f"still accepted after {deadline_seconds} s"
        time.sleep(0.05)


def test_a_member_is_created_listed_and_seen_by_kmsctl(kms_env, org):
    uin, name = org.new_member("made")
    assert 100_000_000_000 <= uin <= 199_999_999_999
    member = org.member(uin)
    assert (member.Name, member.MemberType, member.PermissionStatus, member.NodeId) == (name, "Create", "Confirmed", 1)
    by_name = org.DescribeOrganizationMembers(Offset=0, Limit=50, SearchKey=name)
    assert [m.MemberUin for m in by_name.Items] == [uin] and by_name.Total == 1
    row = accounts(kms_env)[uin]
    assert (row["Name"], row["Kind"], row["Enabled"]) == (name, "tenant", True)
    # No credential yet: the first comes from CAM's CreateAccessKey (TargetUin), or kmsctl.
    listed = run_ctl(kms_env.repo, ["credential", "list", "--app-id", str(row["AppId"]), "--json"])
    assert json.loads(listed.strip().splitlines()[-1]) == []


def test_the_listing_pages_and_counts_every_tenant_but_not_the_operator(kms_env, org, operator):
    for i in range(3):
        org.new_member(f"page{i}")
    tenants = [row for row in accounts(kms_env).values() if row["Kind"] == "tenant"]
    first = org.DescribeOrganizationMembers(Offset=0, Limit=2)
    assert first.Total == len(tenants) and len(first.Items) == 2
    seen = []
    for offset in range(0, first.Total, 2):
        seen += [m.MemberUin for m in org.DescribeOrganizationMembers(Offset=offset, Limit=2).Items]
    assert sorted(seen) == sorted(row["Uin"] for row in tenants)
    assert int(operator.uin) not in seen
    past = org.DescribeOrganizationMembers(Offset=first.Total + 10, Limit=2)
    assert (past.Items, past.Total) == ([], first.Total)
    assert org.DescribeOrganizationMembers(Offset=0, Limit=5, SearchKey="no-such-member-" + uuid.uuid4().hex).Total == 0


def test_a_disabled_member_is_refused_within_a_second_keeps_its_keys_and_comes_back_with_kmsctl(kms_env, org, make_account):
    uin, name = org.new_member("off")
    tenant = Kms(tenant_credential(kms_env, uin, name), FIPS_REGION, kms_env.endpoint)
    key = tenant.new_key_id(Description="kept while disabled")
    blob = tenant.encrypt(key, b"kept")
    bystander = Kms(make_account("bystander"), FIPS_REGION, kms_env.endpoint)
    bystander.GetServiceStatus()

    org.DeleteOrganizationMembers(MemberUin=[uin])
    took = refused_within(1.0, lambda: tenant.encrypt(key, os.urandom(8)))
    assert took < 1.0
    assert org.member(uin).PermissionStatus == "UnConfirmed"
    assert accounts(kms_env)[uin]["Enabled"] is False
    bystander.GetServiceStatus()  # other accounts are untouched
    # Disabling again is not an error; nothing was deleted.
    org.DeleteOrganizationMembers(MemberUin=[uin])

    run_ctl(kms_env.repo, ["account", "enable", "--app-id", str(accounts(kms_env)[uin]["AppId"])])
    deadline = time.monotonic() + 1.0
    while True:
        try:
            assert tenant.decrypt(blob) == b"kept"
            break
        except Exception:  # noqa: BLE001
            assert time.monotonic() < deadline, "still refused a second after `kmsctl account enable`"
            time.sleep(0.05)
    assert tenant.state(key) == "Enabled"
    assert org.member(uin).PermissionStatus == "Confirmed"


def test_deleting_members_is_all_or_nothing(kms_env, org, operator):
    kept, _ = org.new_member("kept")
    assert_code(lambda: org.DeleteOrganizationMembers(MemberUin=[kept, 199_999_999_998]), "ResourceNotFound.OrganizationMemberNotExist")
    assert org.member(kept).PermissionStatus == "Confirmed"
    # The operator is no member: it cannot disable itself over the API.
    assert_code(lambda: org.DeleteOrganizationMembers(MemberUin=[int(operator.uin)]), "ResourceNotFound.OrganizationMemberNotExist")
    assert accounts(kms_env)[int(operator.uin)]["Enabled"] is True


def test_tccli_creates_and_lists_a_member(kms_env, operator, tccli_dir, tmp_path):  # noqa: F811
    name = f"e2e-tccli-{uuid.uuid4().hex[:6]}"
    env = {**os.environ, "HOME": str(tmp_path), "PATH": tccli_dir + os.pathsep + os.environ["PATH"]}
    common = ["--endpoint", kms_env.https_endpoint, "--secretId", operator.secret_id, "--secretKey", operator.secret_key]

    def tccli(*args):
        proc = subprocess.run(["tccli", "organization", *args, *common], capture_output=True, text=True, env=env, timeout=120)
        assert proc.returncode == 0, f"tccli {args}: {proc.stdout}\n{proc.stderr}"
        return json.loads(proc.stdout)

    uin = tccli("CreateOrganizationMember", "--Name", name, "--AccountName", name, "--PolicyType", "Financial",
                "--PermissionIds", "[1,2]", "--NodeId", "1")["Uin"]
    listed = tccli("DescribeOrganizationMembers", "--Offset", "0", "--Limit", "10", "--SearchKey", name)
    assert [(m["MemberUin"], m["Name"], m["PermissionStatus"]) for m in listed["Items"]] == [(uin, name, "Confirmed")]
    assert tccli("DescribeOrganization")["RootNodeId"] == 1


@pytest.mark.parametrize("who", ["tenant", "demo", "member"])
def test_only_the_operator_may_call_organization_actions(kms_env, org, make_account, who):
    if who == "tenant":
        caller = make_account("not-operator")
    elif who == "demo":
        caller = demo_account(kms_env)
    else:
        uin, name = org.new_member("caller")
        caller = tenant_credential(kms_env, uin, name)
    other = Organization(caller, kms_env.endpoint)
    target, _ = org.new_member("target")
    name = f"e2e-refused-{uuid.uuid4().hex[:6]}"
    assert_code(lambda: other.CreateOrganizationMember(Name=name, AccountName=name, **FINANCIAL), "AuthFailure.UnauthorizedOperation")
    assert_code(lambda: other.DescribeOrganizationMembers(Offset=0, Limit=10), "AuthFailure.UnauthorizedOperation")
    assert_code(lambda: other.DeleteOrganizationMembers(MemberUin=[target]), "AuthFailure.UnauthorizedOperation")
    assert_code(lambda: other.DescribeOrganization(), "AuthFailure.UnauthorizedOperation")
    assert name not in {row["Name"] for row in accounts(kms_env).values()}
    assert org.member(target).PermissionStatus == "Confirmed"


def test_the_operator_cannot_call_kms(kms_env, operator, make_account):
    as_operator = Kms(operator, FIPS_REGION, kms_env.endpoint)
    tenant = Kms(make_account("keys"), FIPS_REGION, kms_env.endpoint)
    key = tenant.new_key_id()
    assert_code(lambda: as_operator.GetServiceStatus(), "UnauthorizedOperation")
    assert_code(lambda: as_operator.ListKeys(), "UnauthorizedOperation")
    assert_code(lambda: as_operator.CreateKey(Alias="operator-key"), "UnauthorizedOperation")
    assert_code(lambda: as_operator.Encrypt(KeyId=key, Plaintext="aGk="), "UnauthorizedOperation")


def test_a_member_name_is_taken_once(org):
    _, name = org.new_member("twice")
    assert_code(lambda: org.CreateOrganizationMember(Name=name, AccountName=name, **FINANCIAL),
                "FailedOperation.OrganizationMemberNameUsed")


GOOD = {"Name": "e2e-bad-input", "AccountName": "e2e-bad-input", **FINANCIAL}


@pytest.mark.parametrize("change, code", [
    ({"Name": ""}, "InvalidParameterValue"),
    ({"Name": "x" * 26}, "InvalidParameterValue"),
    ({"Name": "has space"}, "InvalidParameterValue"),
    ({"Name": "semi;colon"}, "InvalidParameterValue"),
    ({"AccountName": "bad/name"}, "InvalidParameterValue"),
    ({"PolicyType": "Technical"}, "InvalidParameterValue"),
    ({"PermissionIds": [7]}, "InvalidParameterValue"),
    ({"PermissionIds": [1, 2, 11]}, "InvalidParameterValue"),
    ({"PermissionIds": ["1", "2"]}, "InvalidParameter"),
    ({"NodeId": 2}, "ResourceNotFound.OrganizationNodeNotExist"),
    ({"AccountName": None}, "MissingParameter"),
    ({"NodeId": None}, "MissingParameter"),
    ({"RecordId": 12}, "UnsupportedOperation"),
    ({"PayUin": "100000000001"}, "UnsupportedOperation"),
    ({"Nonsense": 1}, "UnknownParameter"),
], ids=lambda value: json.dumps(value) if isinstance(value, dict) else value)
def test_bad_create_input_gets_tencent_codes_and_creates_nothing(kms_env, org, change, code):
    params = {k: v for k, v in {**GOOD, **change}.items() if v is not None}
    before = len(accounts(kms_env))
    assert_code(lambda: org.call("CreateOrganizationMember", **params), code)
    assert len(accounts(kms_env)) == before


@pytest.mark.parametrize("action, params, code", [
    ("DescribeOrganizationMembers", {"Offset": 0, "Limit": 0}, "InvalidParameterValue"),
    ("DescribeOrganizationMembers", {"Offset": 0, "Limit": 51}, "InvalidParameterValue"),
    ("DescribeOrganizationMembers", {"Offset": -1, "Limit": 10}, "InvalidParameterValue"),
    ("DescribeOrganizationMembers", {"Offset": 0, "Limit": 10, "NodeId": 3}, "ResourceNotFound.OrganizationNodeNotExist"),
    ("DescribeOrganizationMembers", {"Offset": "zero", "Limit": 10}, "InvalidParameter"),
    ("DeleteOrganizationMembers", {"MemberUin": []}, "InvalidParameterValue"),
    ("DeleteOrganizationMembers", {}, "MissingParameter"),
    ("DeleteOrganizationMembers", {"MemberUin": ["abc"]}, "InvalidParameter"),
    ("DeleteOrganizationMembers", {"MemberUin": list(range(100_000_000_000, 100_000_000_101))}, "InvalidParameterValue"),
    ("DeleteOrganizationMembers", {"MemberUin": [1]}, "ResourceNotFound.OrganizationMemberNotExist"),
])
def test_bad_list_and_delete_input_gets_tencent_codes(org, action, params, code):
    assert_code(lambda: org.call(action, **params), code)


def test_organization_actions_do_not_exist_under_the_kms_version(kms_env, make_account):
    as_kms = Kms(make_account("kms-version"), FIPS_REGION, kms_env.endpoint)
    assert_code(lambda: as_kms.call("DescribeOrganizationMembers", Offset=0, Limit=10), "InvalidAction")


def test_the_one_node_is_the_root_that_create_names(org):
    nodes = org.DescribeOrganizationNodes(Limit=10, Offset=0)
    assert nodes.Total == 1 and [(n.NodeId, n.ParentNodeId) for n in nodes.Items] == [(1, 0)]
    assert org.DescribeOrganization().RootNodeId == nodes.Items[0].NodeId
    assert org.DescribeOrganizationNodes(Limit=10, Offset=1).Items == []
    assert_code(lambda: org.DescribeOrganizationNodes(Limit=51, Offset=0), "InvalidParameterValue")
