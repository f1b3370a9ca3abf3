"""Wire contract: response shape and Content-Type, common errors (InvalidAction, NoSuchVersion,
MissingParameter, UnknownParameter, InvalidParameter, malformed bodies), coercion of query values,
nginx body limit, HTTPS with the local CA, concurrency."""

from concurrent.futures import ThreadPoolExecutor

import certifi
import pytest
import requests

from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from e2e_support import (
    FIPS_REGION, JSON_CT, SM_REGION, UUID_RE, assert_code, assert_codes, ok, random_key_id, response_body,
)


# ------------------------------------------------------------------------------------------------
# response contract
# ------------------------------------------------------------------------------------------------

def test_success_response_is_json_with_fresh_request_id(raw, account_a):
    first = ok(raw.tc3(account_a, "GetServiceStatus"))
    second = ok(raw.tc3(account_a, "GetServiceStatus"))
    assert first["ServiceEnabled"] is True
    assert first["RequestId"] != second["RequestId"]


def test_error_response_has_code_message_and_request_id(raw, account_a):
    resp = raw.tc3(account_a, "DescribeKey", {"KeyId": random_key_id()})
    assert resp.status_code == 200 and resp.headers["Content-Type"] == JSON_CT
    body = resp.json()["Response"]
    assert set(body) == {"Error", "RequestId"}
    assert set(body["Error"]) == {"Code", "Message"}
    assert body["Error"]["Code"] == "ResourceUnavailable.CmkNotFound"


def test_key_ids_in_raw_responses_are_lowercase_uuids(raw, account_a):
    body = ok(raw.tc3(account_a, "CreateKey", {"Alias": f"raw-{random_key_id()[:8]}"}))
    assert UUID_RE.match(body["KeyId"]), body["KeyId"]
    assert isinstance(body["CreateTime"], int)


# ------------------------------------------------------------------------------------------------
# common errors
# ------------------------------------------------------------------------------------------------

def test_unknown_action_is_invalid_action(raw, client, account_a):
    assert_code(raw.tc3(account_a, "FrobnicateKey", {}), "InvalidAction")
    assert_code(lambda: client(account_a, FIPS_REGION).call("NoSuchAction"), "InvalidAction")


def test_wrong_version_is_no_such_version(raw, account_a):
    assert_code(raw.tc3(account_a, "ListKeys", {}, version="2018-01-01"), "NoSuchVersion")
    assert_code(raw.v1(account_a, "ListKeys", {}, version="2018-01-01"), "NoSuchVersion")


def test_missing_region_is_rejected(raw, account_a):
    assert_code(raw.tc3(account_a, "ListKeys", {}, region=None),
                ("MissingParameter", "UnsupportedRegion", "InvalidParameter*"))


def _checks(kms, expected, calls):
    """calls: [(action, params)] -> assert_codes cases, each labelled with its request."""
    return [(f"{action} {params}", lambda action=action, params=params: kms.call(action, **params), expected)
            for action, params in calls]


def test_missing_required_parameter_is_reported(fips_a):
    key_id = fips_a.new_key_id()
    assert_codes(_checks(fips_a, "MissingParameter", [
        ("DescribeKey", {}),
        ("Encrypt", {"KeyId": key_id}),
        ("Decrypt", {}),
        ("UpdateAlias", {"KeyId": key_id}),
        ("UpdateKeyDescription", {"KeyId": key_id}),
        ("GenerateDataKey", {"KeySpec": "AES_256"}),
        ("EnableKey", {}),
    ]))


def test_unknown_parameter_is_rejected(fips_a):
    key_id = fips_a.new_key_id()
    assert_codes(_checks(fips_a, "UnknownParameter", [
        ("DescribeKey", {"KeyId": key_id, "Bogus": 1}),
        ("ListKeys", {"Limit": 5, "NoSuchField": "x"}),
        ("Encrypt", {"KeyId": key_id, "Plaintext": "aGk=", "Plaintxt": "aGk="}),
    ]))


def test_wrong_json_type_is_invalid_parameter(fips_a):
    assert_codes(_checks(fips_a, "InvalidParameter*", [
        ("ListKeys", {"Limit": "abc"}),
        ("ListKeys", {"Limit": 1.5}),
        ("DescribeKeys", {"KeyIds": "x"}),
        ("DescribeKey", {"KeyId": 123}),
        ("DescribeKey", {"KeyId": ["x"]}),
        ("CreateKey", {"Alias": "e2e-typed", "Type": "one"}),
    ]))


