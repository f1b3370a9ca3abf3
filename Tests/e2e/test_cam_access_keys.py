"""CAM access keys over the official CAM SDK: CreateAccessKey (the secret shown once, at most two
per user), ListAccessKeys (never the secret), UpdateAccessKey (Inactive refuses the key within a
second, Active restores it), DeleteAccessKey; for the caller itself, a sub-user (TargetUin) and,
for the operator, a tenant account's root. Other accounts' keys answer "not found"; secrets are
never in a listing, the log or the database in clear."""

import json
import os
import time

import pytest

from cam_support import Cam, add_sub_user, allow, database_dump
from e2e_support import FIPS_REGION, Account, assert_code, assert_codes, owner_psql

REFUSAL_DEADLINE = 1.0


@pytest.fixture
def cam_for(kms_env):
    return lambda account: Cam(account, kms_env.endpoint)


def with_key(account, key):
    """``account`` signing with a CreateAccessKey result."""
    return account.with_secret(key.AccessKeyId, key.SecretAccessKey)


def answers_within(call, deadline, expect_code):
    """Polls ``call`` until it fails with ``expect_code`` (or succeeds, for None); the seconds it took."""
    started = time.monotonic()
    while True:
        try:
            call()
            code = None
        except Exception as exc:  # TencentCloudSDKException
            code = getattr(exc, "code", repr(exc))
        elapsed = time.monotonic() - started
        if code == expect_code:
            return elapsed
        assert elapsed < deadline, f"still {code!r} after {elapsed:.2f} s, want {expect_code!r}"
        time.sleep(0.02)


def test_root_creates_lists_and_deletes_its_own_access_keys_at_most_two(cam_for, client, make_account):
    root = make_account("ak-root")  # kmsctl gave it one key
    cam = cam_for(root)
    created = cam.CreateAccessKey(Description="rotation-2026").AccessKey
    assert created.AccessKeyId.startswith("AKID") and len(created.SecretAccessKey) == 32
    assert created.Status == "Active" and created.Description == "rotation-2026"

    second = with_key(root, created)
    client(second, FIPS_REGION).GetServiceStatus()  # the new root key signs KMS requests
    listed = cam.ListAccessKeys().AccessKeys
    assert {k.AccessKeyId for k in listed} == {root.secret_id, created.AccessKeyId} and len(listed) == 2
    assert all(k.Status == "Active" for k in listed)

    assert_code(lambda: cam.CreateAccessKey(), "OperationDenied.AccessKeyOverLimit")
    # Rotation: the new key deletes the old one, then there is room again.
    cam_for(second).DeleteAccessKey(AccessKeyId=root.secret_id)
    assert_code(lambda: cam.ListAccessKeys(), "AuthFailure.SecretIdNotFound")
    assert [k.AccessKeyId for k in cam_for(second).ListAccessKeys().AccessKeys] == [created.AccessKeyId]
    cam_for(second).CreateAccessKey()


