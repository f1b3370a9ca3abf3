"""CAM sub-users over the official CAM SDK (API 2019-01-16): AddUser (with UseApi=1 the user's
SecretId/SecretKey, once), GetUser, ListUsers, DeleteUser (Force, cascading the user's access
keys), Tencent's name rules and codes, the per-account quota, isolation between accounts, and tccli."""


import pytest

from cam_support import Cam, add_sub_user, allow, tccli_cam, unique_name
from e2e_support import FIPS_REGION, assert_code, assert_codes, owner_psql

SUB_UIN_RANGE = range(200_000_000_000, 300_000_000_000)


@pytest.fixture
def cam_for(kms_env):
    return lambda account: Cam(account, kms_env.endpoint)


def test_add_user_with_use_api_returns_uin_uid_and_a_working_access_key_once(cam_for, client, make_account):
    root = make_account("cam-add")
    cam = cam_for(root)
    name = unique_name("app")
    added = cam.AddUser(Name=name, Remark="the web service", UseApi=1)
    assert added.Uin in SUB_UIN_RANGE and added.Name == name and added.Uid > 0
    assert added.SecretId.startswith("AKID") and len(added.SecretId) == 36 and len(added.SecretKey) == 32

    got = cam.GetUser(Name=name)
    assert (got.Uin, got.Name, got.Uid, got.Remark, got.ConsoleLogin) == (added.Uin, name, added.Uid, "the web service", 0)
    listed = [u for u in cam.ListUsers().Data if u.Name == name]
    assert len(listed) == 1 and listed[0].Uin == added.Uin and listed[0].Remark == "the web service"
    assert len(listed[0].CreateTime) == len("2020-03-03 18:00:26")

    keys = cam.ListAccessKeys(TargetUin=added.Uin).AccessKeys
    assert [k.AccessKeyId for k in keys] == [added.SecretId] and keys[0].Status == "Active"

    # Without UseApi the user has no key at all.
    bare = cam.AddUser(Name=unique_name("bare"), ConsoleLogin=1)
    assert bare.SecretId is None and bare.SecretKey is None and bare.Password is None
    assert cam.ListAccessKeys(TargetUin=bare.Uin).AccessKeys == []
    assert cam.GetUser(Name=bare.Name).ConsoleLogin == 1


def test_add_user_refuses_bad_names_duplicates_flags_and_passwords_with_tencent_codes(cam_for, make_account):
    cam = cam_for(make_account("cam-names"))
    taken = unique_name("taken")
    cam.AddUser(Name=taken)
    assert_codes([
        ("empty name", lambda: cam.call("AddUser", Name=""), "InvalidParameter.UserNameIllegal"),
        ("65 characters", lambda: cam.AddUser(Name="a" * 65), "InvalidParameter.UserNameIllegal"),
        ("space", lambda: cam.AddUser(Name="web app"), "InvalidParameter.UserNameIllegal"),
        ("not ASCII", lambda: cam.AddUser(Name="应用"), "InvalidParameter.UserNameIllegal"),
        ("slash", lambda: cam.AddUser(Name="a/b"), "InvalidParameter.UserNameIllegal"),
        ("duplicate", lambda: cam.AddUser(Name=taken), "InvalidParameter.SubUserNameInUse"),
        ("ConsoleLogin 2", lambda: cam.AddUser(Name=unique_name(), ConsoleLogin=2), "InvalidParameter.ParamError"),
        ("UseApi -1", lambda: cam.AddUser(Name=unique_name(), UseApi=-1), "InvalidParameter.ParamError"),
        ("a password: no console here", lambda: cam.AddUser(Name=unique_name(), ConsoleLogin=1, Password="Pa55word!x"),
         "UnsupportedOperation"),
        ("an e-mail address", lambda: cam.AddUser(Name=unique_name(), Email="a@example.com"), "UnsupportedOperation"),
        ("no name", lambda: cam.call("AddUser", Remark="x"), "MissingParameter"),
        ("control character in remark", lambda: cam.AddUser(Name=unique_name(), Remark="a\u0007b"), "InvalidParameter.ParamError"),
        ("unknown user", lambda: cam.GetUser(Name=unique_name("nobody")), "ResourceNotFound.UserNotExist"),
        ("delete unknown user", lambda: cam.DeleteUser(Name=unique_name("nobody")), "ResourceNotFound.UserNotExist"),
    ])
    # The longest legal name, with every allowed punctuation mark.
    name = ("x+=,.@_-" + unique_name())[:64].ljust(64, "z")
    assert cam.AddUser(Name=name).Name == name
    # Nothing refused was stored.
    names = {u.Name for u in cam.ListUsers().Data}
    assert names == {taken, name}


