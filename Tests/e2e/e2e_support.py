"""Helpers shared by the end-to-end suite (no pytest fixtures here; see conftest.py).

* ``Kms``        -- thin wrapper around the official ``KmsClient``: ``kms.Encrypt(KeyId=..., Plaintext=...)``
                    builds ``models.EncryptRequest`` and returns the SDK response model;
                    ``kms.call("Action", **params)`` sends arbitrary params through the SDK
                    (``call_json``), which is how wrong types / unknown parameters are sent.
* ``RawClient``  -- hand-built TC3 and v1 requests with ``requests`` (explicit timestamp, tampering,
                    extra signed headers, ...). Every raw response goes through ``response_body``,
                    which asserts HTTP 200 and ``Content-Type: application/json`` exactly.
* ``assert_code`` -- checks the error code of an SDK exception / raw response / callable.
"""

import base64
import hashlib
import hmac
import json
import os
import random
import re
import subprocess
import sys
import threading
import time
import uuid
import warnings
from dataclasses import dataclass
from urllib.parse import urlencode

import pytest
import requests

from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.kms.v20190118 import kms_client, models

# The TC3 signer is shared with the bench (bench/tc3.py): one implementation of Tencent's algorithm.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "support"))
from tencent_tc3 import tc3_signature, utc_date  # noqa: E402,F401  (tests import both from here)

# --------------------------------------------------------------------------------------------------
# constants
# --------------------------------------------------------------------------------------------------

VERSION = "2019-01-18"
SERVICE = "kms"
JSON_CT = "application/json"
FORM_CT = "application/x-www-form-urlencoded"

FIPS_REGION = "ap-guangzhou"
FIPS_REGION_2 = "ap-beijing"
SM_REGION = "ap-shanghai-fsi"
SERVED_REGIONS = (FIPS_REGION, FIPS_REGION_2, SM_REGION)
UNSUPPORTED_REGION = "ap-nowhere-1"


@dataclass(frozen=True)
class Profile:
    name: str
    key_type: int  # KeyMetadata.Type
    symmetric: str  # ListAlgorithms SymmetricAlgorithms[].Algorithm


FIPS = Profile("FIPS", 2, "AES_256")
SM = Profile("SM", 4, "SM4")
PROFILE_OF = {FIPS_REGION: FIPS, FIPS_REGION_2: FIPS, SM_REGION: SM}

# every action that takes a KeyId and must answer CmkNotFound for a key the caller cannot see,
# with the other parameters it needs (KeyId is added by the test)
KEY_ACTIONS = {
    "DescribeKey": {},
    "Encrypt": {"Plaintext": "aGVsbG8="},
    "EnableKey": {},
    "DisableKey": {},
    "UpdateAlias": {"Alias": "e2e-never-applied"},
    "UpdateKeyDescription": {"Description": "never applied"},
    "GenerateDataKey": {"KeySpec": "AES_256"},
}


def key_action_params(action, key_id):
    """Parameters for ``KEY_ACTIONS[action]`` on ``key_id`` (a fresh alias for UpdateAlias, so an
    alias collision can never mask the CmkNotFound under test)."""
    params = {"KeyId": key_id, **KEY_ACTIONS[action]}
    if "Alias" in params:
        params["Alias"] = f"e2e-never-{uuid.uuid4().hex[:12]}"
    return params

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
UUID_ANYCASE_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
CJK_RE = re.compile(r"[\u3400-\u9fff]")


@dataclass(frozen=True)
class Account:
    name: str
    app_id: str
    uin: str
    secret_id: str
    secret_key: str

    @classmethod
    def from_ctl(cls, name, data):
        for field in ("AppId", "Uin", "SecretId", "SecretKey"):
            assert field in data, f"`kms ctl` output lacks {field}: {data!r}"
        return cls(name=name, app_id=str(data["AppId"]), uin=str(data["Uin"]),
                   secret_id=str(data["SecretId"]), secret_key=str(data["SecretKey"]))

    def with_secret(self, secret_id, secret_key):
        return Account(self.name, self.app_id, self.uin, secret_id, secret_key)


