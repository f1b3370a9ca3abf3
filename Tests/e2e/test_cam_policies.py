"""CAM policies over the official CAM SDK: CreatePolicy (validated before anything is stored),
GetPolicy, ListPolicies (Rp, Page, Scope, Keyword), DeletePolicy (all or nothing),
AttachUserPolicy, DetachUserPolicy, ListAttachedUserPolicies; Tencent's codes and quotas; what an
attached policy lets a sub-user's access key do, and that a detach holds within a second; isolation
between accounts; tccli."""

import json
import time

import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from cam_support import Cam, add_sub_user, allow, key_resource, tccli_cam, unique_name
from e2e_support import FIPS_REGION, assert_code, assert_codes, owner_psql

ENCRYPT_ONLY = {"version": "2.0", "statement": [{"effect": "allow", "action": ["kms:Encrypt"], "resource": "*"}]}


@pytest.fixture
def cam_for(kms_env):
    return lambda account: Cam(account, kms_env.endpoint)


def document(statements):
    return json.dumps({"version": "2.0", "statement": statements})


def policy_ids(cam, **fields):
    return [p.PolicyId for p in cam.ListPolicies(Rp=200, **fields).List]


def test_create_get_list_and_delete_a_policy(cam_for, make_account):
    cam = cam_for(make_account("pol-crud"))
    name = unique_name("EncryptOnly")
    text = json.dumps(ENCRYPT_ONLY, indent=2)
    created = cam.CreatePolicy(PolicyName=name, PolicyDocument=text, Description="the web service encrypts")
    assert created.PolicyId >= 100000000

    got = cam.GetPolicy(PolicyId=created.PolicyId)
    assert (got.PolicyName, got.Description, got.Type) == (name, "the web service encrypts", 1)
    assert json.loads(got.PolicyDocument) == ENCRYPT_ONLY  # stored normalised, meaning unchanged
    assert len(got.AddTime) == len("2020-03-03 18:00:26") and got.UpdateTime == got.AddTime

    listed = cam.ListPolicies(Keyword=name[:12].upper())  # a part of the name, any case
    assert listed.TotalNum == 1 and [p.PolicyId for p in listed.List] == [created.PolicyId]
    entry = listed.List[0]
    assert (entry.PolicyName, entry.Type, entry.CreateMode, entry.Attachments) == (name, 1, 2, 0)
    assert cam.ListPolicies(Scope="QCS").TotalNum == 0  # no preset policies here
    assert created.PolicyId in policy_ids(cam, Scope="Local") and created.PolicyId in policy_ids(cam, Scope="All")

    cam.DeletePolicy(PolicyId=[created.PolicyId])
    assert_code(lambda: cam.GetPolicy(PolicyId=created.PolicyId), "ResourceNotFound.PolicyIdNotFound")
    assert cam.ListPolicies().TotalNum == 0


def test_list_policies_pages_with_rp_and_page(cam_for, make_account):
    cam = cam_for(make_account("pol-pages"))
    ids = [cam.CreatePolicy(PolicyName=f"page-{i}", PolicyDocument=json.dumps(ENCRYPT_ONLY)).PolicyId for i in range(5)]
    pages = [cam.ListPolicies(Rp=2, Page=page) for page in (1, 2, 3, 4)]
    assert [p.TotalNum for p in pages] == [5, 5, 5, 5]
    assert [[x.PolicyId for x in p.List] for p in pages] == [ids[0:2], ids[2:4], ids[4:5], []]
    assert cam.ListPolicies().TotalNum == 5 and len(cam.ListPolicies().List) == 5  # Rp defaults to 20


