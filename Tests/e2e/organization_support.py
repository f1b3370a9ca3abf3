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

from tencentcloud.organization.v20210331 import models, organization_client

from e2e_support import Account, SdkClient, run_ctl

ROOT_NODE = 1
FINANCIAL = {"PolicyType": "Financial", "PermissionIds": [1, 2], "NodeId": ROOT_NODE}


class Organization(SdkClient):
    """``Organization(account, endpoint)``: Tencent's Organization SDK signed with ``account`` (global: no region)."""

    CLIENT = organization_client.OrganizationClient
    MODELS = models

    def __init__(self, account, endpoint, **options):
        super().__init__(account, "", endpoint, **options)

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
