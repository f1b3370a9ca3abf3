"""SPEC §6 "A signature authorises one request shape": a captured request cannot be re-sent as
another action, region or version; identical repeats stay allowed; a v1 nonce is single-use; a
repeated X-TC-* header is refused, checked through the real nginx (1.22 passes each copy of a
repeated header to FastCGI as its own parameter)."""

import json
import random
import socket
from urllib.parse import urlencode

import pytest

from e2e_support import (FIPS_REGION, FIPS_REGION_2, FORM_CT, JSON_CT, VERSION, now, response_body,
                         tc3_signature, v1_signature)


def code_of(resp):
    return response_body(resp).get("Error", {}).get("Code")


@pytest.mark.parametrize("replayed_as", ["DisableKey", "ArchiveKey", "ScheduleKeyDeletion"])
def test_a_captured_describe_key_cannot_be_replayed_as_another_action(raw, fips_a, account_a, replayed_as):
    key = fips_a.new_key_id()
    ts = now()
    # The same body, timestamp and credential give the same signature: only X-TC-Action differs.
    first = raw.tc3(account_a, "DescribeKey", {"KeyId": key}, timestamp=ts)
    assert code_of(first) is None
    replay = raw.tc3(account_a, replayed_as, {"KeyId": key}, timestamp=ts)
    assert code_of(replay) == "AuthFailure.SignatureFailure"
    assert fips_a.state(key) == "Enabled"


def test_a_captured_request_cannot_be_replayed_in_another_region_or_version(raw, fips_a, account_a):
    key = fips_a.new_key_id()
    ts = now()
    assert code_of(raw.tc3(account_a, "ListKeys", {"Limit": 3}, timestamp=ts)) is None
    assert code_of(raw.tc3(account_a, "ListKeys", {"Limit": 3}, timestamp=ts, region=FIPS_REGION_2)) \
        == "AuthFailure.SignatureFailure"
    assert code_of(raw.tc3(account_a, "ListKeys", {"Limit": 3}, timestamp=ts, version="2017-03-12")) in (
        "AuthFailure.SignatureFailure", "NoSuchVersion")
    assert fips_a.state(key) == "Enabled"


def test_identical_repeats_of_a_tc3_request_are_allowed(raw, fips_a, account_a):
    key = fips_a.new_key_id()
    ts = now()
    for _ in range(3):
        resp = raw.tc3(account_a, "DescribeKey", {"KeyId": key}, timestamp=ts)
        assert response_body(resp)["KeyMetadata"]["KeyId"] == key


def v1_form(account, endpoint, action, params, nonce, ts):
    p = dict(params)
    p.update({"Action": action, "Version": VERSION, "Region": FIPS_REGION, "Timestamp": str(ts),
              "Nonce": str(nonce), "SecretId": account.secret_id, "SignatureMethod": "HmacSHA256"})
    p["Signature"] = v1_signature(account.secret_key, method="POST", host=endpoint, params=p)
    return urlencode(p).encode("ascii")


def test_a_v1_nonce_is_single_use(raw, fips_a, account_a):
    key = fips_a.new_key_id()
    nonce, ts = random.randint(1, 2**31 - 1), now()
    body = v1_form(account_a, raw.endpoint, "DescribeKey", {"KeyId": key}, nonce, ts)
    headers = {"Host": raw.endpoint, "Content-Type": FORM_CT}
    assert code_of(raw.send("POST", headers=headers, body=body)) is None
    assert code_of(raw.send("POST", headers=headers, body=body)) == "AuthFailure.SignatureFailure"
    # The same nonce with another timestamp is another request.
    other = v1_form(account_a, raw.endpoint, "DescribeKey", {"KeyId": key}, nonce, ts - 1)
    assert code_of(raw.send("POST", headers=headers, body=other)) is None


def send_with_headers(endpoint, headers, body):
    """One HTTP/1.1 request on a raw socket, so that a header can be sent twice."""
    host, port = endpoint.rsplit(":", 1)
    lines = ["POST / HTTP/1.1"] + [f"{k}: {v}" for k, v in headers] + [f"Content-Length: {len(body)}",
                                                                        "Connection: close", "", ""]
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall("\r\n".join(lines).encode() + body)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, payload = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), head
    return json.loads(payload)["Response"]


@pytest.mark.parametrize("repeated", ["X-TC-Action", "X-TC-Region", "X-TC-Version"])
def test_a_repeated_signature_header_is_refused_through_nginx(raw, fips_a, account_a, repeated):
    key = fips_a.new_key_id()
    ts = now()
    body = json.dumps({"KeyId": key}).encode()
    signature, signed, date = tc3_signature(account_a.secret_key, method="POST", query="",
                                            headers={"content-type": JSON_CT, "host": raw.endpoint},
                                            payload=body, timestamp=ts)
    headers = [("Host", raw.endpoint), ("Content-Type", JSON_CT), ("X-TC-Action", "DescribeKey"),
               ("X-TC-Version", VERSION), ("X-TC-Region", FIPS_REGION), ("X-TC-Timestamp", str(ts)),
               ("Authorization", f"TC3-HMAC-SHA256 Credential={account_a.secret_id}/{date}/kms/tc3_request, "
                                 f"SignedHeaders={signed}, Signature={signature}")]
    second = {"X-TC-Action": "DisableKey", "X-TC-Region": FIPS_REGION_2, "X-TC-Version": VERSION}[repeated]
    answer = send_with_headers(raw.endpoint, headers + [(repeated.lower(), second)], body)
    assert answer["Error"]["Code"] == "InvalidParameter", answer
    assert fips_a.state(key) == "Enabled"
    # The same request with each header once is served.
    assert send_with_headers(raw.endpoint, headers, body)["KeyMetadata"]["KeyId"] == key
