"""The official CAM SDK (``tencentcloud-sdk-python-cam``, API 2019-01-16) against the stack, for the
CAM tests (test_cam_*.py).

* ``Cam(account, endpoint)`` -- ``cam.AddUser(Name=..., UseApi=1)`` builds the SDK's request model and
  returns its response model, like ``e2e_support.Kms``; the same signature guard (a signature is
  never sent twice for different actions) and the same HTTP contract hook are installed.
* ``sub_user_account(parent, uin, secret_id, secret_key)`` -- an ``Account`` signing as a sub-user.
* ``allow(cam, uin, actions)`` -- a policy allowing ``actions``, attached to a sub-user.
"""

import json
import uuid

from tencentcloud.cam.v20190116 import cam_client, models as cam_models

from e2e_support import Account, SdkClient, owner_psql
from tccli_support import tccli_service

CAM_VERSION = "2019-01-16"


class Cam(SdkClient):
    """``Cam(account, endpoint)``; ``cam.GetUser(Name="app").Uin``. CAM is global: the SDK sends no region."""

    CLIENT = cam_client.CamClient
    MODELS = cam_models

    def __init__(self, account, endpoint, **options):
        super().__init__(account, "", endpoint, **options)


def unique_name(prefix="u"):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def sub_user_account(parent, uin, secret_id, secret_key):
    """An ``Account`` of ``parent``'s AppId signing with a sub-user's access key."""
    return Account(name=f"{parent.name}/{uin}", app_id=parent.app_id, uin=str(parent.uin),
                   secret_id=secret_id, secret_key=secret_key)


def add_sub_user(cam, parent, name=None, **fields):
    """A new sub-user with an access key: ``(AddUser response, Account signing as it)``."""
    resp = cam.AddUser(Name=name or unique_name(), UseApi=1, **fields)
    return resp, sub_user_account(parent, resp.Uin, resp.SecretId, resp.SecretKey)


def database_dump(home):
    """Every text column of the tables a secret could reach, as one string (for "never in clear")."""
    return owner_psql(home, "SELECT (SELECT string_agg(c::text, '|') FROM credentials c) || "
                            "coalesce((SELECT string_agg(u::text, '|') FROM cam_users u), '') || "
                            "coalesce((SELECT string_agg(a::text, '|') FROM audit_log a), '')")


def allow(cam, uin, actions, resource="*", name=None):
    """A policy allowing ``actions`` on ``resource``, attached to sub-user ``uin``; its PolicyId."""
    document = json.dumps({"version": "2.0", "statement": [{"effect": "allow", "action": actions, "resource": resource}]})
    policy_id = cam.CreatePolicy(PolicyName=name or unique_name("allow"), PolicyDocument=document).PolicyId
    cam.AttachUserPolicy(PolicyId=policy_id, AttachUin=uin)
    return policy_id


def key_resource(region, owner_uin, key_id):
    """The CAM resource name of a KMS key."""
    return f"qcs::kms:{region}:uin/{owner_uin}:key/creatorUin/{owner_uin}/{key_id}"


def tccli_cam(kms_env, account, tmp_path):
    """``cam("AddUser", "--Name", n)``: ``tccli cam …`` as ``account`` (tccli_support.tccli_service)."""
    return tccli_service(kms_env, account, tmp_path, "cam")
