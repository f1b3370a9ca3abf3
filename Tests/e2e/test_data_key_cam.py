"""CAM over hosted data keys (docs/DATA_KEYS.md "Access and audit"), in a FIPS and an SM region: a
policy naming one data key (`qcs::kms:<region>:uin/<uin>:datakey/creatorUin/<uin>/<DataKeyId>`) lets
a sub-user act on that data key only; GenerateDataKey and ImportDataKey name their CMK
(`key/creatorUin/<uin>/<KeyId>`, for a blob the CMK it names); a batch is refused whole when one of
its data keys is not allowed; ListDataKeys is not resource-level."""

import os
import time

import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from cam_support import Cam, add_sub_user, allow, key_resource
from data_key_support import UNAUTHORIZED, DataKeys, dks, hosted, imported  # noqa: F401  (fixtures)
from e2e_support import assert_codes, unb64


def data_key_resource(region, owner_uin, data_key_id):
    return f"qcs::kms:{region}:uin/{owner_uin}:datakey/creatorUin/{owner_uin}/{data_key_id}"


def eventually(call, seconds=1.0):
    """``call()`` once the policy just attached holds (within ``seconds``)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return call()
        except TencentCloudSDKException as exc:
            assert exc.code == UNAUTHORIZED and time.monotonic() < deadline, exc
            time.sleep(0.02)


@pytest.fixture
def setting(kms_env, dks, make_account, region):
    """(owner's DataKeys, Cam of the owner, the sub-user's AddUser response, the sub-user's DataKeys)."""
    root = make_account("dk-cam")
    cam = Cam(root, kms_env.endpoint)
    added, sub = add_sub_user(cam, root)
    return dks(root, region), cam, added, DataKeys(kms_env, sub, region, per_action=False)


def test_a_policy_on_one_data_key_allows_that_data_key_only(setting):
    owner, cam, added, sub = setting
    cmk = owner.new_cmk()
    allowed = hosted(owner, cmk)
    other = hosted(owner, cmk)
    resource = data_key_resource(owner.region, owner.account.uin, allowed.DataKeyId)
    allow(cam, added.Uin, ["kms:GetDataKeyPlaintext", "kms:DisableDataKeys"], resource)
    got = eventually(lambda: sub.GetDataKeyPlaintext(DataKeyId=allowed.DataKeyId))
    assert unb64(got.Plaintext) == unb64(allowed.Plaintext)
    assert_codes([
        ("another data key", lambda: sub.GetDataKeyPlaintext(DataKeyId=other.DataKeyId), UNAUTHORIZED),
        ("another action", lambda: sub.DescribeDataKey(DataKeyId=allowed.DataKeyId), UNAUTHORIZED),
        ("the blob", lambda: sub.GetDataKeyCiphertextBlob(DataKeyId=allowed.DataKeyId), UNAUTHORIZED),
        ("a batch with one data key not allowed",
         lambda: sub.DisableDataKeys(DataKeyIds=[allowed.DataKeyId, other.DataKeyId]), UNAUTHORIZED),
        ("generating under the CMK", lambda: hosted(sub, cmk), UNAUTHORIZED),
    ])
    assert [owner.state(k) for k in (allowed.DataKeyId, other.DataKeyId)] == ["Enabled", "Enabled"]
    sub.DisableDataKeys(DataKeyIds=[allowed.DataKeyId])
    assert owner.state(allowed.DataKeyId) == "Disabled"


def test_generate_and_import_are_allowed_by_the_cmk(setting):
    owner, cam, added, sub = setting
    allowed_cmk, other_cmk = owner.new_cmk(), owner.new_cmk()
    allow(cam, added.Uin, ["kms:GenerateDataKey", "kms:ImportDataKey"],
          key_resource(owner.region, owner.account.uin, allowed_cmk))
    made = eventually(lambda: hosted(sub, allowed_cmk))
    assert owner.meta(made.DataKeyId).KeyId == allowed_cmk
    assert owner.plaintext(made.DataKeyId) == unb64(made.Plaintext)
    assert imported(sub, os.urandom(16), allowed_cmk).DataKeyId
    allowed_blob = owner.kms.GenerateDataKey(KeyId=allowed_cmk, KeySpec="AES_128").CiphertextBlob
    other_blob = owner.kms.GenerateDataKey(KeyId=other_cmk, KeySpec="AES_128").CiphertextBlob
    assert imported(sub, allowed_blob, import_type=1).KeyId == allowed_cmk
    before = owner.ListDataKeys().TotalCount
    assert_codes([
        ("GenerateDataKey under another CMK", lambda: hosted(sub, other_cmk), UNAUTHORIZED),
        ("ImportDataKey under another CMK", lambda: imported(sub, os.urandom(16), other_cmk), UNAUTHORIZED),
        ("ImportDataKey of another CMK's blob", lambda: imported(sub, other_blob, import_type=1), UNAUTHORIZED),
        ("GetDataKeyPlaintext of what it made", lambda: sub.GetDataKeyPlaintext(DataKeyId=made.DataKeyId),
         UNAUTHORIZED),
    ])
    assert owner.ListDataKeys().TotalCount == before, "a refused request stored a data key"


def test_list_data_keys_is_not_resource_level(setting):
    owner, cam, added, sub = setting
    data_key_id = hosted(owner, owner.new_cmk()).DataKeyId
    assert_codes([("nothing attached", lambda: sub.ListDataKeys(), UNAUTHORIZED)])
    allow(cam, added.Uin, ["kms:ListDataKeys", "kms:ListDataKeyDetail"], "*")
    listed = eventually(lambda: sub.ListDataKeys(Limit=200))
    assert [k.DataKeyId for k in listed.DataKeys] == [data_key_id]
    assert [m.DataKeyId for m in sub.ListDataKeyDetail().DataKeyMetadatas] == [data_key_id]