def test_malformed_json_body_is_rejected(raw, account_a):
    bodies = {"truncated": b'{"Limit": 5', "not JSON": b"not json at all", "array": b"[1, 2]",
              "invalid UTF-8": b'{"Limit": "\xff\xfe"}', "bare string": b'"Limit"'}
    # response_body() inside assert_code also checks: HTTP 200 and Content-Type application/json
    assert_codes((label, lambda b=b: raw.tc3(account_a, "ListKeys", body=b), "InvalidParameter*")
                 for label, b in bodies.items())


def test_query_values_are_coerced_to_declared_types(raw, client, account_a):
    kms = client(account_a, FIPS_REGION)
    key_id = kms.new_key_id()
    body = ok(raw.tc3(account_a, "ListKeyDetail",
                      {"Limit": "2", "Offset": "0", "KeyState": "0", "OrderType": "0"}, method="GET"))
    assert len(body["KeyMetadatas"]) <= 2
    body = ok(raw.v1(account_a, "GenerateDataKey", {"KeyId": key_id, "NumberOfBytes": "17"}))
    assert len(kms.decrypt(body["CiphertextBlob"])) == 17


def test_query_value_of_wrong_type_is_invalid_parameter(raw, account_a):
    assert_code(raw.tc3(account_a, "ListKeys", {"Limit": "abc"}, method="GET"), "InvalidParameter*")


def test_unsigned_request_gets_json_error(raw):
    for method in ("GET", "POST"):
        body = response_body(raw.send(method, headers={"Content-Type": JSON_CT}, body=b"{}" if method == "POST" else None))
        assert "Error" in body


# ------------------------------------------------------------------------------------------------
# nginx
# ------------------------------------------------------------------------------------------------

def test_oversized_body_is_rejected_by_nginx(raw, account_a):
    body = ('{"KeyId":"%s","Plaintext":"%s"}' % (random_key_id(), "A" * 100 * 1024)).encode()
    resp = raw.send("POST", headers={"Content-Type": JSON_CT, "X-TC-Action": "Encrypt",
                                     "X-TC-Version": "2019-01-18", "X-TC-Region": FIPS_REGION},
                    body=body)
    assert resp.status_code == 413


def test_largest_legal_plaintext_fits_through_nginx(fips_a):
    key_id = fips_a.new_key_id()
    data = bytes(range(256)) * 16  # 4096 bytes -> ~5.5 KB of Base64
    assert fips_a.decrypt(fips_a.encrypt(key_id, data)) == data


# ------------------------------------------------------------------------------------------------
# HTTPS
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("sign", ["TC3-HMAC-SHA256", "HmacSHA256"])
def test_sdk_works_over_https_with_local_ca(client, account_a, sign):
    kms = client(account_a, SM_REGION, sign=sign, https=True)
    assert kms.GetServiceStatus().ServiceEnabled is True
    key_id = kms.new_key_id()
    assert kms.decrypt(kms.encrypt(key_id, b"over tls", '{"tls":"yes"}'), '{"tls":"yes"}') == b"over tls"


def test_sdk_over_https_without_local_ca_fails_verification(client, account_a):
    kms = client(account_a, FIPS_REGION, https=True, ca=False)
    with pytest.raises(TencentCloudSDKException) as exc_info:
        kms.GetServiceStatus()
    assert exc_info.value.code == "ClientNetworkError"
    assert any(s in str(exc_info.value.message) for s in ("CERTIFICATE_VERIFY_FAILED", "SSL", "certificate")), \
        exc_info.value.message


def test_raw_https_request_verifies_against_local_ca(raw_https, kms_env, account_a):
    ok(raw_https.tc3(account_a, "ListKeys", {"Limit": 1}))
    with pytest.raises(requests.exceptions.SSLError):
        # the public trust store (explicitly, so REQUESTS_CA_BUNDLE cannot interfere) rejects it
        requests.get(f"https://{kms_env.https_endpoint}/", timeout=10, verify=certifi.where())


# ------------------------------------------------------------------------------------------------
# concurrency
# ------------------------------------------------------------------------------------------------

def test_concurrent_requests_all_succeed(client, account_a):
    keys = {r: client(account_a, r).new_key_id() for r in (FIPS_REGION, SM_REGION)}

    def round_trip(i):
        region = SM_REGION if i % 2 else FIPS_REGION
        kms = client(account_a, region)
        data = f"message {i}".encode() * (i + 1)
        return kms.decrypt(kms.encrypt(keys[region], data)) == data

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(round_trip, range(32)))
    assert all(results)