# --------------------------------------------------------------------------------------------------
# small utilities
# --------------------------------------------------------------------------------------------------

def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


def unique_alias(prefix="e2e"):
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


def random_key_id():
    return str(uuid.uuid4())


def now():
    return int(time.time())


def flatten(params, prefix=None):
    """Flatten like the SDK does for GET / v1: ``KeyIds.0=a``, ``Tags.0.TagKey=x``. Values -> str."""
    out = []
    if isinstance(params, dict):
        for k, v in params.items():
            out += flatten(v, f"{prefix}.{k}" if prefix else str(k))
    elif isinstance(params, (list, tuple)):
        for i, v in enumerate(params):
            out += flatten(v, f"{prefix}.{i}" if prefix else str(i))
    else:
        out.append((prefix, params if isinstance(params, str) else json.dumps(params)))
    return out


def code_matches(code, pattern):
    """``"A.B"`` exact; ``"A*"`` = the family A (``A`` itself or ``A.<anything>``)."""
    if code is None:
        return False
    if pattern.endswith("*"):
        family = pattern[:-1]
        return code == family or code.startswith(family + ".")
    return code == pattern


def _patterns(expected):
    return (expected,) if isinstance(expected, str) else tuple(expected)


def assert_code(target, expected):
    """Assert that ``target`` failed with an error code matching ``expected``.

    ``target``: a ``pytest.ExceptionInfo``, a ``TencentCloudSDKException``, a raw ``requests.Response``,
    a parsed ``Response`` dict, or a zero-argument callable (SDK call or raw call) that must fail.
    ``expected``: a code, a family pattern ``"InvalidParameterValue*"``, or a tuple of those.
    Returns ``(code, message)``.
    """
    patterns = _patterns(expected)
    if callable(target) and not isinstance(target, (requests.Response, dict)):
        try:
            result = target()
        except TencentCloudSDKException as exc:
            target = exc
        else:
            if isinstance(result, (requests.Response, dict)):
                target = result
            else:
                pytest.fail(f"expected error {patterns}, but the call succeeded: {result!r}")
    if isinstance(target, pytest.ExceptionInfo):
        target = target.value
    if isinstance(target, TencentCloudSDKException):
        code, message, request_id = target.code, target.message, target.requestId
        where = "SDK"
    else:
        body = response_body(target) if isinstance(target, requests.Response) else target
        error = body.get("Error")
        if error is None:
            pytest.fail(f"expected error {patterns}, got a success response: {body!r}")
        code, message, request_id = error.get("Code"), error.get("Message"), body.get("RequestId")
        where = "raw"
    assert any(code_matches(code, p) for p in patterns), (
        f"expected error code {' | '.join(patterns)}, got {code!r} ({where}): {message!r} "
        f"[RequestId {request_id}]")
    assert isinstance(message, str) and message.strip(), f"error {code} has an empty Message"
    return code, message


def assert_codes(cases):
    """Check many ``(label, target, expected)`` cases with ``assert_code`` and report every
    mismatch at once (one test, full diagnostics)."""
    failures = []
    for label, target, expected in cases:
        try:
            assert_code(target, expected)
        except (AssertionError, pytest.fail.Exception) as exc:
            failures.append(f"[{label}] {exc}")
    if failures:
        pytest.fail(f"{len(failures)} case(s) failed:\n" + "\n".join(failures), pytrace=False)


# --------------------------------------------------------------------------------------------------
# SDK wrapper
# --------------------------------------------------------------------------------------------------

def _check_sdk_http(resp, *args, **kwargs):
    """requests response hook installed on every SDK client: the Python SDK only recognises an
    error when the status is 200 and Content-Type is exactly application/json; anything else would
    silently turn an error into an empty 'success'. Raising here surfaces as ClientNetworkError."""
    ct = resp.headers.get("Content-Type")
    if resp.status_code != 200 or ct != JSON_CT:
        raise AssertionError(
            f"service answered HTTP {resp.status_code} with Content-Type {ct!r}; "
            f"expected 200 and exactly {JSON_CT!r}")


