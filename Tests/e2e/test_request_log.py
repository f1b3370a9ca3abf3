"""The responder's log (SPEC §7 "Logs"): one JSON object per line; every API request, answered
or refused, is one `request` line whose `request_id` is exactly the `RequestId` the caller got,
with `action`, `app_id`, `code` (`OK` or the Tencent code) and `duration_ms`; and nothing a
caller sent or received in secret (SecretKey, signature, plaintext, data key) is in it.
"""

import json
import os
import re
import sys
import time

import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from e2e_support import FIPS_REGION, b64, random_key_id, unb64

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "faults"))
from faults_support import secret_forms  # noqa: E402

TS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
REQUEST_FIELDS = {"ts", "level", "event", "request_id", "action", "app_id", "code", "duration_ms"}
# The responder writes its log in batches every 100 ms; give it a few.
FLUSH_WAIT = 3.0


def log_path(kms_env):
    return os.path.join(kms_env.home, "log", "responder.log")


def log_lines(kms_env):
    with open(log_path(kms_env), "rb") as fh:
        return fh.read().decode("utf-8").splitlines()


def request_lines(kms_env, request_id):
    """The `request` lines naming ``request_id``, waiting for the log to be flushed."""
    deadline = time.monotonic() + FLUSH_WAIT
    while True:
        found = [json.loads(line) for line in log_lines(kms_env) if request_id in line]
        found = [o for o in found if o.get("event") == "request"]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def the_line(kms_env, request_id):
    found = request_lines(kms_env, request_id)
    assert len(found) == 1, f"RequestId {request_id}: {len(found)} request lines in the log, want exactly 1: {found}"
    line = found[0]
    assert REQUEST_FIELDS <= line.keys(), f"missing {REQUEST_FIELDS - line.keys()} in {line}"
    assert TS.match(line["ts"]), line["ts"]
    assert isinstance(line["duration_ms"], (int, float)) and 0 <= line["duration_ms"] < 60_000, line
    return line


def test_an_sdk_request_is_one_line_with_its_request_id(kms_env, client, account_a):
    kms = client(account_a, FIPS_REGION)
    key_id = kms.new_key_id(Description="e2e request log")
    answer = kms.Encrypt(KeyId=key_id, Plaintext=b64(b"logged by id, never by value"))
    line = the_line(kms_env, answer.RequestId)
    assert line["event"] == "request" and line["level"] == "info", line
    assert line["action"] == "Encrypt", line
    assert line["app_id"] == int(account_a.app_id), line
    assert line["code"] == "OK", line
    assert line["region"] == FIPS_REGION, line
    assert line["key_id"] == key_id, line
    assert "at" not in line, f"a success says nowhere where it failed: {line}"


def test_a_refused_request_is_logged_with_its_tencent_code(kms_env, client, account_a):
    kms = client(account_a, FIPS_REGION)
    with pytest.raises(TencentCloudSDKException) as refused:
        kms.DescribeKey(KeyId=random_key_id())
    line = the_line(kms_env, refused.value.requestId)
    assert line["code"] == refused.value.code and line["code"].startswith("ResourceUnavailable"), line
    assert line["action"] == "DescribeKey" and line["app_id"] == int(account_a.app_id), line
    assert line["level"] == "info", f"a client's error is not the service's: {line}"
    assert "at" not in line, f"the source location is logged for InternalError only: {line}"


def test_an_unauthenticated_request_is_logged_without_an_account(kms_env, raw, account_a):
    resp = raw.tc3(account_a, "ListKeys", {}, secret_key="x" * 32)
    body = resp.json()["Response"]
    assert body["Error"]["Code"] == "AuthFailure.SignatureFailure", body
    line = the_line(kms_env, body["RequestId"])
    assert line["code"] == "AuthFailure.SignatureFailure" and line["app_id"] is None, line
    assert line["action"] == "ListKeys", line


def test_every_line_of_the_log_is_a_json_object_with_ts_level_and_event(kms_env, client, account_a):
    client(account_a, FIPS_REGION).ListKeys()
    time.sleep(0.3)
    lines = log_lines(kms_env)
    assert lines, "the log is empty"
    bad = []
    for number, text in enumerate(lines, 1):
        try:
            obj = json.loads(text)
        except ValueError:
            bad.append(f"{number}: not JSON: {text[:200]}")
            continue
        if not isinstance(obj, dict) or not {"ts", "level", "event"} <= obj.keys() or not TS.match(obj["ts"]):
            bad.append(f"{number}: {text[:200]}")
        elif obj["level"] not in ("debug", "info", "warning", "error") or not re.fullmatch(r"[a-z][a-z0-9_]*", obj["event"]):
            bad.append(f"{number}: level/event: {text[:200]}")
    assert not bad, f"{len(bad)} of {len(lines)} lines are not log records:\n" + "\n".join(bad[:10])


def test_no_secret_a_caller_sent_or_received_is_in_the_log(kms_env, client, raw, make_account, make_credential):
    account = make_account("log-secrets")
    second = make_credential(account)
    kms = client(account, FIPS_REGION)
    needles = {"SecretKey": account.secret_key.encode(), "second SecretKey": second.secret_key.encode()}
    key_id = kms.new_key_id(Description="e2e log secrets")
    ids = []

    plain = os.urandom(24)
    needles["Encrypt plaintext"] = plain
    ids.append(kms.Encrypt(KeyId=key_id, Plaintext=b64(plain)).RequestId)

    data_key = kms.GenerateDataKey(KeyId=key_id, KeySpec="AES_256")
    needles["data key"] = unb64(data_key.Plaintext)
    ids.append(data_key.RequestId)

    # v1 GET: the plaintext travels in the query string.
    plain_v1 = os.urandom(24)
    needles["v1 GET plaintext"] = plain_v1
    resp = raw.v1(account, "Encrypt", {"KeyId": key_id, "Plaintext": b64(plain_v1)}, method="GET")
    ids.append(resp.json()["Response"]["RequestId"])

    # A refused request with a plaintext and a wrong signature the log must not repeat.
    plain_refused = os.urandom(24)
    needles["refused plaintext"] = plain_refused
    wrong_key = "w" * 32
    resp = raw.tc3(account, "Encrypt", {"KeyId": key_id, "Plaintext": b64(plain_refused)}, secret_key=wrong_key)
    body = resp.json()["Response"]
    assert body["Error"]["Code"] == "AuthFailure.SignatureFailure", body
    signature = re.search(r"Signature=([0-9a-f]{64})", resp.request.headers["Authorization"]).group(1)
    needles["refused request's signature"] = signature.encode()
    ids.append(body["RequestId"])

    for request_id in ids:
        assert len(request_lines(kms_env, request_id)) == 1, f"no request line for {request_id}"
    with open(log_path(kms_env), "rb") as fh:
        log = fh.read()
    found = []
    for label, secret in needles.items():
        text = label in ("SecretKey", "second SecretKey", "refused request's signature")
        for form, value in secret_forms(secret, text=text).items():
            if value in log:
                found.append(f"{label} ({form})")
    assert not found, f"secrets in {log_path(kms_env)}: {found}"