def test_bad_policies_and_parameters_answer_tencent_codes_and_change_nothing(cam_for, make_account):
    root = make_account("pol-errors")
    cam = cam_for(root)
    added = cam.AddUser(Name=unique_name())
    good = cam.CreatePolicy(PolicyName="kept", PolicyDocument=json.dumps(ENCRYPT_ONLY)).PolicyId

    def create(text, name=None, **more):
        return lambda: cam.CreatePolicy(PolicyName=name or unique_name("bad"), PolicyDocument=text, **more)

    assert_codes([
        ("not JSON", create('{"version": "2.0", "statement": ['), "InvalidParameter.PolicyDocumentError"),
        ("version 1.0", create(json.dumps({"version": "1.0", "statement": []})), "InvalidParameter.VersionError"),
        ("unknown action", create(document([{"effect": "allow", "action": ["kms:Encrypte"], "resource": "*"}])),
         "InvalidParameter.ActionNotExist"),
        ("bad effect", create(document([{"effect": "maybe", "action": ["kms:Encrypt"], "resource": "*"}])),
         "InvalidParameter.EffectError"),
        ("malformed resource", create(document([{"effect": "allow", "action": ["kms:Encrypt"], "resource": "kms:key/1"}])),
         ("InvalidParameter.ResourceError", "InvalidParameter.ResourceQcsError")),
        ("too long", create(document([{"effect": "allow", "action": ["kms:Encrypt"], "resource": ["*"] * 1600}])),
         "InvalidParameter.PolicyDocumentLengthOverLimit"),
        ("name with a space", create(json.dumps(ENCRYPT_ONLY), name="two words"), "InvalidParameter.PolicyNameError"),
        ("name of 129", create(json.dumps(ENCRYPT_ONLY), name="n" * 129), "InvalidParameter.PolicyNameError"),
        ("name taken", create(json.dumps(ENCRYPT_ONLY), name="kept"), "FailedOperation.PolicyNameInUse"),
        ("description of 301 bytes", create(json.dumps(ENCRYPT_ONLY), Description="d" * 301),
         "InvalidParameter.DescriptionLengthOverlimit"),
        ("tags", lambda: cam.call("CreatePolicy", PolicyName=unique_name(), PolicyDocument=json.dumps(ENCRYPT_ONLY),
                                  Tags=[{"Key": "k", "Value": "v"}]), "UnsupportedOperation"),
        ("no document", lambda: cam.call("CreatePolicy", PolicyName=unique_name()), "MissingParameter"),
        ("get unknown", lambda: cam.GetPolicy(PolicyId=99), "ResourceNotFound.PolicyIdNotFound"),
        ("get id 0", lambda: cam.GetPolicy(PolicyId=0), "InvalidParameter.PolicyIdError"),
        ("delete known and unknown", lambda: cam.DeletePolicy(PolicyId=[good, 99]), "InvalidParameter.PolicyIdNotExist"),
        ("delete none", lambda: cam.call("DeletePolicy", PolicyId=[]), "MissingParameter"),
        ("delete text ids", lambda: cam.call("DeletePolicy", PolicyId=["1"]), "InvalidParameter"),
        ("attach unknown policy", lambda: cam.AttachUserPolicy(PolicyId=99, AttachUin=added.Uin), "InvalidParameter.PolicyIdNotExist"),
        ("attach to unknown user", lambda: cam.AttachUserPolicy(PolicyId=good, AttachUin=299_999_999_998),
         "InvalidParameter.UserNotExist"),
        ("attach to the root", lambda: cam.AttachUserPolicy(PolicyId=good, AttachUin=int(root.uin)), "InvalidParameter.UserNotExist"),
        ("detach unknown policy", lambda: cam.DetachUserPolicy(PolicyId=99, DetachUin=added.Uin), "InvalidParameter.PolicyIdNotExist"),
        ("list attached of unknown user", lambda: cam.ListAttachedUserPolicies(TargetUin=5), "InvalidParameter.UserNotExist"),
        ("Scope", lambda: cam.ListPolicies(Scope="Mine"), "InvalidParameter.ScopeError"),
        ("Rp 0", lambda: cam.ListPolicies(Rp=0), "InvalidParameter.ParamError"),
        ("Rp 201", lambda: cam.ListPolicies(Rp=201), "InvalidParameter.ParamError"),
        ("Page 201", lambda: cam.ListPolicies(Page=201), "InvalidParameter.ParamError"),
        ("Keyword of 129", lambda: cam.ListPolicies(Keyword="k" * 129), "InvalidParameter.SearchKeywordLengthError"),
    ])
    # The refusal of a bad document says where the problem is.
    try:
        cam.CreatePolicy(PolicyName=unique_name(), PolicyDocument='{"version": "2.0",\n "statement": [}')
        pytest.fail("a document that is not JSON was accepted")
    except TencentCloudSDKException as exc:
        assert "line 2" in exc.message, exc.message
    # Nothing refused was stored, and the known policy of the failed batch delete is still there.
    assert policy_ids(cam) == [good]
    assert cam.ListAttachedUserPolicies(TargetUin=added.Uin).TotalNum == 0