# SPEC §6: the service remembers each TC3 signature with the action, region and version it was
# first used with and refuses it with any other. The SDK signs only content-type and host, so two
# different actions (or regions) with the same body in the same second carry the same signature —
# what a legitimate client does then is wait for the next second and sign again (README,
# "Decisions where the API is silent"). The helpers here do exactly that: they remember what each
# signature they sent was for, and never send one again for something else.
_SENT_SHAPES = {}
_SENT_LOCK = threading.Lock()
SHAPE_COLLISION = "e2e: this signature was already sent for another action/region/version"


def claim_signature(headers) -> bool:
    """Records the shape a TC3 request's signature is sent with; False when the same signature was
    already sent with another shape (the request would be refused as a replay)."""
    auth = headers.get("Authorization") or ""
    marker = "Signature="
    if marker not in auth:
        return True
    sig = auth.split(marker, 1)[1].strip()
    shape = (headers.get("X-TC-Action"), headers.get("X-TC-Region"), headers.get("X-TC-Version"))
    with _SENT_LOCK:
        if len(_SENT_SHAPES) > 200_000:
            _SENT_SHAPES.clear()
        return _SENT_SHAPES.setdefault(sig, shape) == shape


def wait_next_second():
    time.sleep(1.02 - (time.time() % 1.0))


def _guarded_send(send):
    def send_once(prepared, **kwargs):
        if not claim_signature(prepared.headers):
            raise RuntimeError(SHAPE_COLLISION)
        return send(prepared, **kwargs)
    return send_once


def _sdk_call(fn):
    """``fn()`` (one SDK call), signed again in the next second if its signature collided."""
    for attempt in range(3):
        try:
            return fn()
        except TencentCloudSDKException as exc:
            if SHAPE_COLLISION not in str(exc) or attempt == 2:
                raise
            wait_next_second()


class SdkClient:
    """One of Tencent's official SDK clients (``CLIENT``, request models in ``MODELS``) signed with
    ``account``: ``client.Action(**fields)`` builds the SDK's request model (every field must be one it
    knows) and returns its response model; ``client.call("Action", **params)`` sends anything. Every
    request goes through the HTTP contract hook and the signature guard."""

    CLIENT = None
    MODELS = None

    def __init__(self, account, region, endpoint, *, scheme="http", method="POST",
                 sign="TC3-HMAC-SHA256", language=None, certification=None, timeout=30):
        self.account = account
        self.region = region
        http_profile = HttpProfile(protocol=scheme, endpoint=endpoint, reqMethod=method,
                                   reqTimeout=timeout, certification=certification)
        kwargs = {"language": language} if language else {}
        profile = ClientProfile(signMethod=sign, httpProfile=http_profile, **kwargs)
        cred = credential.Credential(account.secret_id, account.secret_key)
        self.sdk = type(self).CLIENT(cred, region, profile)
        session = getattr(getattr(self.sdk.request, "conn", None), "_session", None)
        if session is not None:
            session.hooks["response"].append(_check_sdk_http)
            session.send = _guarded_send(session.send)

    def __getattr__(self, action):
        if not action[:1].isupper():
            raise AttributeError(action)
        request_cls = getattr(type(self).MODELS, action + "Request")

        def invoke(**fields):
            req = request_cls()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                req.from_json_string(json.dumps(fields))
            for name in fields:  # the model must know every field we mean to send
                assert hasattr(req, "_" + name), f"{action}Request has no field {name}"
            return _sdk_call(lambda: getattr(self.sdk, action)(req))

        invoke.__name__ = action
        return invoke

    def call(self, action, **params):
        """Send arbitrary params (unknown / wrongly typed ones too), signed by the SDK. Returns the
        ``Response`` dict; raises TencentCloudSDKException on an error response."""
        return _sdk_call(lambda: self.sdk.call_json(action, params))["Response"]


