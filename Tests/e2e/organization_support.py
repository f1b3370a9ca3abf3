"""The operator and the Organization API (2021-03-31) for the end-to-end suite.

* ``Organization`` -- the official ``OrganizationClient``, like ``Kms``: ``org.DescribeOrganizationMembers(Limit=10)``
                      builds the SDK's request model; ``org.call("Action", **params)`` sends anything.
* ``operator_account(kms_env)`` -- a credential of the stack's operator. The stack's ``up`` made the operator
                      account and printed its first credential once (written nowhere), so the suite does what an
                      operator who lost it does: ``kmsctl operator create`` adds a credential to the existing one.
* ``accounts(kms_env)`` -- ``kmsctl account list --json`` by Uin.
"""

import json
import os
import uuid
import warnings

from tencentcloud.common import credential
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.organization.v20210331 import models, organization_client

from e2e_support import Account, _check_sdk_http, _guarded_send, _sdk_call, run_ctl

ROOT_NODE = 1
FINANCIAL = {"PolicyType": "Financial", "PermissionIds": [1, 2], "NodeId": ROOT_NODE}


class Organization:
    """``Organization(account, endpoint)``: Tencent's Organization SDK signed with ``account``."""

    def __init__(self, account, endpoint, *, scheme="http", certification=None, language=None):
        profile = ClientProfile(httpProfile=HttpProfile(protocol=scheme, endpoint=endpoint, certification=certification),
                                **({"language": language} if language else {}))
        self.sdk = organization_client.OrganizationClient(credential.Credential(account.secret_id, account.secret_key),
                                                          "", profile)
        session = getattr(getattr(self.sdk.request, "conn", None), "_session", None)
        if session is not None:
            session.hooks["response"].append(_check_sdk_http)
            session.send = _guarded_send(session.send)

    def __getattr__(self, action):
        if not action[:1].isupper():
            raise AttributeError(action)
        request_cls = getattr(models, action + "Request")

        def invoke(**fields):
            req = request_cls()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                req.from_json_string(json.dumps(fields))
            for name in fields:
                assert hasattr(req, "_" + name), f"{action}Request has no field {name}"
            return _sdk_call(lambda: getattr(self.sdk, action)(req))

        invoke.__name__ = action
        return invoke

    def call(self, action, **params):
        return _sdk_call(lambda: self.sdk.call_json(action, params))["Response"]

    def new_member(self, label="member"):
        """(Uin, Name) of a new tenant account made over the API."""
        name = f"e2e-{label}-{uuid.uuid4().hex[:6]}"[:25]
        return self.CreateOrganizationMember(Name=name, AccountName=name, **FINANCIAL).Uin, name

    def member(self, uin):
        """The OrgMember listed for ``uin`` (SearchKey by Uin), or None."""
        page = self.DescribeOrganizationMembers(Offset=0, Limit=10, SearchKey=str(uin))
        found = [m for m in page.Items if m.MemberUin == int(uin)]
        assert len(found) <= 1 and page.Total == len(found), f"SearchKey {uin}: {page}"
        return found[0] if found else None


def operator_account(kms_env):
    data = json.loads(run_ctl(kms_env.repo, ["operator", "create", "--json"]).strip().splitlines()[-1])
    assert data["Created"] is False, "the stack's `up` should have made the operator account already"
    return Account.from_ctl("operator", data)


def accounts(kms_env):
    """{Uin: row} of ``kmsctl account list --json``."""
    out = run_ctl(kms_env.repo, ["account", "list", "--json"]).strip().splitlines()[-1]
    return {row["Uin"]: row for row in json.loads(out)}


def demo_account(kms_env):
    with open(os.path.join(kms_env.home, "demo-account.json")) as fh:
        return Account.from_ctl("demo", json.load(fh))