def test_attach_detach_and_list_the_policies_of_a_sub_user(cam_for, make_account):
    cam = cam_for(make_account("pol-attach"))
    user = cam.AddUser(Name=unique_name())
    p1 = cam.CreatePolicy(PolicyName=unique_name("p1"), PolicyDocument=json.dumps(ENCRYPT_ONLY), Description="one").PolicyId
    p2 = cam.CreatePolicy(PolicyName=unique_name("p2"), PolicyDocument=json.dumps(ENCRYPT_ONLY)).PolicyId
    cam.AttachUserPolicy(PolicyId=p1, AttachUin=user.Uin)
    cam.AttachUserPolicy(PolicyId=p2, AttachUin=user.Uin)
    cam.AttachUserPolicy(PolicyId=p1, AttachUin=user.Uin)  # again: no change

    attached = cam.ListAttachedUserPolicies(TargetUin=user.Uin)
    assert attached.TotalNum == 2 and [p.PolicyId for p in attached.List] == [p1, p2]
    assert (attached.List[0].PolicyType, attached.List[0].Remark, attached.List[0].CreateMode) == ("User", "one", 2)
    assert [p.PolicyId for p in cam.ListAttachedUserPolicies(TargetUin=user.Uin, Rp=1, Page=2).List] == [p2]
    assert {p.PolicyId: p.Attachments for p in cam.ListPolicies().List} == {p1: 1, p2: 1}

    cam.DetachUserPolicy(PolicyId=p1, DetachUin=user.Uin)
    cam.DetachUserPolicy(PolicyId=p1, DetachUin=user.Uin)  # not attached: no change
    assert [p.PolicyId for p in cam.ListAttachedUserPolicies(TargetUin=user.Uin).List] == [p2]
    # Deleting a policy detaches it; deleting the user detaches the rest.
    cam.DeletePolicy(PolicyId=[p2])
    assert cam.ListAttachedUserPolicies(TargetUin=user.Uin).TotalNum == 0
    cam.AttachUserPolicy(PolicyId=p1, AttachUin=user.Uin)
    cam.DeleteUser(Name=user.Name)
    assert {p.PolicyId: p.Attachments for p in cam.ListPolicies().List} == {p1: 0}


def test_an_attached_policy_decides_what_the_sub_users_key_may_do_and_a_detach_holds_within_a_second(
        cam_for, client, make_account):
    root = make_account("pol-enforce")
    cam = cam_for(root)
    owner_kms = client(root, FIPS_REGION)
    allowed_key, other_key = owner_kms.new_key_id(), owner_kms.new_key_id()
    added, sub = add_sub_user(cam, root)
    kms = client(sub, FIPS_REGION)
    assert_code(lambda: kms.encrypt(allowed_key, b"nothing attached yet"), "UnauthorizedOperation")

    policy = allow(cam, added.Uin, ["kms:Encrypt", "kms:Decrypt"], key_resource(FIPS_REGION, root.uin, allowed_key))
    deadline = time.monotonic() + 1.0
    while True:
        try:
            blob = kms.encrypt(allowed_key, b"signed by the sub-user's key")
            break
        except TencentCloudSDKException as exc:
            assert exc.code == "UnauthorizedOperation" and time.monotonic() < deadline, exc
            time.sleep(0.02)
    assert kms.decrypt(blob) == b"signed by the sub-user's key"
    assert owner_kms.decrypt(blob) == b"signed by the sub-user's key"
    assert_codes([
        ("another key", lambda: kms.encrypt(other_key, b"x"), "UnauthorizedOperation"),
        ("another action", lambda: kms.DisableKey(KeyId=allowed_key), "UnauthorizedOperation"),
        ("CAM", lambda: cam_for(sub).ListUsers(), "AuthFailure.UnauthorizedOperation"),
    ])

    cam.DetachUserPolicy(PolicyId=policy, DetachUin=added.Uin)
    started = time.monotonic()
    while True:
        try:
            kms.encrypt(allowed_key, b"after the detach")
        except TencentCloudSDKException as exc:
            assert exc.code == "UnauthorizedOperation", exc
            break
        assert time.monotonic() - started < 1.0, "the detached policy still allowed Encrypt after a second"
        time.sleep(0.02)