class Kms(SdkClient):
    """``Kms(account, region, endpoint)``; ``kms.DescribeKey(KeyId=k).KeyMetadata.KeyState``."""

    CLIENT = kms_client.KmsClient
    MODELS = models

    # conveniences ---------------------------------------------------------------------------
    def new_key(self, alias=None, **fields):
        fields.setdefault("Alias", alias or unique_alias())
        return self.CreateKey(**fields)

    def new_key_id(self, **fields):
        return self.new_key(**fields).KeyId

    def state(self, key_id):
        return self.DescribeKey(KeyId=key_id).KeyMetadata.KeyState

    def encrypt(self, key_id, data: bytes, context=None):
        fields = {"KeyId": key_id, "Plaintext": b64(data)}
        if context is not None:
            fields["EncryptionContext"] = context
        return self.Encrypt(**fields).CiphertextBlob

    def decrypt(self, blob, context=None) -> bytes:
        fields = {"CiphertextBlob": blob}
        if context is not None:
            fields["EncryptionContext"] = context
        return unb64(self.Decrypt(**fields).Plaintext)

    def list_all_key_ids(self):
        ids, offset = [], 0
        while True:
            resp = self.ListKeys(Offset=offset, Limit=200)
            page = [k.KeyId for k in (resp.Keys or [])]
            ids += page
            offset += len(page)
            if not page or offset >= resp.TotalCount:
                return ids


# --------------------------------------------------------------------------------------------------
# hand-made requests
# --------------------------------------------------------------------------------------------------

def response_body(resp: requests.Response):
    """Assert the wire contract of one raw response and return its ``Response`` object."""
    ct = resp.headers.get("Content-Type")
    assert resp.status_code == 200, f"HTTP {resp.status_code} (want 200): {resp.text[:500]!r}"
    assert ct == JSON_CT, f"Content-Type {ct!r} (want exactly {JSON_CT!r})"
    try:
        doc = resp.json()
    except ValueError:
        pytest.fail(f"response body is not JSON: {resp.text[:500]!r}")
    assert isinstance(doc, dict) and isinstance(doc.get("Response"), dict), f"no Response object: {doc!r}"
    body = doc["Response"]
    rid = body.get("RequestId")
    assert isinstance(rid, str) and UUID_ANYCASE_RE.match(rid), f"RequestId {rid!r} is not a UUID"
    if "Error" in body:
        err = body["Error"]
        assert isinstance(err, dict) and isinstance(err.get("Code"), str) and isinstance(err.get("Message"), str), \
            f"malformed Error object: {body!r}"
    return body


def ok(resp: requests.Response):
    body = response_body(resp)
    assert "Error" not in body, f"unexpected error: {body['Error']!r}"
    return body


def v1_signature(secret_key, *, method, host, params, sign_method="HmacSHA256"):
    """Signature v1: Base64(HMAC(SecretKey, METHOD + host + "/?" + sorted k=v joined by &))."""
    pairs = "&".join(f"{k}={params[k]}" for k in sorted(params))
    string_to_sign = f"{method}{host}/?{pairs}"
    digest = hashlib.sha1 if sign_method == "HmacSHA1" else hashlib.sha256
    return b64(hmac.new(secret_key.encode("utf-8"), string_to_sign.encode("utf-8"), digest).digest())


_AUTO = object()


