"""The Organization actions in every request style the service speaks (issue 14): TC3 over POST JSON
and GET query with the `organization` scope, and v1 (HmacSHA256 / HmacSHA1) over POST form and GET
query with Version 2021-03-31 — lists of integers arrive flattened (`MemberUin.0=…`) and are
checked element by element. Global: no Region needed.
"""

import uuid

import pytest

from e2e_support import RawClient, assert_code, response_body
from organization_support import operator_account

VERSION = "2021-03-31"


@pytest.fixture(scope="module")
def operator(kms_env):
    return operator_account(kms_env)


def create_params(label):
    name = f"e2e-{label}-{uuid.uuid4().hex[:6]}"
    return name, {"Name": name, "AccountName": name, "PolicyType": "Financial", "PermissionIds": [1, 2, 7], "NodeId": 1}


def listed(raw, operator, name):
    body = response_body(raw.tc3(operator, "DescribeOrganizationMembers", {"Offset": 0, "Limit": 10, "SearchKey": name},
                                 service="organization", version=VERSION, region=None, method="GET"))
    return [(m["Name"], m["PermissionStatus"]) for m in body["Items"]]


@pytest.mark.parametrize("method, sign_method", [("POST", "HmacSHA256"), ("GET", "HmacSHA1")])
def test_v1_form_and_query_requests_create_and_disable_members(raw, operator, method, sign_method):
    name, params = create_params("v1")
    created = response_body(raw.v1(operator, "CreateOrganizationMember", params, version=VERSION, region=None,
                                   method=method, sign_method=sign_method))
    uin = created["Uin"]
    assert listed(raw, operator, name) == [(name, "Confirmed")]
    response_body(raw.v1(operator, "DeleteOrganizationMembers", {"MemberUin": [uin]}, version=VERSION, region=None,
                         method=method, sign_method=sign_method))
    assert listed(raw, operator, name) == [(name, "UnConfirmed")]


def test_tc3_json_with_the_organization_scope_and_any_region(raw, operator):
    name, params = create_params("tc3")
    body = response_body(raw.tc3(operator, "CreateOrganizationMember", params, service="organization", version=VERSION,
                                 region="ap-nowhere-1"))
    assert isinstance(body["Uin"], int)
    assert listed(raw, operator, name) == [(name, "Confirmed")]


@pytest.mark.parametrize("member_uin", ["abc", "1.5", "", "99999999999999999999"])
def test_a_flattened_integer_that_is_not_one_is_invalid_parameter(raw, operator, member_uin):
    resp = raw.v1(operator, "DeleteOrganizationMembers", {"MemberUin": [member_uin]}, version=VERSION, region=None)
    assert_code(resp, "InvalidParameter")
