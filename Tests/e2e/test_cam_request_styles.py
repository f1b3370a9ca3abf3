"""CAM on the same endpoint as KMS in every request style: v1 form and query with
`Version=2019-01-16` (flattened integer lists included), TC3 with the `cam` scope and any or no
Region; a CAM action under KMS's version or scope, or a KMS action under CAM's, does not exist."""

from cam_support import Cam, unique_name
from e2e_support import FIPS_REGION, assert_code, ok

CAM_VERSION = "2019-01-16"
POLICY = '{"version":"2.0","statement":[{"effect":"allow","action":["kms:Encrypt"],"resource":"*"}]}'


def test_cam_answers_v1_form_and_query_and_tc3_with_the_cam_scope(kms_env, raw, make_account):
    account = make_account("cam-styles")
    name = unique_name("v1")
    added = ok(raw.v1(account, "AddUser", {"Name": name, "UseApi": 1}, version=CAM_VERSION, region=None))
    assert added["Name"] == name and added["SecretId"].startswith("AKID")
    listed = ok(raw.v1(account, "ListUsers", {}, version=CAM_VERSION, region=FIPS_REGION, method="GET"))
    assert name in [u["Name"] for u in listed["Data"]]
    got = ok(raw.tc3(account, "GetUser", {"Name": name}, version=CAM_VERSION, service="cam", region=None))
    assert got["Uin"] == added["Uin"]

    # DeletePolicy's integer list, flattened in a v1 form (PolicyId.0=…).
    ids = [Cam(account, kms_env.endpoint).CreatePolicy(PolicyName=unique_name(f"p{i}"), PolicyDocument=POLICY).PolicyId
           for i in range(2)]
    ok(raw.v1(account, "DeletePolicy", {"PolicyId": ids}, version=CAM_VERSION, region=None))
    assert ok(raw.v1(account, "ListPolicies", {}, version=CAM_VERSION, region=None))["TotalNum"] == 0


def test_services_stay_apart(raw, make_account):
    account = make_account("cam-apart")
    assert_code(raw.v1(account, "ListUsers", {}), "InvalidAction")  # KMS's version
    assert_code(raw.tc3(account, "ListUsers", {}, service="kms"), "InvalidAction")
    assert_code(raw.tc3(account, "ListKeys", {}, version=CAM_VERSION, service="cam", region=None), "InvalidAction")
    # A scope naming CAM with KMS's version: the version does not exist for CAM.
    assert_code(raw.tc3(account, "ListUsers", {}, service="cam", region=None), "NoSuchVersion")