class RawClient:
    """Hand-signed requests against one endpoint (``host:port``)."""

    def __init__(self, endpoint, scheme="http", verify=True, timeout=30):
        self.endpoint = endpoint
        self.base = f"{scheme}://{endpoint}/"
        self.verify = verify
        self.timeout = timeout

    def send(self, method, *, query="", headers=None, body=None):
        url = self.base + (f"?{query}" if query else "")
        return requests.request(method, url, headers=headers or {}, data=body, timeout=self.timeout,
                                verify=self.verify, allow_redirects=False)

    def tc3(self, account, action, params=None, *, region=FIPS_REGION, method="POST", timestamp=None,
            version=VERSION, language=None, body=None, content_type=None, secret_id=None,
            secret_key=None, sign_host=None, sign_content_type=None, extra_signed=None,
            unsigned_payload=False, date=None, service=SERVICE, send_body=None,
            authorization=_AUTO, extra_headers=None, _dry_run=False):
        """Build, sign and send one TC3 request.

        ``body``: raw body bytes/str to send (default: JSON of ``params`` for POST, empty for GET);
        ``send_body``: a different body to put on the wire *after* signing (tampering);
        ``sign_host`` / ``sign_content_type``: what to put into the canonical headers instead of the
        real values; ``extra_signed``: additional headers (name -> value) that are both sent and
        signed; ``authorization``: literal header value, or None to omit it."""
        params = {} if params is None else params
        if timestamp is None:
            # A test that leaves the timestamp to the client gets a signature never sent for
            # another shape (see claim_signature); an explicit timestamp is sent as asked.
            for _ in range(3):
                kwargs = dict(region=region, method=method, timestamp=now(), version=version, language=language,
                              body=body, content_type=content_type, secret_id=secret_id, secret_key=secret_key,
                              sign_host=sign_host, sign_content_type=sign_content_type,
                              extra_signed=extra_signed, unsigned_payload=unsigned_payload, date=date,
                              service=service, send_body=send_body, authorization=authorization,
                              extra_headers=extra_headers)
                prepared = self.tc3(account, action, params, _dry_run=True, **kwargs)
                if claim_signature(prepared):
                    break
                wait_next_second()
            return self.tc3(account, action, params, **kwargs)
        sid = account.secret_id if secret_id is None else secret_id
        skey = account.secret_key if secret_key is None else secret_key
        query = ""
        if method == "GET":
            query = urlencode(flatten(params))
            payload = b"" if body is None else body
            content_type = content_type or FORM_CT
        else:
            payload = json.dumps(params).encode("utf-8") if body is None else body
            content_type = content_type or JSON_CT
        if isinstance(payload, str):
            payload = payload.encode("utf-8")
        headers = {
            "Host": self.endpoint,
            "Content-Type": content_type,
            "X-TC-Action": action,
            "X-TC-Version": version,
            "X-TC-Timestamp": str(timestamp),
        }
        if region is not None:
            headers["X-TC-Region"] = region
        if language:
            headers["X-TC-Language"] = language
        if unsigned_payload:
            headers["X-TC-Content-SHA256"] = "UNSIGNED-PAYLOAD"
        headers.update(extra_signed or {})
        headers.update(extra_headers or {})
        signed = {"content-type": sign_content_type or content_type, "host": sign_host or self.endpoint}
        for k, v in (extra_signed or {}).items():
            signed[k.lower()] = v
        signature, signed_headers, date = tc3_signature(
            skey, method=method, query=query, headers=signed,
            payload="UNSIGNED-PAYLOAD" if unsigned_payload else payload,
            timestamp=timestamp, service=service, date=date)
        if authorization is _AUTO:
            authorization = (f"TC3-HMAC-SHA256 Credential={sid}/{date}/{service}/tc3_request, "
                             f"SignedHeaders={signed_headers}, Signature={signature}")
        if authorization is not None:
            headers["Authorization"] = authorization
        if _dry_run:
            return headers
        wire = payload if send_body is None else send_body
        if method == "GET" and not wire:
            wire = None
        return self.send(method, query=query, headers=headers, body=wire)

    def v1(self, account, action, params=None, *, region=FIPS_REGION, method="POST",
           sign_method="HmacSHA256", timestamp=None, version=VERSION, language=None,
           secret_id=None, secret_key=None, sign_host=None, signature=None):
        """Build, sign (signature v1) and send one form (POST) or query (GET) request."""
        p = dict(flatten(params or {}))
        p.update({
            "Action": action,
            "Version": version,
            "Timestamp": str(now() if timestamp is None else timestamp),
            "Nonce": str(random.randint(1, 2**31 - 1)),
            "SecretId": account.secret_id if secret_id is None else secret_id,
            "SignatureMethod": sign_method,
        })
        if region is not None:
            p["Region"] = region
        if language:
            p["Language"] = language
        p["Signature"] = signature or v1_signature(
            account.secret_key if secret_key is None else secret_key,
            method=method, host=sign_host or self.endpoint, params=p, sign_method=sign_method)
        encoded = urlencode(p)
        headers = {"Host": self.endpoint, "Content-Type": FORM_CT}
        if method == "GET":
            return self.send("GET", query=encoded, headers=headers)
        return self.send("POST", headers=headers, body=encoded.encode("ascii"))