def test_access_keys_of_a_sub_user_by_target_uin_and_by_the_sub_user_itself(cam_for, client, make_account):
    root = make_account("ak-sub")
    cam = cam_for(root)
    added, sub = add_sub_user(cam, root)
    by_root = cam.CreateAccessKey(TargetUin=added.Uin).AccessKey
    assert sorted(k.AccessKeyId for k in cam.ListAccessKeys(TargetUin=added.Uin).AccessKeys) == sorted([added.SecretId, by_root.AccessKeyId])
    assert_code(lambda: cam.CreateAccessKey(TargetUin=added.Uin), "OperationDenied.AccessKeyOverLimit")

    # The sub-user (allowed cam:*) sees its own keys without TargetUin (and with its own Uin), never the root's.
    allow(cam, added.Uin, ["cam:*"])
    sub_cam = cam_for(sub)
    assert sorted(k.AccessKeyId for k in sub_cam.ListAccessKeys().AccessKeys) == sorted([added.SecretId, by_root.AccessKeyId])
    assert sorted(k.AccessKeyId for k in sub_cam.ListAccessKeys(TargetUin=added.Uin).AccessKeys) == \
        sorted([added.SecretId, by_root.AccessKeyId])
    assert_codes([
        ("list root's", lambda: sub_cam.ListAccessKeys(TargetUin=int(root.uin)), "OperationDenied.SubUin"),
        ("create root's", lambda: sub_cam.CreateAccessKey(TargetUin=int(root.uin)), "OperationDenied.SubUin"),
        ("delete root's", lambda: sub_cam.DeleteAccessKey(AccessKeyId=root.secret_id, TargetUin=int(root.uin)),
         "OperationDenied.SubUin"),
    ])
    # A root key named without TargetUin by the sub-user is simply not one of its keys.
    assert_code(lambda: sub_cam.UpdateAccessKey(AccessKeyId=root.secret_id, Status="Inactive"),
                "ResourceNotFound.SecretNotExist")
    sub_cam.DeleteAccessKey(AccessKeyId=by_root.AccessKeyId)
    assert [k.AccessKeyId for k in cam.ListAccessKeys(TargetUin=added.Uin).AccessKeys] == [added.SecretId]


def test_update_access_key_inactive_refuses_the_key_within_a_second_and_active_restores_it(cam_for, client, make_account):
    root = make_account("ak-toggle")
    cam = cam_for(root)
    added, sub = add_sub_user(cam, root)
    allow(cam, added.Uin, ["kms:GetServiceStatus"])
    kms = client(sub, FIPS_REGION)
    kms.GetServiceStatus()  # cached as usable on this responder

    cam.UpdateAccessKey(AccessKeyId=added.SecretId, Status="Inactive", TargetUin=added.Uin)
    took = answers_within(kms.GetServiceStatus, REFUSAL_DEADLINE, "AuthFailure.SecretIdNotFound")
    assert took < REFUSAL_DEADLINE
    assert [k.Status for k in cam.ListAccessKeys(TargetUin=added.Uin).AccessKeys] == ["Inactive"]

    cam.UpdateAccessKey(AccessKeyId=added.SecretId, Status="Active", TargetUin=added.Uin)
    answers_within(kms.GetServiceStatus, REFUSAL_DEADLINE, None)
    assert [k.Status for k in cam.ListAccessKeys(TargetUin=added.Uin).AccessKeys] == ["Active"]


def test_access_key_errors_answer_with_tencent_codes(cam_for, make_account):
    root = make_account("ak-errors")
    cam = cam_for(root)
    added, sub = add_sub_user(cam, root)
    assert_codes([
        ("bad Status", lambda: cam.UpdateAccessKey(AccessKeyId=added.SecretId, Status="Disabled", TargetUin=added.Uin),
         "InvalidParameter.ParamError"),
        ("unknown key", lambda: cam.UpdateAccessKey(AccessKeyId="AKID" + "x" * 32, Status="Inactive"),
         "ResourceNotFound.SecretNotExist"),
        ("sub-user's key named as the root's", lambda: cam.DeleteAccessKey(AccessKeyId=added.SecretId),
         "ResourceNotFound.SecretNotExist"),
        ("unknown user", lambda: cam.CreateAccessKey(TargetUin=299_999_999_999), "ResourceNotFound.UserNotExist"),
        ("not a Uin", lambda: cam.ListAccessKeys(TargetUin=5), "ResourceNotFound.UserNotExist"),
        ("description with a space", lambda: cam.CreateAccessKey(Description="two words"), "InvalidParameter.ParamError"),
        ("description of 1025", lambda: cam.CreateAccessKey(Description="d" * 1025), "InvalidParameter.ParamError"),
        ("TargetUin as text", lambda: cam.call("ListAccessKeys", TargetUin="me"), "InvalidParameter"),
        ("no AccessKeyId", lambda: cam.call("DeleteAccessKey"), "MissingParameter"),
        # The key signing the request cannot switch itself off or delete itself.
        ("deactivate itself", lambda: cam.UpdateAccessKey(AccessKeyId=root.secret_id, Status="Inactive"),
         "FailedOperation.Accesskey"),
        ("delete itself", lambda: cam.DeleteAccessKey(AccessKeyId=root.secret_id), "FailedOperation.Accesskey"),
    ])
    # Nothing refused changed anything.
    assert [(k.AccessKeyId, k.Status) for k in cam.ListAccessKeys().AccessKeys] == [(root.secret_id, "Active")]
    assert [(k.AccessKeyId, k.Status) for k in cam.ListAccessKeys(TargetUin=added.Uin).AccessKeys] == \
        [(added.SecretId, "Active")]