def test_quotas_of_policies_per_account_and_per_sub_user(cam_for, kms_env, make_account):
    account = make_account("pol-quota")
    cam = cam_for(account)
    user = cam.AddUser(Name=unique_name())
    scope = f"SELECT set_config('kms.app_id', '{account.app_id}', false); "
    # 1499 policies and 199 attachments written straight into the tables: the quotas are under test.
    owner_psql(kms_env.home, scope + f"INSERT INTO cam_policies (app_id, name, document, created_at, updated_at) "
                                     f"SELECT {account.app_id}, 'filler' || n, '{json.dumps(ENCRYPT_ONLY)}', 0, 0 "
                                     f"FROM generate_series(1, 1499) AS n")
    owner_psql(kms_env.home, scope + f"INSERT INTO cam_attachments (app_id, policy_id, user_uin, attached_at) "
                                     f"SELECT {account.app_id}, policy_id, {user.Uin}, 0 FROM cam_policies "
                                     f"WHERE name ~ '^filler' ORDER BY policy_id LIMIT 199")
    last = cam.CreatePolicy(PolicyName="the-1500th", PolicyDocument=json.dumps(ENCRYPT_ONLY)).PolicyId
    assert_code(lambda: cam.CreatePolicy(PolicyName="one-too-many", PolicyDocument=json.dumps(ENCRYPT_ONLY)),
                "FailedOperation.PolicyFull")
    cam.AttachUserPolicy(PolicyId=last, AttachUin=user.Uin)
    spare = cam.ListPolicies(Keyword="filler1499").List[0].PolicyId
    assert_code(lambda: cam.AttachUserPolicy(PolicyId=spare, AttachUin=user.Uin), "InvalidParameter.AttachmentFull")
    assert cam.ListAttachedUserPolicies(TargetUin=user.Uin).TotalNum == 200
    assert_code(lambda: cam.DeletePolicy(PolicyId=list(range(1, 202))), "InvalidParameter.OperatePoliciesOverLimit")


def test_another_account_never_sees_or_touches_the_policies(cam_for, make_account):
    a, b = make_account("pol-iso-a"), make_account("pol-iso-b")
    cam_a, cam_b = cam_for(a), cam_for(b)
    user_a = cam_a.AddUser(Name=unique_name())
    policy_a = cam_a.CreatePolicy(PolicyName="shared-name", PolicyDocument=json.dumps(ENCRYPT_ONLY)).PolicyId
    cam_a.AttachUserPolicy(PolicyId=policy_a, AttachUin=user_a.Uin)
    policy_b = cam_b.CreatePolicy(PolicyName="shared-name", PolicyDocument=json.dumps(ENCRYPT_ONLY)).PolicyId  # names per account
    assert policy_ids(cam_b) == [policy_b]
    assert_codes([
        ("get", lambda: cam_b.GetPolicy(PolicyId=policy_a), "ResourceNotFound.PolicyIdNotFound"),
        ("delete", lambda: cam_b.DeletePolicy(PolicyId=[policy_a]), "InvalidParameter.PolicyIdNotExist"),
        ("attach A's policy to A's user", lambda: cam_b.AttachUserPolicy(PolicyId=policy_a, AttachUin=user_a.Uin),
         "InvalidParameter.PolicyIdNotExist"),
        ("attach B's policy to A's user", lambda: cam_b.AttachUserPolicy(PolicyId=policy_b, AttachUin=user_a.Uin),
         "InvalidParameter.UserNotExist"),
        ("detach from A's user", lambda: cam_b.DetachUserPolicy(PolicyId=policy_b, DetachUin=user_a.Uin),
         "InvalidParameter.UserNotExist"),
        ("list A's user's", lambda: cam_b.ListAttachedUserPolicies(TargetUin=user_a.Uin), "InvalidParameter.UserNotExist"),
    ])
    assert [p.PolicyId for p in cam_a.ListAttachedUserPolicies(TargetUin=user_a.Uin).List] == [policy_a]
    assert cam_a.GetPolicy(PolicyId=policy_a).PolicyName == "shared-name"


def test_tccli_cam_creates_attaches_and_lists_policies(kms_env, make_account, tmp_path):
    account = make_account("pol-tccli")
    cam = tccli_cam(kms_env, account, tmp_path)

    user = cam("AddUser", "--Name", unique_name("tccli"))
    created = cam("CreatePolicy", "--PolicyName", "tccli-encrypt", "--PolicyDocument", json.dumps(ENCRYPT_ONLY))
    cam("AttachUserPolicy", "--PolicyId", str(created["PolicyId"]), "--AttachUin", str(user["Uin"]))
    listed = cam("ListAttachedUserPolicies", "--TargetUin", str(user["Uin"]))
    assert [p["PolicyId"] for p in listed["List"]] == [created["PolicyId"]]
    assert cam("ListPolicies", "--Keyword", "tccli")["TotalNum"] == 1
    cam("DeletePolicy", "--PolicyId", json.dumps([created["PolicyId"]]))
    assert cam("ListPolicies")["TotalNum"] == 0
