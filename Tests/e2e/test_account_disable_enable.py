"""`kmsctl account disable|enable --app-id N` (issue 14): a whole account's credentials refused by
every responder within a second, and accepted again after `enable`, its keys untouched; the same
for the operator's account (its Organization calls refused, tenants untouched). Unknown AppIds are
a one-line failure. Organization calls are audited as the operator's requests.
"""

import json
import os
import time

from e2e_support import FIPS_REGION, Kms, assert_code, run_ctl
from kmsctl_support import assert_one_line_failure, ctl_run
from organization_support import Organization, accounts, operator_account


def wait_for(what, check, seconds=1.0):
    """``check()`` until it returns True; fails after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"{what} not within {seconds} s"
        time.sleep(0.05)


def refused(call):
    try:
        call()
    except Exception as exc:  # noqa: BLE001 -- the SDK's exception; its code is checked
        assert_code(exc, "AuthFailure.SecretIdNotFound")
        return True
    return False


def accepted(call):
    try:
        call()
        return True
    except Exception as exc:  # noqa: BLE001
        assert_code(exc, "AuthFailure.SecretIdNotFound")
        return False


def test_a_disabled_account_is_refused_within_a_second_and_enable_brings_it_back(kms_env, make_account, make_credential):
    account = make_account("ctl-off")
    second = make_credential(account)
    kms, kms2 = Kms(account, FIPS_REGION, kms_env.endpoint), Kms(second, FIPS_REGION, kms_env.endpoint)
    key = kms.new_key_id()
    blob = kms.encrypt(key, b"still here")

    out = run_ctl(kms_env.repo, ["account", "disable", "--app-id", account.app_id])
    assert out.strip() == f"disabled account {account.app_id}"
    for client in (kms, kms2):
        wait_for("refusal", lambda c=client: refused(lambda: c.encrypt(key, os.urandom(8))))
    row = accounts(kms_env)[int(account.uin)]
    assert (row["Enabled"], row["Kind"]) == (False, "tenant")

    run_ctl(kms_env.repo, ["account", "enable", "--app-id", account.app_id])
    wait_for("acceptance", lambda: accepted(lambda: kms2.decrypt(blob)))
    assert kms2.decrypt(blob) == b"still here"
    assert accounts(kms_env)[int(account.uin)]["Enabled"] is True


def test_a_disabled_operator_is_refused_and_tenants_are_untouched(kms_env, make_account):
    operator = operator_account(kms_env)
    org = Organization(operator, kms_env.endpoint)
    tenant = Kms(make_account("ctl-bystander"), FIPS_REGION, kms_env.endpoint)
    app_id = accounts(kms_env)[int(operator.uin)]["AppId"]
    try:
        run_ctl(kms_env.repo, ["account", "disable", "--app-id", str(app_id)])
        wait_for("refusal", lambda: refused(lambda: org.call("DescribeOrganizationMembers", Offset=0, Limit=10,
                                                              SearchKey=os.urandom(4).hex())))
        tenant.GetServiceStatus()
    finally:
        run_ctl(kms_env.repo, ["account", "enable", "--app-id", str(app_id)])
    wait_for("acceptance", lambda: accepted(lambda: org.call("DescribeOrganizationMembers", Offset=0, Limit=10,
                                                             SearchKey=os.urandom(4).hex())))


def test_an_unknown_account_is_a_one_line_failure(kms_env):
    for verb in ("disable", "enable"):
        proc = ctl_run(kms_env, "account", verb, "--app-id", "1")
        assert_one_line_failure(proc, "no account with AppId 1")


def test_organization_changes_are_audited_as_the_operators_requests(kms_env):
    operator = operator_account(kms_env)
    org = Organization(operator, kms_env.endpoint)
    uin, _ = org.new_member("audited")
    org.DeleteOrganizationMembers(MemberUin=[uin])
    app_id = str(accounts(kms_env)[int(operator.uin)]["AppId"])
    out = run_ctl(kms_env.repo, ["audit", "tail", "--account", app_id, "--limit", "5", "--json"])
    records = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    mine = [(r["Action"], r["Result"]) for r in records if r["SecretId"] == operator.secret_id]
    assert mine[-2:] == [("CreateOrganizationMember", "Success"), ("DeleteOrganizationMembers", "Success")], records