def test_another_account_never_sees_or_touches_the_access_keys(cam_for, client, make_account):
    a, b = make_account("ak-iso-a"), make_account("ak-iso-b")
    cam_a, cam_b = cam_for(a), cam_for(b)
    added, sub = add_sub_user(cam_a, a)
    allow(cam_a, added.Uin, ["kms:GetServiceStatus"])
    assert_codes([
        ("list A's user", lambda: cam_b.ListAccessKeys(TargetUin=added.Uin), "ResourceNotFound.UserNotExist"),
        ("list A's root", lambda: cam_b.ListAccessKeys(TargetUin=int(a.uin)), "ResourceNotFound.UserNotExist"),
        ("create for A's user", lambda: cam_b.CreateAccessKey(TargetUin=added.Uin), "ResourceNotFound.UserNotExist"),
        ("create for A's root", lambda: cam_b.CreateAccessKey(TargetUin=int(a.uin)), "ResourceNotFound.UserNotExist"),
        ("deactivate A's root key", lambda: cam_b.UpdateAccessKey(AccessKeyId=a.secret_id, Status="Inactive"),
         "ResourceNotFound.SecretNotExist"),
        ("deactivate A's user key", lambda: cam_b.UpdateAccessKey(AccessKeyId=added.SecretId, Status="Inactive",
                                                                   TargetUin=added.Uin), "ResourceNotFound.UserNotExist"),
        ("delete A's root key", lambda: cam_b.DeleteAccessKey(AccessKeyId=a.secret_id), "ResourceNotFound.SecretNotExist"),
    ])
    assert a.secret_id not in {k.AccessKeyId for k in cam_b.ListAccessKeys().AccessKeys}
    client(a, FIPS_REGION).GetServiceStatus()
    client(sub, FIPS_REGION).GetServiceStatus()


def test_secrets_are_never_listed_logged_or_stored_in_clear(cam_for, kms_env, make_account):
    root = make_account("ak-secrets")
    cam = cam_for(root)
    added, _ = add_sub_user(cam, root)
    created = cam.CreateAccessKey(TargetUin=added.Uin).AccessKey
    secrets = [added.SecretKey, created.SecretAccessKey]

    listing = json.dumps(cam.call("ListAccessKeys", TargetUin=added.Uin))
    assert added.SecretId in listing and created.AccessKeyId in listing
    assert "SecretAccessKey" not in listing and "SecretKey" not in listing
    assert not any(s in listing for s in secrets)

    time.sleep(0.5)  # the responder flushes its log every 100 ms
    with open(os.path.join(kms_env.home, "log", "responder.log"), encoding="utf-8") as fh:
        log = fh.read()
    assert "CreateAccessKey" in log  # the log does cover these requests
    dump = database_dump(kms_env.home)
    assert added.SecretId in dump  # the dump does cover the credentials
    for secret in secrets:
        assert secret not in log, "a CAM secret key is in the responder log"
        assert secret not in dump, "a CAM secret key is in the database in clear"
        assert secret.encode().hex() not in dump, "a CAM secret key is in the database as hex"