def test_an_account_has_at_most_1000_sub_users(cam_for, kms_env, make_account):
    account = make_account("cam-quota")
    cam = cam_for(account)
    # 999 users written straight into the table (the quota, not AddUser's speed, is under test).
    owner_psql(kms_env.home, f"SELECT set_config('kms.app_id', '{account.app_id}', false); "
                             f"INSERT INTO cam_users (app_id, uin, uid, name, created_at) "
                             f"SELECT {account.app_id}, 290000000000 + {int(account.app_id) % 1000000} * 1000 + n, "
                             f"900000000 + {int(account.app_id) % 1000000} * 1000 + n, 'filler' || n, 0 "
                             f"FROM generate_series(1, 999) AS n")
    assert len(cam.ListUsers().Data) == 999
    cam.AddUser(Name="the-thousandth")
    assert_code(lambda: cam.AddUser(Name="one-too-many"), "InvalidParameter.SubUserFull")
    assert len(cam.ListUsers().Data) == 1000
    cam.DeleteUser(Name="filler1")
    cam.AddUser(Name="room-again")


def test_delete_user_refuses_a_user_with_keys_unless_forced_and_then_its_keys_are_gone(cam_for, client, kms_env, make_account):
    root = make_account("cam-delete")
    cam = cam_for(root)
    added, sub = add_sub_user(cam, root)
    assert_code(lambda: cam.DeleteUser(Name=added.Name), "OperationDenied.HaveKeys")
    assert_code(lambda: cam.DeleteUser(Name=added.Name, Force=0), "OperationDenied.HaveKeys")
    assert cam.GetUser(Name=added.Name).Uin == added.Uin
    assert_code(lambda: cam.DeleteUser(Name=added.Name, Force=2), "InvalidParameter.ParamError")

    cam.DeleteUser(Name=added.Name, Force=1)
    assert_code(lambda: cam.GetUser(Name=added.Name), "ResourceNotFound.UserNotExist")
    assert owner_psql(kms_env.home, f"SELECT count(*) FROM credentials WHERE secret_id = '{added.SecretId}'") == "0"
    assert_code(lambda: client(sub, FIPS_REGION).GetServiceStatus(), "AuthFailure.SecretIdNotFound")

    # A user without keys goes without Force; the name is free again.
    bare = cam.AddUser(Name=added.Name)
    assert bare.Uin != added.Uin
    cam.DeleteUser(Name=added.Name)
    assert added.Name not in {u.Name for u in cam.ListUsers().Data}


def test_another_account_never_sees_or_touches_the_sub_users(cam_for, make_account):
    a, b = make_account("cam-iso-a"), make_account("cam-iso-b")
    cam_a, cam_b = cam_for(a), cam_for(b)
    added = cam_a.AddUser(Name=unique_name("private"), UseApi=1)
    assert added.Name not in {u.Name for u in cam_b.ListUsers().Data}
    assert_codes([
        ("GetUser", lambda: cam_b.GetUser(Name=added.Name), "ResourceNotFound.UserNotExist"),
        ("DeleteUser", lambda: cam_b.DeleteUser(Name=added.Name, Force=1), "ResourceNotFound.UserNotExist"),
        ("ListAccessKeys", lambda: cam_b.ListAccessKeys(TargetUin=added.Uin), "ResourceNotFound.UserNotExist"),
    ])
    # Names are per account: B may use the same one, and A's user is untouched.
    assert cam_b.AddUser(Name=added.Name).Uin != added.Uin
    assert cam_a.GetUser(Name=added.Name).Uin == added.Uin


def test_tccli_cam_add_get_list_and_delete_user(kms_env, make_account, tmp_path):
    account = make_account("cam-tccli")
    cam = tccli_cam(kms_env, account, tmp_path)

    name = unique_name("tccli")
    added = cam("AddUser", "--Name", name, "--UseApi", "1")
    assert added["Name"] == name and added["Uin"] in SUB_UIN_RANGE and added["SecretId"].startswith("AKID")
    assert cam("GetUser", "--Name", name)["Uid"] == added["Uid"]
    assert name in [u["Name"] for u in cam("ListUsers")["Data"]]
    cam("DeleteUser", "--Name", name, "--Force", "1")
    assert "ResourceNotFound.UserNotExist" in cam("GetUser", "--Name", name, fails=True)


def test_get_user_app_id_names_the_caller_its_account_and_the_owner_of_its_keys(cam_for, make_account, kms_env):
    root = make_account("cam-whoami")
    me = cam_for(root).GetUserAppId()
    assert (me.Uin, me.OwnerUin, me.AppId) == (int(root.uin), int(root.uin), int(root.app_id))
    added, sub = add_sub_user(cam_for(root), root)
    # A sub-user with no policy may not ask (every CAM action is decided on `*`); allowed, it is itself.
    assert_code(lambda: cam_for(sub).GetUserAppId(), "AuthFailure.UnauthorizedOperation")
    allow(cam_for(root), added.Uin, ["cam:GetUserAppId"])
    it = cam_for(sub).GetUserAppId()
    assert (it.Uin, it.OwnerUin, it.AppId) == (added.Uin, int(root.uin), int(root.app_id))