def strip_scheme(endpoint):
    return re.sub(r"^[a-zA-Z]+://", "", endpoint).rstrip("/")


# ---- the stack a suite runs against (shared by Tests/e2e and Tests/faults) -------------------------

STACK_ENV = ("KMS_HOME", "KMS_ENDPOINT", "KMS_HTTPS_ENDPOINT", "KMS_CA_FILE", "KMS_REPO")


def stack_env(suite: str) -> dict:
    """The stack's settings from the environment `scripts/kms test` exports; fails (never skips)
    when any is missing, the CA file is absent or scripts/kms is not executable."""
    missing = [name for name in STACK_ENV if not os.environ.get(name)]
    if missing:
        pytest.fail(f"the {suite} suite needs a running stack: " + ", ".join(missing) +
                    " not set. Run it with `scripts/kms test` (which exports " + ", ".join(STACK_ENV) + ").",
                    pytrace=False)
    env = {"home": os.environ["KMS_HOME"], "endpoint": strip_scheme(os.environ["KMS_ENDPOINT"]),
           "https_endpoint": strip_scheme(os.environ["KMS_HTTPS_ENDPOINT"]),
           "ca_file": os.environ["KMS_CA_FILE"], "repo": os.environ["KMS_REPO"]}
    if not os.path.isfile(env["ca_file"]):
        pytest.fail(f"KMS_CA_FILE={env['ca_file']} does not exist", pytrace=False)
    script = os.path.join(env["repo"], "scripts", "kms")
    if not os.access(script, os.X_OK):
        pytest.fail(f"{script} is missing or not executable (KMS_REPO={env['repo']})", pytrace=False)
    return env


PSQL = "/usr/lib/postgresql/15/bin/psql"


def owner_psql(home: str, sql: str) -> str:
    """``sql`` as kms_owner over the stack's PostgreSQL socket (``$KMS_HOME/run/pg``, peer
    authentication); stdout, unaligned. Fails the test when psql exits non-zero."""
    dsn = f"host={os.path.join(os.path.realpath(home), 'run', 'pg')} dbname=kms user=kms_owner"
    proc = subprocess.run([PSQL, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", dsn, "-c", sql],
                          capture_output=True, text=True, timeout=120, cwd="/")
    assert proc.returncode == 0, f"psql {sql!r} exited {proc.returncode}: {proc.stderr}"
    return proc.stdout.strip()


def run_ctl(repo: str, args, env=None) -> str:
    """``scripts/kms ctl ARGS``; its stdout. Fails the test when it cannot run or exits non-zero."""
    cmd = [os.path.join(repo, "scripts", "kms"), "ctl", *args]
    try:
        proc = subprocess.run(cmd, env=env or os.environ.copy(), capture_output=True, text=True, timeout=180, cwd=repo)
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.fail(f"`{' '.join(cmd)}` could not run: {exc}", pytrace=False)
    if proc.returncode != 0:
        pytest.fail(f"`{' '.join(cmd)}` exited {proc.returncode}\nstdout: {proc.stdout}\nstderr: {proc.stderr}",
                    pytrace=False)
    return proc.stdout


def ctl_json(out: str, what: str):
    """The JSON object a `scripts/kms ctl … --json` printed (log lines before it are tolerated)."""
    for line in reversed(out.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                break
    pytest.fail(f"`{what}` did not print JSON: {out!r}", pytrace=False)

