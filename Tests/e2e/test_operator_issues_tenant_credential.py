"""The whole provisioning flow over HTTP (issue 14): the operator creates a tenant account with
Organization's CreateOrganizationMember, then issues its first credential with CAM's
CreateAccessKey (TargetUin = the member's Uin, signed by the operator); the tenant uses it for
KMS; the operator still cannot reach the tenant's keys; DeleteOrganizationMembers refuses the
issued credential within a second. No kmsctl anywhere in the flow.
"""

import json
import os
import time
import warnings

from tencentcloud.cam.v20190116 import cam_client, models as cam_models
from tencentcloud.common import credential
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile

import pytest

from e2e_support import FIPS_REGION, Account, Kms, _sdk_call, assert_code, run_ctl
from organization_support import Organization, accounts, operator_account


def cam(account, endpoint):
    profile = ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=endpoint))
    return cam_client.CamClient(credential.Credential(account.secret_id, account.secret_key), "", profile)


def create_access_key(client, target_uin):
    req = cam_models.CreateAccessKeyRequest()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        req.from_json_string(json.dumps({"TargetUin": int(target_uin)}))
    return _sdk_call(lambda: client.CreateAccessKey(req))


@pytest.fixture(scope="module")
def operator(kms_env):
    return operator_account(kms_env)


def test_the_operator_creates_a_tenant_and_issues_its_first_credential_over_http(kms_env, operator, make_account):
    org = Organization(operator, kms_env.endpoint)
    uin, name = org.new_member("issued")

    issued = create_access_key(cam(operator, kms_env.endpoint), uin).AccessKey
    assert issued.AccessKeyId.startswith("AKID") and len(issued.AccessKeyId) == 36 and issued.SecretAccessKey
    tenant_account = Account(name, str(accounts(kms_env)[uin]["AppId"]), str(uin), issued.AccessKeyId, issued.SecretAccessKey)
    tenant = Kms(tenant_account, FIPS_REGION, kms_env.endpoint)
    key = tenant.new_key_id(Description="first key of a tenant provisioned over HTTP")
    assert tenant.DescribeKey(KeyId=key).KeyMetadata.CreatorUin == uin
    blob = tenant.encrypt(key, b"provisioned over HTTP")
    assert tenant.decrypt(blob) == b"provisioned over HTTP"

    # The credential is the tenant's, not the operator's: the operator still reaches no key.
    assert_code(lambda: Kms(operator, FIPS_REGION, kms_env.endpoint).Encrypt(KeyId=key, Plaintext="aGk="), "UnauthorizedOperation")

    # Another tenant cannot issue credentials for this member, and nothing is issued.
    listed = lambda: json.loads(run_ctl(kms_env.repo, ["credential", "list", "--app-id", tenant_account.app_id, "--json"]).strip())
    assert len(listed()) == 1
    other = make_account("not-operator")
    assert_code(lambda: create_access_key(cam(other, kms_env.endpoint), uin),
                ("AuthFailure.UnauthorizedOperation", "UnauthorizedOperation", "ResourceNotFound*", "InvalidParameter*"))
    assert len(listed()) == 1

    org.DeleteOrganizationMembers(MemberUin=[uin])
    start = time.monotonic()
    while True:
        try:
            tenant.encrypt(key, os.urandom(8))
        except Exception as exc:  # noqa: BLE001 -- the SDK's exception; its code is checked
            assert_code(exc, "AuthFailure.SecretIdNotFound")
            break
        assert time.monotonic() - start < 1.0, "the disabled member's issued credential still works after a second"
        time.sleep(0.05)