@pytest.fixture(scope="module")
def operator(kms_env, make_account):
    """A credential of the operator account: the one `up` made, or, where none exists yet, a fresh
    account made the operator (016 allows one)."""
    found = owner_psql(kms_env.home, "SELECT app_id || ' ' || uin || ' ' || name FROM accounts WHERE kind = 'operator'")
    if not found:
        account = make_account("operator")
        owner_psql(kms_env.home, f"UPDATE accounts SET kind = 'operator' WHERE app_id = {account.app_id}")
        return account
    app_id, uin, name = found.split(" ", 2)
    data = kms_env.ctl("credential", "create", "--app-id", app_id, "--json")
    return Account(name=name, app_id=app_id, uin=uin, secret_id=data["SecretId"], secret_key=data["SecretKey"])


def test_the_operator_issues_lists_deactivates_and_deletes_a_tenants_root_keys(cam_for, client, make_account, operator):
    tenant = make_account("ak-tenant")
    op = cam_for(operator)
    issued = op.CreateAccessKey(TargetUin=int(tenant.uin), Description="first-key").AccessKey
    tenant_root = with_key(tenant, issued)
    kms = client(tenant_root, FIPS_REGION)
    key_id = kms.new_key_id(Description="made with the operator's key for the tenant")
    assert key_id in client(tenant, FIPS_REGION).list_all_key_ids()  # the tenant's own account
    # It is a root key: the tenant sees it among its own.
    assert issued.AccessKeyId in {k.AccessKeyId for k in cam_for(tenant).ListAccessKeys().AccessKeys}
    assert {k.AccessKeyId for k in op.ListAccessKeys(TargetUin=int(tenant.uin)).AccessKeys} == {tenant.secret_id, issued.AccessKeyId}
    assert_code(lambda: op.CreateAccessKey(TargetUin=int(tenant.uin)), "OperationDenied.AccessKeyOverLimit")

    op.UpdateAccessKey(AccessKeyId=issued.AccessKeyId, Status="Inactive", TargetUin=int(tenant.uin))
    answers_within(kms.GetServiceStatus, REFUSAL_DEADLINE, "AuthFailure.SecretIdNotFound")
    op.UpdateAccessKey(AccessKeyId=issued.AccessKeyId, Status="Active", TargetUin=int(tenant.uin))
    answers_within(kms.GetServiceStatus, REFUSAL_DEADLINE, None)
    op.DeleteAccessKey(AccessKeyId=issued.AccessKeyId, TargetUin=int(tenant.uin))
    answers_within(kms.GetServiceStatus, REFUSAL_DEADLINE, "AuthFailure.SecretIdNotFound")
    assert {k.AccessKeyId for k in op.ListAccessKeys(TargetUin=int(tenant.uin)).AccessKeys} == {tenant.secret_id}

    # The operator's reach stops at tenants' roots: a tenant's sub-user is not found, and an
    # ordinary tenant cannot do the same to another tenant.
    added, _ = add_sub_user(cam_for(tenant), tenant)
    assert_code(lambda: op.ListAccessKeys(TargetUin=added.Uin), "ResourceNotFound.UserNotExist")
    other = make_account("ak-tenant-other")
    assert_code(lambda: cam_for(other).CreateAccessKey(TargetUin=int(tenant.uin)), "ResourceNotFound.UserNotExist")
    # Nor does a sub-user of the operator's account, even one allowed every CAM action.
    helper, helper_account = add_sub_user(op, operator)
    allow(op, helper.Uin, ["cam:*"])
    assert_code(lambda: cam_for(helper_account).CreateAccessKey(TargetUin=int(tenant.uin)), "ResourceNotFound.UserNotExist")
    assert {k.AccessKeyId for k in op.ListAccessKeys(TargetUin=int(tenant.uin)).AccessKeys} == {tenant.secret_id}
