"""Hostile input: a corpus of malformed and hostile requests, each sent as exact bytes over a raw
socket (no client library normalises them), most of them correctly signed so that they get past
authentication into parameter handling.

Every answer must be a 4xx from nginx, or HTTP 200 with ``Content-Type: application/json`` exactly
and a ``{"Response":{"Error":{"Code","Message"},"RequestId"}}`` body whose Code is one the service
declares (never ``InternalError``) and whose Message never repeats more than 64 characters of the
input. The responder must not restart during a case (a crash shows as a new pid in
``$KMS_HOME/run/responder.pid``), and after the whole corpus a normal round trip still works.

The groups: json, types, huge, deep, utf8, base64, envelope, auth, form, http, nul, publickey.
"""

import base64
import functools
import http.client
import json
import os
import re
import socket
import time
import uuid
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import quote, unquote_plus

import pytest

from e2e_support import (
    FIPS_REGION, FIPS_REGION_2, FORM_CT, JSON_CT, SM_REGION, UUID_ANYCASE_RE, VERSION, RawClient, b64, ok,
    tc3_signature, unique_alias, utc_date, v1_signature,
)

# A Message may quote at most this many characters of what the caller sent.
MAX_ECHO = 64
# Used where a timestamp has no calendar date (the request must fail before the date matters).
FAR_DATE = "2020-01-01"

PLAINTEXT = b64(b"hostile corpus")
CONTEXT = '{"purpose":"hostile"}'


# --------------------------------------------------------------------------------------------------
# the wire: exact bytes out, one parsed answer back
# --------------------------------------------------------------------------------------------------

@dataclass
class Answer:
    status: int          # 0 when nginx closed the connection without answering
    content_type: str
    body: bytes


def exchange(endpoint, data: bytes, method: str, *, half_close=False, timeout=30) -> Answer:
    """Sends ``data`` and reads one response. ``half_close`` ends the request stream after it (for
    bodies shorter than their Content-Length); never otherwise, as nginx takes a half-closed
    connection for an abandoned request (499) while the responder is still working on it."""
    host, port = endpoint.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        try:
            sock.sendall(data)
            if half_close:
                sock.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass  # nginx may refuse (413, 400) before reading everything; its answer is still there
        resp = http.client.HTTPResponse(sock, method=method)
        try:
            resp.begin()
        except (http.client.RemoteDisconnected, ConnectionResetError):
            return Answer(0, "", b"")
        return Answer(resp.status, resp.getheader("Content-Type") or "", resp.read())


def _bytes(value) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode("utf-8")


def http_request(method, path, headers, body=b"", *, version="HTTP/1.1", content_length=True) -> bytes:
    """``headers``: (name, value) pairs, str or bytes, in order, duplicates allowed."""
    lines = [_bytes(method) + b" " + _bytes(path) + b" " + _bytes(version)]
    lines += [_bytes(name) + b": " + _bytes(value) for name, value in headers]
    if content_length and (body or method not in ("GET", "HEAD")):
        lines.append(b"Content-Length: " + str(len(body)).encode())
    lines.append(b"Connection: close")
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


_SIGN = object()


@dataclass
class Target:
    """Where the corpus goes and who signs it."""
    endpoint: str
    secret_id: str
    secret_key: str
    key_fips: str = ""        # Enabled keys of the signing account
    key_sm: str = ""
    data_key_fips: str = ""   # a hosted data key of the signing account under key_fips (Enabled)
    blob_fips: str = ""       # CiphertextBlob of PLAINTEXT under key_fips with CONTEXT
    blob_sm: str = ""
    blob_fips_2: str = ""     # the same account, the other FIPS region
    blob_foreign: str = ""    # another account, FIPS region
    pid_before: str = None    # the responder's pid before the first hostile request
    raw: RawClient = None     # for setting up and for the final round trip
    account: object = None

    def tc3(self, action="ListKeys", body=b"", *, method="POST", query="", content_type=JSON_CT,
            region=FIPS_REGION, version=VERSION, timestamp=None, date=None, host=None, authorization=None,
            extra_headers=(), signed_extra=None, omit=(), http_version="HTTP/1.1", content_length=True,
            secret_key=None, service="kms") -> bytes:
        """A TC3-HMAC-SHA256 request signed over exactly the bytes it sends (``body``, ``query``)
        and the real endpoint as host (``host``: a different Host header to send).
        ``authorization``: a literal header value instead of the real one. ``omit``: usual headers
        (lower-case names) to leave out. ``signed_extra``: more headers to send and sign (replacing
        the usual header of that name). ``extra_headers``: more (name, value) pairs, sent as given."""
        body = _bytes(body)
        timestamp = int(time.time()) if timestamp is None else timestamp
        host = self.endpoint if host is None else host
        if authorization is None:
            signed = {"content-type": content_type, "host": self.endpoint, **(signed_extra or {})}
            signature, signed_headers, date = tc3_signature(
                secret_key or self.secret_key, method=_str(method), query=query, headers=signed, payload=body,
                timestamp=timestamp, date=date or _date(timestamp), service=service)
            authorization = (f"TC3-HMAC-SHA256 Credential={self.secret_id}/{date}/{service}/tc3_request, "
                             f"SignedHeaders={signed_headers}, Signature={signature}")
        headers = [("Host", host), ("Content-Type", content_type), ("Authorization", authorization),
                   ("X-TC-Action", action), ("X-TC-Version", version), ("X-TC-Timestamp", str(timestamp)),
                   ("X-TC-Region", region)]
        dropped = set(omit) | {name.lower() for name in (signed_extra or {})}
        headers = [(n, v) for n, v in headers if v is not None and n.lower() not in dropped]
        headers += list((signed_extra or {}).items()) + list(extra_headers)
        target = "/" + (f"?{query}" if query else "")
        return http_request(method, target, headers, body, version=http_version, content_length=content_length)

    def tc3_json(self, action, params, **kw) -> bytes:
        return self.tc3(action, json.dumps(params).encode(), **kw)

    def v1(self, action, pairs, *, method="POST", tail="", common=None, signature=_SIGN, sign_method="HmacSHA256",
           region=FIPS_REGION) -> bytes:
        """A signature-v1 form (POST) or query (GET) request. ``pairs``: (name, value) in order,
        duplicates allowed, percent-encoded here; ``tail``: raw text appended as sent (garbage
        encodings); ``common``: overrides of the common parameters (None drops one);
        ``signature``: None sends none, a string is sent as the Signature; by default it is signed."""
        params = {"Action": action, "Version": VERSION, "Timestamp": str(int(time.time())),
                  "Nonce": str(uuid.uuid4().int % 2**31), "SecretId": self.secret_id,
                  "SignatureMethod": sign_method, "Region": region}
        params.update(common or {})
        params = {k: v for k, v in params.items() if v is not None}
        every = list(params.items()) + list(pairs)
        if signature is _SIGN:
            signature = v1_signature(self.secret_key, method=method, host=self.endpoint,
                                     params=dict(every), sign_method=sign_method)
        if signature is not None:
            every.append(("Signature", signature))
        text = "&".join(f"{quote(k, safe='.')}={quote(v, safe='')}" for k, v in every)
        text += tail
        headers = [("Host", self.endpoint)]
        if method == "GET":
            return http_request("GET", "/?" + text, headers)
        return http_request(method, "/", headers + [("Content-Type", FORM_CT)], text.encode("utf-8"))


def _str(value):
    return value.decode("latin-1") if isinstance(value, bytes) else value


def _date(timestamp):
    try:
        return utc_date(timestamp)
    except (OverflowError, OSError, ValueError):
        return FAR_DATE


# --------------------------------------------------------------------------------------------------
# the corpus
# --------------------------------------------------------------------------------------------------

@dataclass
class Case:
    kind: str
    name: str
    build: Callable[[Target], bytes]
    method: str = "POST"
    # Beyond a Tencent error or an nginx 4xx, also acceptable: nginx closing the connection without
    # answering (a body shorter than its Content-Length: the request never ends).
    closed_ok: bool = False
    payloads: list = field(default_factory=list)  # hostile strings the message must not echo

    @property
    def id(self):
        return f"{self.kind}-{self.name}"


CASES: list = []


def case(kind, name, build, **kw):
    CASES.append(Case(kind, name, build, **kw))


# ---- json: bodies that are not a JSON object --------------------------------------------------------

def _encrypt_body(t):
    return json.dumps({"KeyId": t.key_fips, "Plaintext": PLAINTEXT, "EncryptionContext": CONTEXT}).encode()


for cut in (1, 2, 5, 10, 20, 40, 60, 80, -20, -10, -2, -1):
    case("json", f"truncated-at-{cut}", lambda t, cut=cut: t.tc3("Encrypt", _encrypt_body(t)[:cut]))

BAD_JSON = {
    "trailing-comma-object": b'{"Limit": 5,}',
    "trailing-comma-array": b'{"KeyIds": ["a",]}',
    "leading-comma": b'{,"Limit": 5}',
    "double-comma": b'{"Limit": 5,, "Offset": 0}',
    "nan": b'{"Limit": NaN}',
    "infinity": b'{"Limit": Infinity}',
    "minus-infinity": b'{"Limit": -Infinity}',
    "line-comment": b'{"Limit": 5 // five\n}',
    "block-comment": b'{/* c */"Limit": 5}',
    "hash-comment": b'# c\n{"Limit": 5}',
    "bom": b'\xef\xbb\xbf{"Limit": 5}',
    "utf16-bom": b'\xff\xfe{\x00}\x00',
    "top-level-array": b'[{"Limit": 5}]',
    "top-level-string": b'"Limit"',
    "top-level-number": b'5',
    "top-level-true": b'true',
    "top-level-null": b'null',
    "whitespace-only": b'   \n\t ',
    "single-quotes": b"{'Limit': 5}",
    "unquoted-key": b'{Limit: 5}',
    "duplicate-key": b'{"Limit": 5, "Limit": 6}',
    "duplicate-key-escaped": b'{"Limit": 5, "Li\\u006dit": 6}',
    "case-variant-key": b'{"limit": 5}',
    "empty-key": b'{"": 5}',
    "leading-zero": b'{"Limit": 05}',
    "plus-sign": b'{"Limit": +5}',
    "bare-fraction": b'{"Limit": .5}',
    "trailing-dot": b'{"Limit": 5.}',
    "hex-number": b'{"Limit": 0x10}',
    "huge-exponent": b'{"Limit": 1e999999}',
    "minus-alone": b'{"Limit": -}',
    "unterminated-string": b'{"Limit": "5}',
    "raw-newline-in-string": b'{"SearchKeyAlias": "a\nb"}',
    "raw-tab-in-string": b'{"SearchKeyAlias": "a\tb"}',
    "invalid-escape": b'{"SearchKeyAlias": "\\x41"}',
    "short-unicode-escape": b'{"SearchKeyAlias": "\\u12"}',
    "non-hex-unicode-escape": b'{"SearchKeyAlias": "\\uZZZZ"}',
    "lone-high-surrogate": b'{"SearchKeyAlias": "\\ud800"}',
    "lone-low-surrogate": b'{"SearchKeyAlias": "\\udc00"}',
    "reversed-surrogates": b'{"SearchKeyAlias": "\\udc00\\ud800"}',
    "nul-outside-string": b'{"Limit": 5}\x00',
    "trailing-garbage": b'{"Limit": 5} x',
    "two-objects": b'{"Limit": 5}{"Limit": 6}',
    "vertical-tab-whitespace": b'{\x0b"Limit": 5}',
    "nbsp-whitespace": b'{\xc2\xa0"Limit": 5}',
    "form-body-as-json": b'Limit=5&Offset=0',
    "unclosed-object": b'{"Limit": 5',
    "unclosed-array": b'{"KeyIds": ["a"',
    "colon-missing": b'{"Limit" 5}',
    "literal-typo": b'{"Limit": tru}',
}
for name, raw in BAD_JSON.items():
    case("json", name, lambda t, raw=raw: t.tc3("ListKeys", raw))

case("json", "long-unknown-name", lambda t: t.tc3_json("ListKeys", {"N" * 60000: 1}), payloads=["N" * (MAX_ECHO + 1)])
case("json", "many-unknown-names", lambda t: t.tc3_json("ListKeys", {f"Unknown{i}": i for i in range(3000)}))

# ---- types: every declared parameter of several actions, given the wrong JSON type --------------------
# The base request of each action succeeds; only the one parameter is wrong.

WRONG_FOR_STRING = {"int": 1, "negative": -1, "float": 1.5, "true": True, "false": False, "empty-array": [],
                    "array": ["x"], "empty-object": {}, "object": {"a": "b"}, "1e30": 1e30}
WRONG_FOR_INTEGER = {"string": "10", "empty-string": "", "float": 1.5, "1e30": 1e30, "true": True,
                     "empty-array": [], "array": [1], "object": {}, "exponent-string": "1e3", "bigint": 10 ** 30}
WRONG_FOR_STRING_ARRAY = {"string": "x", "int": 1, "ints": [1], "nested": [["a"]], "objects": [{}],
                          "object": {"0": "x"}, "nulls": [None], "true": True}

TYPED_ACTIONS = [
    # (action, base parameters (a successful request), the parameter under test, its type)
    ("Encrypt", lambda t: {"KeyId": t.key_fips, "Plaintext": PLAINTEXT}, "KeyId", "string"),
    ("Encrypt", lambda t: {"KeyId": t.key_fips, "Plaintext": PLAINTEXT}, "Plaintext", "string"),
    ("Encrypt", lambda t: {"KeyId": t.key_fips, "Plaintext": PLAINTEXT}, "EncryptionContext", "string"),
    ("Decrypt", lambda t: {"CiphertextBlob": t.blob_fips, "EncryptionContext": CONTEXT}, "CiphertextBlob", "string"),
    ("Decrypt", lambda t: {"CiphertextBlob": t.blob_fips, "EncryptionContext": CONTEXT}, "EncryptionContext", "string"),
    ("GenerateDataKey", lambda t: {"KeyId": t.key_fips, "KeySpec": "AES_256"}, "KeySpec", "string"),
    ("GenerateDataKey", lambda t: {"KeyId": t.key_fips, "NumberOfBytes": 32}, "NumberOfBytes", "integer"),
    ("ListKeys", lambda t: {"Limit": 5, "Offset": 0}, "Limit", "integer"),
    ("ListKeys", lambda t: {"Limit": 5, "Offset": 0}, "Offset", "integer"),
    ("ListKeyDetail", lambda t: {"KeyState": 1, "Limit": 5}, "KeyState", "integer"),
    ("ListKeyDetail", lambda t: {"SearchKeyAlias": "hostile", "Limit": 5}, "SearchKeyAlias", "string"),
    ("GenerateRandom", lambda t: {"NumberOfBytes": 16}, "NumberOfBytes", "integer"),
    ("DescribeKeys", lambda t: {"KeyIds": [t.key_fips]}, "KeyIds", "stringArray"),
    ("DescribeKey", lambda t: {"KeyId": t.key_fips}, "KeyId", "string"),
    ("UpdateKeyDescription", lambda t: {"KeyId": t.key_fips, "Description": "hostile"}, "Description", "string"),
    ("CreateKey", lambda t: {"Alias": unique_alias("hostile"), "Type": 1}, "Type", "integer"),
    ("ReEncrypt", lambda t: {"CiphertextBlob": t.blob_fips, "SourceEncryptionContext": CONTEXT},
     "DestinationKeyId", "string"),
    ("GetKeyRotationStatus", lambda t: {"KeyId": t.key_fips}, "KeyId", "string"),
    # hosted data keys (docs/DATA_KEYS.md)
    ("GenerateDataKey", lambda t: _hosted_body(t), "IsHostedByKms", "integer"),
    ("GenerateDataKey", lambda t: _hosted_body(t), "DataKeyName", "string"),
    ("GenerateDataKey", lambda t: _hosted_body(t), "Description", "string"),
    ("ImportDataKey", lambda t: _import_body(t), "ImportType", "integer"),
    ("ImportDataKey", lambda t: _import_body(t), "ImportKeyMaterial", "string"),
    ("ImportDataKey", lambda t: _import_body(t), "DataKeyName", "string"),
    ("GetDataKeyPlaintext", lambda t: {"DataKeyId": t.data_key_fips}, "DataKeyId", "string"),
    ("DescribeDataKeys", lambda t: {"DataKeyIds": [t.data_key_fips]}, "DataKeyIds", "stringArray"),
    ("DisableDataKeys", lambda t: {"DataKeyIds": [t.data_key_fips]}, "DataKeyIds", "stringArray"),
    ("UpdateDataKeyName", lambda t: {"DataKeyId": t.data_key_fips, "DataKeyName": unique_alias("hostile")},
     "DataKeyName", "string"),
    ("UpdateDataKeyDescription", lambda t: {"DataKeyId": t.data_key_fips, "Description": "hostile"},
     "Description", "string"),
    ("ListDataKeys", lambda t: {"Limit": 5, "Offset": 0}, "Limit", "integer"),
    ("ListDataKeyDetail", lambda t: {"KeyState": 1, "Limit": 5}, "KeyState", "integer"),
    ("ListDataKeyDetail", lambda t: {"SearchKeyAlias": "hostile", "Limit": 5}, "SearchKeyAlias", "string"),
    ("ListDataKeyDetail", lambda t: {"DataKeyLen": 32, "Limit": 5}, "DataKeyLen", "integer"),
]
BIG_TEXT = 50 * 1024   # one huge value, with the rest of the request under nginx's 64 KiB body limit


def _hosted_body(t):
    return {"KeyId": t.key_fips, "KeySpec": "AES_256", "IsHostedByKms": 1, "DataKeyName": unique_alias("hostile")}


def _import_body(t):
    return {"KeyId": t.key_fips, "DataKeyName": unique_alias("hostile"), "ImportKeyMaterial": PLAINTEXT,
            "ImportType": 2}


WRONG = {"string": WRONG_FOR_STRING, "integer": WRONG_FOR_INTEGER, "stringArray": WRONG_FOR_STRING_ARRAY}

for action, base, param, kind in TYPED_ACTIONS:
    for label, value in WRONG[kind].items():
        case("types", f"{action}.{param}-{label}",
             lambda t, a=action, b=base, p=param, v=value: t.tc3_json(a, {**b(t), p: v}))

for action, base, param in [
    ("Encrypt", lambda t: {"Plaintext": PLAINTEXT}, "KeyId"),
    ("Encrypt", lambda t: {"KeyId": t.key_fips}, "Plaintext"),
    ("Decrypt", lambda t: {}, "CiphertextBlob"),
    ("DescribeKeys", lambda t: {}, "KeyIds"),
    ("GenerateRandom", lambda t: {}, "NumberOfBytes"),
    ("UpdateAlias", lambda t: {"KeyId": t.key_fips}, "Alias"),
    ("ScheduleKeyDeletion", lambda t: {"KeyId": t.key_fips}, "PendingWindowInDays"),
    ("GetDataKeyPlaintext", lambda t: {}, "DataKeyId"),
    ("DescribeDataKeys", lambda t: {}, "DataKeyIds"),
    ("ScheduleDataKeyDeletion", lambda t: {"DataKeyId": t.data_key_fips}, "PendingWindowInDays"),
    ("ImportDataKey", lambda t: {k: v for k, v in _import_body(t).items() if k != "ImportType"}, "ImportType"),
]:
    case("types", f"{action}.{param}-null-required",
         lambda t, a=action, b=base, p=param: t.tc3_json(a, {**b(t), p: None}))

for name, params in {
    "tags-control-character": lambda t: {"Alias": unique_alias("hostile"), "Tags": [{"TagKey": "k\u0000", "TagValue": "v"}]},
    "tags-not-objects": lambda t: {"Alias": unique_alias("hostile"), "Tags": ["TagKey=k"]},
    "tags-nested": lambda t: {"Alias": unique_alias("hostile"), "Tags": [{"TagKey": {"TagKey": "k"}, "TagValue": "v"}]},
    "tags-extra-member": lambda t: {"Alias": unique_alias("hostile"), "Tags": [{"TagKey": "k", "TagValue": "v", "Admin": True}]},
    "tags-reserved": lambda t: {"Alias": unique_alias("hostile"), "Tags": [{"TagKey": "qcs:owner", "TagValue": "v"}]},
    "tags-too-many": lambda t: {"Alias": unique_alias("hostile"), "Tags": [{"TagKey": f"k{i}", "TagValue": "v"} for i in range(51)]},
    "unsupported-hsm": lambda t: {"Alias": unique_alias("hostile"), "HsmClusterId": "cluster-1"},
    "unknown-lowercase": lambda t: {"alias": unique_alias("hostile")},
    "unknown-proto": lambda t: {"Alias": unique_alias("hostile"), "__proto__": {"admin": True}},
    "unknown-space": lambda t: {"Alias": unique_alias("hostile"), "Key Id": "x"},
}.items():
    case("types", f"CreateKey-{name}", lambda t, p=params: t.tc3_json("CreateKey", p(t)))

# hosted data keys: control characters in names and descriptions, huge values and arrays, wrong shapes
for name, (action, params) in {
    "name-control-character": ("GenerateDataKey", lambda t: {**_hosted_body(t), "DataKeyName": "dk\u0001name"}),
    "name-nul": ("GenerateDataKey", lambda t: {**_hosted_body(t), "DataKeyName": "dk\u0000"}),
    "name-bidi-override": ("GenerateDataKey", lambda t: {**_hosted_body(t), "DataKeyName": "dk\u202ename"}),
    "name-huge": ("GenerateDataKey", lambda t: {**_hosted_body(t), "DataKeyName": "n" * BIG_TEXT}),
    "description-control-character": ("GenerateDataKey", lambda t: {**_hosted_body(t), "Description": "bell\u0007"}),
    "description-huge": ("ImportDataKey", lambda t: {**_import_body(t), "Description": "d" * BIG_TEXT}),
    "description-escape": ("UpdateDataKeyDescription",
                           lambda t: {"DataKeyId": t.data_key_fips, "Description": "\u001b[31mred"}),
    "rename-control-character": ("UpdateDataKeyName", lambda t: {"DataKeyId": t.data_key_fips, "DataKeyName": "a\rb"}),
    "rename-huge": ("UpdateDataKeyName", lambda t: {"DataKeyId": t.data_key_fips, "DataKeyName": "r" * BIG_TEXT}),
    "hosted-2": ("GenerateDataKey", lambda t: {**_hosted_body(t), "IsHostedByKms": 2}),
    "hosted-negative": ("GenerateDataKey", lambda t: {**_hosted_body(t), "IsHostedByKms": -1}),
    "import-type-huge": ("ImportDataKey", lambda t: {**_import_body(t), "ImportType": 2 ** 63}),
    "import-material-huge": ("ImportDataKey", lambda t: {**_import_body(t), "ImportKeyMaterial": "QUFB" * (BIG_TEXT // 4)}),
    "import-blob-huge": ("ImportDataKey", lambda t: {**_import_body(t), "ImportType": 1,
                                                     "ImportKeyMaterial": "QUFB" * (BIG_TEXT // 4)}),
    "import-tags-control": ("ImportDataKey", lambda t: {**_import_body(t), "Tags": [{"TagKey": "k\u0002", "TagValue": "v"}]}),
    "ids-huge-array": ("DescribeDataKeys", lambda t: {"DataKeyIds": [t.data_key_fips] * 1500}),
    "ids-many-distinct": ("EnableDataKeys", lambda t: {"DataKeyIds": [str(uuid.UUID(int=i)) for i in range(1400)]}),
    "ids-nested": ("DisableDataKeys", lambda t: {"DataKeyIds": [[t.data_key_fips]]}),
    "ids-control-character": ("DescribeDataKeys", lambda t: {"DataKeyIds": [t.data_key_fips + "\u0000"]}),
    "id-huge": ("DescribeDataKey", lambda t: {"DataKeyId": "f" * BIG_TEXT}),
    "id-control-character": ("GetDataKeyPlaintext", lambda t: {"DataKeyId": "\u0007" + t.data_key_fips}),
    "public-key-huge": ("GetDataKeyPlaintext", lambda t: {"DataKeyId": t.data_key_fips, "EncryptionPublicKey":
                        "-----BEGIN PUBLIC KEY-----\n" + "A" * BIG_TEXT + "\n-----END PUBLIC KEY-----\n"}),
    "algorithm-control-character": ("GetDataKeyPlaintext", lambda t: {"DataKeyId": t.data_key_fips,
                                                                      "EncryptionAlgorithm": "SM2\u0000"}),
    "member-account-string": ("DescribeDataKey", lambda t: {"DataKeyId": t.data_key_fips, "MemberAccount": "x"}),
    "member-accounts-huge": ("ListDataKeyDetail", lambda t: {"MemberAccounts": [{"MemberUin": i} for i in range(2000)]}),
    "window-huge": ("ScheduleDataKeyDeletion", lambda t: {"DataKeyId": t.data_key_fips, "PendingWindowInDays": 10 ** 20}),
    "search-control-character": ("ListDataKeyDetail", lambda t: {"SearchKeyAlias": "%\u0000_"}),
    "tag-filters-huge": ("ListDataKeyDetail", lambda t: {"TagFilters": [{"TagKey": f"k{i}"} for i in range(1000)]}),
}.items():
    case("types", f"DataKey-{name}", lambda t, a=action, p=params: t.tc3_json(a, p(t)))

for name, filters in {
    "not-objects": ["env"],
    "values-not-a-list": [{"TagKey": "env", "TagValue": "a"}],
    "value-not-a-string": [{"TagKey": "env", "TagValue": [1]}],
    "no-key": [{"TagValue": ["a"]}],
    "too-many-values": [{"TagKey": "env", "TagValue": [f"v{i}" for i in range(11)]}],
    "too-many-filters": [{"TagKey": f"k{i}"} for i in range(51)],
}.items():
    case("types", f"ListKeyDetail.TagFilters-{name}", lambda t, f=filters: t.tc3_json("ListKeyDetail", {"TagFilters": f}))

# ---- huge: long strings, big and negative numbers, long headers -------------------------------------

BIG = 60 * 1024  # fits under nginx's 64 KiB body limit with the JSON around it
for action, base, param in [
    ("Encrypt", lambda t: {"Plaintext": PLAINTEXT}, "KeyId"),
    ("Encrypt", lambda t: {"KeyId": t.key_fips}, "Plaintext"),
    ("Encrypt", lambda t: {"KeyId": t.key_fips, "Plaintext": PLAINTEXT}, "EncryptionContext"),
    ("Decrypt", lambda t: {}, "CiphertextBlob"),
    ("CreateKey", lambda t: {}, "Alias"),
    ("UpdateKeyDescription", lambda t: {"KeyId": t.key_fips}, "Description"),
    ("ImportKeyMaterial", lambda t: {"KeyId": t.key_fips, "EncryptedKeyMaterial": PLAINTEXT}, "ImportToken"),
]:
    case("huge", f"{action}.{param}-60KiB", lambda t, a=action, b=base, p=param: t.tc3_json(a, {**b(t), p: "Z" * BIG}),
         payloads=["Z" * (MAX_ECHO + 1)])
case("huge", "Encrypt.Plaintext-45000-bytes", lambda t: t.tc3_json("Encrypt", {"KeyId": t.key_fips,
                                                                             "Plaintext": b64(b"\x00" * 45000)}))
case("huge", "Encrypt.Plaintext-4097-bytes", lambda t: t.tc3_json("Encrypt", {"KeyId": t.key_fips,
                                                                            "Plaintext": b64(b"\x01" * 4097)}))
case("huge", "Decrypt.CiphertextBlob-45000-bytes", lambda t: t.tc3_json("Decrypt", {
    "CiphertextBlob": b64(base64.b64decode(t.blob_fips)[:22] + os.urandom(45000))}))
case("huge", "EncryptionContext-1025-chars", lambda t: t.tc3_json("Encrypt", {
    "KeyId": t.key_fips, "Plaintext": PLAINTEXT, "EncryptionContext": json.dumps({"k": "v" * 1020})}))
case("huge", "EncryptionContext-2000-members", lambda t: t.tc3_json("Encrypt", {
    "KeyId": t.key_fips, "Plaintext": PLAINTEXT, "EncryptionContext": json.dumps({str(i): "" for i in range(2000)})}))
case("huge", "DescribeKeys-101-ids", lambda t: t.tc3_json("DescribeKeys", {"KeyIds": [t.key_fips] * 101}))
case("huge", "DescribeKeys-1500-ids", lambda t: t.tc3_json("DescribeKeys", {
    "KeyIds": [str(uuid.uuid4()) for _ in range(1500)]}))
case("huge", "body-over-64KiB", lambda t: t.tc3_json("Encrypt", {"KeyId": t.key_fips, "Plaintext": "A" * 70000}))
case("huge", "body-1MiB", lambda t: t.tc3("Encrypt", b'{"Plaintext":"' + b"A" * (1 << 20) + b'"}'))

NUMBERS = {
    "Limit": [10 ** 30, 1e30, -1, 0, 201, 2 ** 63 - 1, -(2 ** 63), 2 ** 63, 2 ** 64],
    "Offset": [-1, -(2 ** 63), 2 ** 63 - 1, 2 ** 31],
}
for param, values in NUMBERS.items():
    for value in values:
        case("huge", f"ListKeys.{param}={value}", lambda t, p=param, v=value: t.tc3(
            "ListKeys", ('{"%s": %s}' % (p, v)).encode()))
for action, base, param, values in [
    ("GenerateRandom", lambda t: {}, "NumberOfBytes", [0, -1, 1025, 2 ** 63 - 1, -(2 ** 63), 2 ** 31, 2 ** 32 + 16]),
    ("GenerateDataKey", lambda t: {"KeyId": t.key_fips}, "NumberOfBytes", [0, -1, 1025, 2 ** 63 - 1, -(2 ** 63)]),
    ("ScheduleKeyDeletion", lambda t: {"KeyId": t.key_fips}, "PendingWindowInDays",
     [2 ** 63 - 1, -(2 ** 63), 6, 31, 0]),
    ("EnableKeyRotation", lambda t: {"KeyId": t.key_fips}, "RotateDays", [2 ** 63 - 1, -(2 ** 63), 6, 366, -365]),
    ("ImportKeyMaterial", lambda t: {"KeyId": t.key_fips, "EncryptedKeyMaterial": PLAINTEXT, "ImportToken": "x"},
     "ValidTo", [2 ** 63 - 1, -(2 ** 63), -1, 2147443201]),
    ("CreateKey", lambda t: {"Alias": unique_alias("hostile")}, "Type", [2 ** 63 - 1, -(2 ** 63), 0, 3]),
    ("ListKeyDetail", lambda t: {}, "KeyState", [-1, 6, 2 ** 63 - 1]),
]:
    for value in values:
        case("huge", f"{action}.{param}={value}",
             lambda t, a=action, b=base, p=param, v=value: t.tc3_json(a, {**b(t), p: v}))

for value in [-(2 ** 63), -(2 ** 63) + 1, -(2 ** 62), 2 ** 63 - 1, 2 ** 63, 2 ** 64, -1, 0]:
    case("huge", f"X-TC-Timestamp={value}", lambda t, v=value: t.tc3("GetServiceStatus", b"{}", timestamp=v,
                                                                     date=FAR_DATE))
    case("huge", f"v1-Timestamp={value}", lambda t, v=value: t.v1("GetServiceStatus", [], common={"Timestamp": str(v)}))


def _timestamp_text(t, text):
    """A signed request whose X-TC-Timestamp header is ``text`` exactly."""
    now = int(time.time())
    raw = t.tc3("GetServiceStatus", b"{}", timestamp=now)
    return raw.replace(f"X-TC-Timestamp: {now}".encode(), b"X-TC-Timestamp: " + text.format(now=now).encode())


# ("+{now}" and " {now}" are the current time to Swift's Int64 and to nginx: accepted, not hostile.)
for label, text in {"negative-now": "-{now}", "float": "{now}.5", "exponent": "1.7e9", "hex": "0x65000000",
                    "empty": "", "letters": "now", "digits-7000": "9" * 7000}.items():
    case("huge", f"X-TC-Timestamp-{label}", lambda t, s=text: _timestamp_text(t, s))


for header in ("X-TC-Action", "X-TC-Version", "X-TC-Region", "X-TC-Token"):
    case("huge", f"{header}-7000-chars", lambda t, h=header: t.tc3(
        "GetServiceStatus", b"{}", omit=(h.lower(),), extra_headers=[(h, "Q" * 7000)]), payloads=["Q" * (MAX_ECHO + 1)])
case("huge", "X-TC-Action-20000-chars", lambda t: t.tc3("Q" * 20000, b"{}"))
case("huge", "header-block-40KiB", lambda t: t.tc3("ListKeys", b"{}", extra_headers=[(f"X-Pad-{i}", "p" * 4000)
                                                                                     for i in range(10)]))
case("huge", "query-60KiB", lambda t: t.tc3("ListKeys", method="GET", content_type=FORM_CT,
                                            query="Limit=" + "5" * 60000))
case("huge", "v1-value-60KiB", lambda t: t.v1("DescribeKey", [("KeyId", "Y" * BIG)]), payloads=["Y" * (MAX_ECHO + 1)])
case("huge", "v1-name-60KiB", lambda t: t.v1("DescribeKey", [("K" * BIG, "x")]), payloads=["K" * (MAX_ECHO + 1)])

# ---- deep: nesting far beyond the parser's limit ------------------------------------------------------

for depth in (33, 100, 1000, 10000):
    case("deep", f"array-value-{depth}", lambda t, d=depth: t.tc3(
        "DescribeKeys", b'{"KeyIds": ' + b"[" * d + b'"x"' + b"]" * d + b"}"))
    case("deep", f"object-value-{depth}", lambda t, d=depth: t.tc3(
        "DescribeKey", b'{"KeyId": ' + b'{"a":' * d + b"1" + b"}" * d + b"}"))
case("deep", "top-level-arrays-1000", lambda t: t.tc3("ListKeys", b"[" * 1000 + b"]" * 1000))
case("deep", "unclosed-arrays-60000", lambda t: t.tc3("ListKeys", b"[" * 60000))
case("deep", "unclosed-objects-12000", lambda t: t.tc3("ListKeys", b'{"a":' * 12000))
case("deep", "array-depth-31-as-string", lambda t: t.tc3(
    "DescribeKey", b'{"KeyId": ' + b"[" * 31 + b"]" * 31 + b"}"))
case("deep", "EncryptionContext-500-levels", lambda t: t.tc3_json("Encrypt", {
    "KeyId": t.key_fips, "Plaintext": PLAINTEXT, "EncryptionContext": "[" * 500 + "]" * 500}))
case("deep", "EncryptionContext-nested-object", lambda t: t.tc3_json("Encrypt", {
    "KeyId": t.key_fips, "Plaintext": PLAINTEXT, "EncryptionContext": '{"a":{"b":{"c":"d"}}}'}))

# ---- utf8: invalid UTF-8 in bodies, strings, headers and queries --------------------------------------

# Raw (not percent-encoded) invalid UTF-8 in a form body or query string is refused, like %FF:
# never repaired to U+FFFD and acted on.


def _v1_raw_value(t, value: bytes):
    """A v1 ListKeyDetail form whose SearchKeyAlias is ``value`` unencoded, signed over what the
    service decodes it to."""
    repaired = value.decode("utf-8", errors="replace")
    req = t.v1("ListKeyDetail", [("SearchKeyAlias", repaired)])
    head, body = req.split(b"\r\n\r\n", 1)
    body = body.replace(b"SearchKeyAlias=" + quote(repaired).encode(), b"SearchKeyAlias=" + value)
    head = re.sub(rb"Content-Length: \d+", b"Content-Length: " + str(len(body)).encode(), head)
    return head + b"\r\n\r\n" + body


def _tc3_raw_query(t, query: bytes):
    """A TC3 GET ListKeyDetail whose query string is ``query`` unencoded, signed over what the
    service decodes it to."""
    repaired = query.decode("utf-8", errors="replace")
    req = t.tc3("ListKeyDetail", method="GET", content_type=FORM_CT, query=repaired)
    return req.replace(b"/?" + repaired.encode(), b"/?" + query, 1)


INVALID_UTF8 = {
    "ff": b"\xff", "fe-ff": b"\xfe\xff", "overlong-slash": b"\xc0\xaf", "overlong-nul": b"\xc0\x80",
    "encoded-surrogate": b"\xed\xa0\x80", "above-10ffff": b"\xf4\x90\x80\x80", "five-byte": b"\xf8\x88\x80\x80\x80",
    "truncated-3-byte": b"\xe4\xbd", "lone-continuation": b"\x80", "latin1": b"caf\xe9",
}
for label, bad in INVALID_UTF8.items():
    case("utf8", f"json-value-{label}", lambda t, b=bad: t.tc3(
        "Encrypt", b'{"KeyId": "' + t.key_fips.encode() + b'", "Plaintext": "' + PLAINTEXT.encode() + b'", '
                   b'"EncryptionContext": "{\\"a\\":\\"' + b + b'\\"}"}'))
    case("utf8", f"json-name-{label}", lambda t, b=bad: t.tc3("ListKeys", b'{"Lim' + b + b'it": 5}'))
for label in ("ff", "overlong-slash", "encoded-surrogate"):
    bad = INVALID_UTF8[label]
    case("utf8", f"json-outside-string-{label}", lambda t, b=bad: t.tc3("ListKeys", b'{"Limit": 5' + b + b"}"))
    case("utf8", f"X-TC-Action-{label}", lambda t, b=bad: t.tc3(b"Encr" + b + b"ypt", b"{}"))
    case("utf8", f"X-TC-Region-{label}", lambda t, b=bad: t.tc3("ListKeys", b"{}", region=b"ap-" + b))
    case("utf8", f"X-TC-Version-{label}", lambda t, b=bad: t.tc3("ListKeys", b"{}", version=b"2019" + b))
    case("utf8", f"Content-Type-{label}", lambda t, b=bad: t.tc3(
        "ListKeys", b"{}", content_type=b"application/json; x=" + b))
    case("utf8", f"Authorization-credential-{label}", lambda t, b=bad: t.tc3(
        "ListKeys", b"{}", authorization=b"TC3-HMAC-SHA256 Credential=" + b + b"/2020-01-01/kms/tc3_request, "
                                         b"SignedHeaders=content-type;host, Signature=" + b"0" * 64))
    case("utf8", f"query-percent-{label}", lambda t, b=bad: t.tc3(
        "ListKeyDetail", method="GET", content_type=FORM_CT, query="SearchKeyAlias=" + quote(b)))
    case("utf8", f"v1-value-percent-{label}", lambda t, b=bad: t.v1(
        "ListKeyDetail", [], tail="&SearchKeyAlias=" + quote(b)))
    case("utf8", f"v1-name-percent-{label}", lambda t, b=bad: t.v1("ListKeys", [], tail="&" + quote(b) + "=1"))
    case("utf8", f"form-body-raw-{label}", lambda t, b=bad: t.tc3(
        "ListKeyDetail", b"SearchKeyAlias=" + b, content_type=FORM_CT))
    case("utf8", f"v1-body-raw-{label}", lambda t, b=bad: _v1_raw_value(t, b))
    case("utf8", f"query-raw-{label}", lambda t, b=bad: _tc3_raw_query(t, b"SearchKeyAlias=" + b),
         method="GET")
case("utf8", "query-raw-bytes", lambda t: http_request("GET", b"/?Action=ListKeys&x=\xff\xfe", [("Host", t.endpoint)]),
     method="GET")

# ---- base64: garbage Plaintext, CiphertextBlob and key material --------------------------------------

GARBAGE_B64 = {
    "bang": "!!!!", "no-padding": "aGVsbG8", "extra-padding": "aGVsbG8==", "padding-inside": "aG=sbG8=",
    "space": "aGVs bG8=", "newline": "aGVsbG8=\n", "crlf-wrapped": "aGVs\r\nbG8=", "empty": "", "only-padding": "====",
    "url-safe": "-_-_", "non-ascii": "aGVsbG8=\u00e9", "cjk": "\u4f60\u597d\u4e16\u754c", "nul": "aGVs\u0000bG8=",
    "length-5": "aGVsb", "non-canonical-bits": "aGVsbG9=", "one-char": "a", "percent": "aGVsbG8%3D",
    "data-uri": "data:;base64,aGVsbG8=", "hex": "68656c6c6f", "tab": "\taGVsbG8=",
}
for label, text in GARBAGE_B64.items():
    case("base64", f"Plaintext-{label}", lambda t, s=text: t.tc3_json("Encrypt", {"KeyId": t.key_fips, "Plaintext": s}))
    case("base64", f"CiphertextBlob-{label}", lambda t, s=text: t.tc3_json("Decrypt", {"CiphertextBlob": s}))
for label in ("bang", "no-padding", "empty", "cjk", "nul", "non-canonical-bits"):
    case("base64", f"EncryptedKeyMaterial-{label}", lambda t, s=GARBAGE_B64[label]: t.tc3_json("ImportKeyMaterial", {
        "KeyId": t.key_fips, "ImportToken": "x", "EncryptedKeyMaterial": s}))
for label, pem in {"garbage": "not a key", "empty-pem": "-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----",
                   "bad-base64-pem": "-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----",
                   "truncated-der": b64(bytes.fromhex("3059301306072a8648ce3d020106082a811ccf5501822d034200"))}.items():
    case("base64", f"EncryptionPublicKey-{label}", lambda t, p=pem: t.tc3_json("GenerateDataKey", {
        "KeyId": t.key_fips, "NumberOfBytes": 16, "EncryptionPublicKey": p,
        "EncryptionAlgorithm": "RSAES_OAEP_SHA_256"}))
case("base64", "EncryptionAlgorithm-unknown", lambda t: t.tc3_json("GenerateDataKey", {
    "KeyId": t.key_fips, "NumberOfBytes": 16, "EncryptionPublicKey": PLAINTEXT, "EncryptionAlgorithm": "ROT13"}))

# ---- envelope: truncated, bit-flipped and foreign CiphertextBlobs -------------------------------------

def _decrypt(t, blob: bytes, context=CONTEXT, region=FIPS_REGION):
    params = {"CiphertextBlob": b64(blob)}
    if context is not None:
        params["EncryptionContext"] = context
    return t.tc3_json("Decrypt", params, region=region)


def _own(t):
    return base64.b64decode(t.blob_fips)


for length in (0, 1, 2, 17, 18, 21, 22, 33, 34, 49, 50, -17, -16, -1):
    case("envelope", f"truncated-to-{length}", lambda t, n=length: _decrypt(t, _own(t)[:n]))
for offset in (0, 1, 2, 9, 17, 18, 21, 22, 27, 33, 34, -17, -16, -8, -1):
    case("envelope", f"bit-flip-at-{offset}", lambda t, o=offset: _decrypt(t, _flip(_own(t), o)))


def _flip(blob, offset):
    out = bytearray(blob)
    out[offset] ^= 0x01
    return bytes(out)


def _with(blob, offset, value: bytes):
    return blob[:offset] + value + blob[offset + len(value):]


for label, build in {
    "format-version-0": lambda b: _with(b, 0, b"\x00"),
    "format-version-2": lambda b: _with(b, 0, b"\x02"),
    "format-version-255": lambda b: _with(b, 0, b"\xff"),
    "algorithm-0": lambda b: _with(b, 1, b"\x00"),
    "algorithm-255": lambda b: _with(b, 1, b"\xff"),
    "algorithm-swapped": lambda b: _with(b, 1, bytes([b[1] ^ 0x03])),
    "unknown-key-id": lambda b: _with(b, 2, uuid.uuid4().bytes),
    "zero-key-id": lambda b: _with(b, 2, bytes(16)),
    "material-version-0": lambda b: _with(b, 18, bytes(4)),
    "material-version-2": lambda b: _with(b, 18, b"\x00\x00\x00\x02"),
    "material-version-max": lambda b: _with(b, 18, b"\xff\xff\xff\xff"),
    "appended-byte": lambda b: b + b"\x00",
    "appended-block": lambda b: b + bytes(64),
    "tag-zeroed": lambda b: b[:-16] + bytes(16),
    "ciphertext-removed": lambda b: b[:34] + b[-16:],
    "doubled": lambda b: b + b,
    "random-same-length": lambda b: os.urandom(len(b)),
    "zeros-same-length": lambda b: bytes(len(b)),
    "random-200": lambda b: os.urandom(200),
    "aws-like": lambda b: b"\x01\x02\x02\x00x" + os.urandom(180),
}.items():
    case("envelope", label, lambda t, f=build: _decrypt(t, f(_own(t))))

case("envelope", "other-account", lambda t: t.tc3_json("Decrypt", {"CiphertextBlob": t.blob_foreign}))
case("envelope", "other-account-with-context", lambda t: t.tc3_json("Decrypt", {"CiphertextBlob": t.blob_foreign,
                                                                                "EncryptionContext": CONTEXT}))
case("envelope", "other-region", lambda t: t.tc3_json("Decrypt", {"CiphertextBlob": t.blob_fips_2,
                                                                  "EncryptionContext": CONTEXT}))
case("envelope", "sm-blob-in-fips-region", lambda t: t.tc3_json("Decrypt", {"CiphertextBlob": t.blob_sm,
                                                                            "EncryptionContext": CONTEXT}))
case("envelope", "fips-blob-in-sm-region", lambda t: t.tc3_json(
    "Decrypt", {"CiphertextBlob": t.blob_fips, "EncryptionContext": CONTEXT}, region=SM_REGION))
case("envelope", "fips-blob-in-other-fips-region", lambda t: t.tc3_json(
    "Decrypt", {"CiphertextBlob": t.blob_fips, "EncryptionContext": CONTEXT}, region=FIPS_REGION_2))
case("envelope", "context-missing", lambda t: _decrypt(t, _own(t), context=None))
case("envelope", "context-different", lambda t: _decrypt(t, _own(t), context='{"purpose":"other"}'))
case("envelope", "context-reordered-value", lambda t: _decrypt(t, _own(t), context='{"purpos":"ehostile"}'))
case("envelope", "context-extra-member", lambda t: _decrypt(t, _own(t), context='{"purpose":"hostile","x":"y"}'))
case("envelope", "context-not-strings", lambda t: _decrypt(t, _own(t), context='{"purpose":1}'))
case("envelope", "context-array", lambda t: _decrypt(t, _own(t), context='["purpose","hostile"]'))
case("envelope", "blob-base64-twice", lambda t: t.tc3_json("Decrypt", {"CiphertextBlob": b64(t.blob_fips.encode()),
                                                                       "EncryptionContext": CONTEXT}))
case("envelope", "blob-url-safe", lambda t: t.tc3_json("Decrypt", {
    "CiphertextBlob": t.blob_fips.replace("+", "-").replace("/", "_") if ("+" in t.blob_fips or "/" in t.blob_fips)
    else t.blob_fips[:-4], "EncryptionContext": CONTEXT}))
for label, build in {"truncated": lambda b: b[:30], "bit-flip": lambda b: _flip(b, -1), "other-account": None}.items():
    case("envelope", f"ReEncrypt-{label}", lambda t, f=build: t.tc3_json("ReEncrypt", {
        "CiphertextBlob": t.blob_foreign if f is None else b64(f(_own(t))), "SourceEncryptionContext": CONTEXT}))
case("envelope", "ReEncrypt-destination-other-account", lambda t: t.tc3_json("ReEncrypt", {
    "CiphertextBlob": t.blob_fips, "SourceEncryptionContext": CONTEXT, "DestinationKeyId": str(uuid.uuid4())}))
case("envelope", "ReEncrypt-destination-sm-key", lambda t: t.tc3_json("ReEncrypt", {
    "CiphertextBlob": t.blob_fips, "SourceEncryptionContext": CONTEXT, "DestinationKeyId": t.key_sm}))

# ---- auth: broken Authorization headers -----------------------------------------------------------

def _auth(t, template):
    """A ListKeys request whose Authorization is ``template`` with {sid}, {date} and {sig} (the
    correct signature; {upper}: upper-cased, {short}: one digit short) filled in, so that only the
    malformation can be what fails."""
    ts = int(time.time())
    good = t.tc3("ListKeys", b"{}", timestamp=ts)
    sig = re.search(rb"Signature=([0-9a-f]{64})", good).group(1).decode()
    value = template.format(sid=t.secret_id, date=utc_date(ts), sig=sig, upper=sig.upper(), short=sig[:63])
    return t.tc3("ListKeys", b"{}", timestamp=ts, authorization=value)


CRED = "Credential={sid}/{date}/kms/tc3_request"
HEADERS = "SignedHeaders=content-type;host"
SIG = "Signature={sig}"


def tc3_auth(*fields, algorithm="TC3-HMAC-SHA256"):
    return algorithm + " " + ", ".join(fields)


AUTH = {
    "empty": "",
    "space": " ",
    "algorithm-only": "TC3-HMAC-SHA256",
    "algorithm-and-space": "TC3-HMAC-SHA256 ",
    "wrong-algorithm-sha1": tc3_auth(CRED, HEADERS, SIG, algorithm="TC3-HMAC-SHA1"),
    "wrong-algorithm-aws": tc3_auth(CRED, HEADERS, SIG, algorithm="AWS4-HMAC-SHA256"),
    "lowercase-algorithm": tc3_auth(CRED, HEADERS, SIG, algorithm="tc3-hmac-sha256"),
    "bearer": "Bearer eyJhbGciOiJub25lIn0.e30.",
    "basic": "Basic " + b64(b"admin:admin"),
    "no-credential": tc3_auth(HEADERS, SIG),
    "no-signed-headers": tc3_auth(CRED, SIG),
    "no-signature": tc3_auth(CRED, HEADERS),
    "empty-signature": tc3_auth(CRED, HEADERS, "Signature="),
    "duplicate-credential": tc3_auth(CRED, CRED, HEADERS, SIG),
    "duplicate-signature": tc3_auth(CRED, HEADERS, SIG, SIG),
    "extra-field": tc3_auth(CRED, HEADERS, SIG, "Extra=1"),
    "field-without-equals": tc3_auth(CRED, "SignedHeaders", SIG),
    "semicolons": "TC3-HMAC-SHA256 " + "; ".join((CRED, HEADERS, SIG)),
    "tabs": "TC3-HMAC-SHA256\t" + ",\t".join((CRED, HEADERS, SIG)),
    "non-hex-signature": tc3_auth(CRED, HEADERS, "Signature=" + "z" * 64),
    "uppercase-signature": tc3_auth(CRED, HEADERS, "Signature={upper}"),
    "short-signature": tc3_auth(CRED, HEADERS, "Signature={short}"),
    "long-signature": tc3_auth(CRED, HEADERS, "Signature={sig}0"),
    "base64-signature": tc3_auth(CRED, HEADERS, "Signature=" + b64(bytes(32))),
    "zero-signature": tc3_auth(CRED, HEADERS, "Signature=" + "0" * 64),
    "scope-wrong-date": tc3_auth("Credential={sid}/1999-12-31/kms/tc3_request", HEADERS, SIG),
    "scope-garbage-date": tc3_auth("Credential={sid}/yesterday/kms/tc3_request", HEADERS, SIG),
    "scope-wrong-service": tc3_auth("Credential={sid}/{date}/cvm/tc3_request", HEADERS, SIG),
    "scope-wrong-terminator": tc3_auth("Credential={sid}/{date}/kms/tc3_requestx", HEADERS, SIG),
    "scope-too-short": tc3_auth("Credential={sid}/{date}/tc3_request", HEADERS, SIG),
    "scope-too-long": tc3_auth("Credential={sid}/{date}/kms/x/tc3_request", HEADERS, SIG),
    "scope-empty-secret-id": tc3_auth("Credential=/{date}/kms/tc3_request", HEADERS, SIG),
    "scope-only-slashes": tc3_auth("Credential=///", HEADERS, SIG),
    "unknown-secret-id": tc3_auth("Credential=AKID" + "x" * 32 + "/{date}/kms/tc3_request", HEADERS, SIG),
    "short-secret-id": tc3_auth("Credential=AKID/{date}/kms/tc3_request", HEADERS, SIG),
    "sql-secret-id": tc3_auth("Credential=' OR '1'='1'--/{date}/kms/tc3_request", HEADERS, SIG),
    "signed-headers-no-host": tc3_auth(CRED, "SignedHeaders=content-type", SIG),
    "signed-headers-empty": tc3_auth(CRED, "SignedHeaders=", SIG),
    "signed-headers-empty-item": tc3_auth(CRED, "SignedHeaders=content-type;;host", SIG),
    "signed-headers-absent-header": tc3_auth(CRED, "SignedHeaders=content-type;host;x-not-sent", SIG),
    "signed-headers-40": tc3_auth(CRED, HEADERS + "".join(f";x-h{i}" for i in range(40)), SIG),
    "header-2049-chars": tc3_auth(CRED, HEADERS, SIG, "P=" + "p" * 1900),
    "header-7KiB": tc3_auth("Credential=" + "C" * 7000 + "/{date}/kms/tc3_request", HEADERS, SIG),
    "header-10KiB": tc3_auth("Credential=" + "C" * 10240 + "/{date}/kms/tc3_request", HEADERS, SIG),
}
for label, template in AUTH.items():
    case("auth", label, lambda t, tpl=template: _auth(t, tpl), payloads=["C" * (MAX_ECHO + 1), "p" * (MAX_ECHO + 1)])

case("auth", "two-authorization-headers", lambda t: t.tc3(
    "ListKeys", b"{}", authorization="TC3-HMAC-SHA256 garbage", extra_headers=[("Authorization", "Bearer x")]))
case("auth", "no-authorization-no-signature", lambda t: t.tc3("ListKeys", b"{}", omit=("authorization",)))
case("auth", "wrong-secret-key", lambda t: t.tc3("ListKeys", b"{}", secret_key="k" * 32))
case("auth", "signed-for-cvm", lambda t: t.tc3("ListKeys", b"{}", service="cvm"))
case("auth", "stale-timestamp", lambda t: t.tc3("ListKeys", b"{}", timestamp=int(time.time()) - 400))
case("auth", "future-timestamp", lambda t: t.tc3("ListKeys", b"{}", timestamp=int(time.time()) + 400))
case("auth", "token-given", lambda t: t.tc3("ListKeys", b"{}", extra_headers=[("X-TC-Token", "sts-token")]))
case("auth", "body-swapped-after-signing", lambda t: t.tc3("ListKeys", b'{"Limit": 5}')
     .replace(b'"Limit": 5', b'"Limit": 6'))
case("auth", "signed-extra-header-changed", lambda t: t.tc3(
    "ListKeys", b"{}", signed_extra={"X-TC-Action": "ListKeys"})
    .replace(b"X-TC-Action: ListKeys", b"X-TC-Action: GetRegions"))
case("auth", "v1-no-signature", lambda t: t.v1("ListKeys", [], signature=None))
case("auth", "v1-bad-signature", lambda t: t.v1("ListKeys", [], signature=b64(bytes(32))))
case("auth", "v1-garbage-signature", lambda t: t.v1("ListKeys", [], signature="%%%not-base64"))
case("auth", "v1-empty-signature", lambda t: t.v1("ListKeys", [], signature=""))
case("auth", "v1-md5", lambda t: t.v1("ListKeys", [], sign_method="HmacMD5"))
case("auth", "v1-missing-nonce", lambda t: t.v1("ListKeys", [], common={"Nonce": None}))
case("auth", "v1-missing-secret-id", lambda t: t.v1("ListKeys", [], common={"SecretId": None}))
case("auth", "v1-missing-action", lambda t: t.v1("ListKeys", [], common={"Action": None}))
case("auth", "v1-empty-action", lambda t: t.v1("", []))
case("auth", "v1-secret-id-60KiB", lambda t: t.v1("ListKeys", [], common={"SecretId": "S" * BIG}),
     payloads=["S" * (MAX_ECHO + 1)])

# ---- form: flattened-parameter abuse, duplicates, percent-encoding garbage ---------------------------

FLAT = {
    "index-99999": "KeyIds.99999=x",
    "index-1001": "KeyIds.1001=x",
    "index-1-without-0": "KeyIds.1=x",
    "index-gap": "KeyIds.0=a&KeyIds.2=b",
    "index-leading-zero": "KeyIds.0=a&KeyIds.01=b",
    "index-negative": "KeyIds.-1=x",
    "index-huge": "KeyIds.99999999999999999999=x",
    "index-plus": "KeyIds.%2B0=x",
    "index-unicode-digit": "KeyIds.%D9%A0=x",
    "depth-9": "KeyIds." + ".".join(["0"] * 8) + "=x",
    "depth-50": ".".join(f"A{i}" for i in range(50)) + "=x",
    "depth-50-numeric": "KeyIds" + ".0" * 49 + "=x",
    "mixed-list-object": "KeyIds.0=a&KeyIds.x=b",
    "scalar-and-list": "KeyIds=a&KeyIds.0=b",
    "list-and-scalar": "KeyIds.0=b&KeyIds=a",
    "leaf-and-branch": "KeyIds.0=a&KeyIds.0.x=b",
    "empty-segment": "KeyIds..0=x",
    "leading-dot": ".KeyIds.0=x",
    "trailing-dot": "KeyIds.0.=x",
    "only-dots": "...=x",
    "empty-name": "=x",
    "no-equals": "KeyIds",
    "ampersands": "&&&KeyIds.1=x&&&",
    "duplicate-param": "KeyIds.0=a&KeyIds.0=b",
    "duplicate-encoded": "KeyIds.0=a&KeyIds%2E0=b",
    "unknown-object": "Tags.0.TagKey=k&Tags.0.TagValue=v",
    "object-as-list": "KeyIds.KeyId=x",
    "space-in-name": "Key+Ids.0=x",
    "percent-alone": "KeyIds.0=%",
    "percent-one-digit": "KeyIds.0=%4",
    "percent-non-hex": "KeyIds.0=%G0",
    "percent-percent": "KeyIds.0=%%",
    "percent-u": "KeyIds.0=%u0041",
    "percent-in-name": "Key%ZZIds.0=x",
    "nul-in-value": "KeyIds=%00",
    "nul-in-index": "KeyIds.%00=x",
    "nul-in-name": "KeyIds%00.0=x",
    "double-encoded": "KeyIds%252E0=x",
    "equals-in-name": "KeyIds.0%3D=x",
}
for label, text in FLAT.items():
    case("form", f"tc3-get-{label}", lambda t, s=text: t.tc3(
        "DescribeKeys", method="GET", content_type=FORM_CT, query=s), method="GET")
    case("form", f"tc3-post-{label}", lambda t, s=text: t.tc3("DescribeKeys", s.encode(), content_type=FORM_CT))
    case("form", f"v1-post-{label}", lambda t, s=text: t.v1("DescribeKeys", [], tail="&" + s))
    case("form", f"v1-get-{label}", lambda t, s=text: t.v1("DescribeKeys", [], tail="&" + s, method="GET"),
         method="GET")

for name in ("Action", "Version", "Timestamp", "Nonce", "SecretId", "Signature", "SignatureMethod", "Region",
             "Language"):
    case("form", f"v1-duplicate-{name}", lambda t, n=name: t.v1("ListKeys", [], tail=f"&{n}=ListKeys"))
case("form", "v1-duplicate-KeyId", lambda t: t.v1("DescribeKey", [("KeyId", t.key_fips), ("KeyId", t.key_sm)]))
case("form", "v1-1001-KeyIds", lambda t: t.v1("DescribeKeys", [(f"KeyIds.{i}", "k") for i in range(1001)]))
case("form", "v1-101-KeyIds", lambda t: t.v1("DescribeKeys", [(f"KeyIds.{i}", t.key_fips) for i in range(101)]))
case("form", "v1-integer-garbage", lambda t: t.v1("ListKeys", [("Limit", "5abc")]))
case("form", "v1-integer-overflow", lambda t: t.v1("ListKeys", [("Limit", "9223372036854775808")]))
case("form", "v1-integer-float", lambda t: t.v1("ListKeys", [("Limit", "5.0")]))
case("form", "v1-integer-empty", lambda t: t.v1("ListKeys", [("Limit", "")]))
case("form", "v1-integer-spaces", lambda t: t.v1("ListKeys", [("Limit", " 5 ")]))
case("form", "v1-Timestamp-garbage", lambda t: t.v1("ListKeys", [], common={"Timestamp": "yesterday"}))
case("form", "v1-Region-garbage", lambda t: t.v1("ListKeys", [], common={"Region": "../../etc/passwd"}))
case("form", "v1-Version-wrong", lambda t: t.v1("ListKeys", [], common={"Version": "2017-03-12"}))
case("form", "tc3-get-with-body", lambda t: t.tc3("DescribeKeys", b"KeyIds.0=x", method="GET", content_type=FORM_CT,
                                                  query="KeyIds.99999=y"), method="GET")

# ---- http: methods, content types, lengths, framing ----------------------------------------------------

for verb in ("PUT", "DELETE", "OPTIONS", "PATCH", "PROPFIND", "FOO", "TRACE", "CONNECT", "post", "G ET"):
    case("http", f"method-{verb.replace(' ', '_')}", lambda t, m=verb: t.tc3("ListKeys", b"{}", method=m), method=verb)
case("http", "method-HEAD", lambda t: t.tc3("ListKeys", method="HEAD"), method="HEAD")
for label, ctype in {"text-plain": "text/plain", "xml": "application/xml",
                     "multipart": "multipart/form-data; boundary=x",
                     "empty": "", "json-patch": "application/json-patch+json", "jsonx": "application/jsonx",
                     "octet-stream": "application/octet-stream",
                     "form-for-json-body": FORM_CT}.items():
    case("http", f"content-type-{label}", lambda t, c=ctype: t.tc3("DescribeKey", b'{"KeyId": "' + t.key_fips.encode()
                                                                    + b'"}' + (b"&x" if c == FORM_CT else b""),
                                                                    content_type=c))
case("http", "content-type-missing", lambda t: t.tc3("ListKeys", b"{}", omit=("content-type",)))
case("http", "content-type-twice", lambda t: t.tc3("ListKeys", b"{}", omit=("content-type",), extra_headers=[
    ("Content-Type", "text/plain"), ("Content-Type", "application/xml")]))
case("http", "content-length-shorter", lambda t: t.tc3("Encrypt", _encrypt_body(t), content_length=False)
     .replace(b"Connection: close", b"Content-Length: 20\r\nConnection: close"))
case("http", "content-length-longer", lambda t: t.tc3("Encrypt", _encrypt_body(t), content_length=False)
     .replace(b"Connection: close", b"Content-Length: 4000\r\nConnection: close"), closed_ok=True)
case("http", "content-length-zero-with-body", lambda t: t.tc3("Encrypt", _encrypt_body(t), content_length=False)
     .replace(b"Connection: close", b"Content-Length: 0\r\nConnection: close"))
case("http", "content-length-negative", lambda t: t.tc3("ListKeys", b"{}", content_length=False)
     .replace(b"Connection: close", b"Content-Length: -1\r\nConnection: close"))
case("http", "content-length-garbage", lambda t: t.tc3("ListKeys", b"{}", content_length=False)
     .replace(b"Connection: close", b"Content-Length: 2x\r\nConnection: close"))
case("http", "content-length-twice", lambda t: t.tc3("ListKeys", b"{}")
     .replace(b"Connection: close", b"Content-Length: 3\r\nConnection: close"))
case("http", "content-length-huge", lambda t: t.tc3("ListKeys", b"{}", content_length=False)
     .replace(b"Connection: close", b"Content-Length: 99999999999999999999\r\nConnection: close"))
case("http", "chunked-bad-size", lambda t: t.tc3("ListKeys", b"zz\r\n{}\r\n0\r\n\r\n", content_length=False)
     .replace(b"Connection: close", b"Transfer-Encoding: chunked\r\nConnection: close"))
case("http", "chunked-and-content-length", lambda t: t.tc3("ListKeys", b"2\r\n{}\r\n0\r\n\r\n")
     .replace(b"Connection: close", b"Transfer-Encoding: chunked\r\nConnection: close"))
case("http", "chunked-unterminated", lambda t: t.tc3("ListKeys", b"2\r\n{}\r\n", content_length=False)
     .replace(b"Connection: close", b"Transfer-Encoding: chunked\r\nConnection: close"), closed_ok=True)
case("http", "http-1.0-no-host", lambda t: t.tc3("ListKeys", b"{}", http_version="HTTP/1.0", omit=("host",)))
case("http", "http-1.0-bad-json", lambda t: t.tc3("ListKeys", b"{", http_version="HTTP/1.0"))
case("http", "http-1.0-get-flattened", lambda t: t.tc3("DescribeKeys", method="GET", content_type=FORM_CT,
                                                       query="KeyIds.5=x", http_version="HTTP/1.0"), method="GET")
case("http", "http-1.1-no-host", lambda t: t.tc3("ListKeys", b"{}", omit=("host",)))
case("http", "two-host-headers", lambda t: t.tc3("ListKeys", b"{}", extra_headers=[("Host", "evil.example")]))
case("http", "host-without-port", lambda t: t.tc3("ListKeys", b"{}", host=t.endpoint.rsplit(":", 1)[0] + "x"))
case("http", "host-garbage", lambda t: t.tc3("ListKeys", b"{}", host="../../\\x"))
# (HTTP/2.0 and later in an HTTP/1 request line get nginx's 505 Version Not Supported: not in the corpus.)
case("http", "garbage-version", lambda t: t.tc3("ListKeys", b"{}", http_version="XTTP/1.1"))
case("http", "obs-fold-header", lambda t: t.tc3("ListKeys", b"{}").replace(b"X-TC-Region: ", b"X-TC-Region:\r\n "))
# nginx drops header lines without a colon: the action smuggled in one is missing.
case("http", "header-without-colon", lambda t: t.tc3("ListKeys", b"{}", omit=("x-tc-action",))
     .replace(b"Connection: close", b"X-TC-Action ListKeys\r\nConnection: close"))
case("http", "nul-in-header", lambda t: t.tc3(b"List\x00Keys", b"{}"))
case("http", "two-actions", lambda t: t.tc3("NoSuchAction", b"{}", extra_headers=[("X-TC-Action", "AlsoNoSuchAction")]))
case("http", "two-timestamps", lambda t: t.tc3("ListKeys", b"{}", extra_headers=[("X-TC-Timestamp", "1")],
                                                timestamp=int(time.time()) - 1000))
case("http", "underscore-header", lambda t: t.tc3("ListKeys", b"{}", omit=("x-tc-action",),
                                                  extra_headers=[("X_TC_Action", "ListKeys")]))
case("http", "request-line-only", lambda t: b"POST / HTTP/1.1\r\n\r\n")
case("http", "binary-garbage", lambda t: b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + os.urandom(64))


# ---- nul: NUL characters in string parameters -------------------------------------------------------

# A NUL in any string parameter is refused (libpq's text parameters would cut the value short).
case("nul", "CreateKey.Description", lambda t: t.tc3_json("CreateKey", {
    "Alias": unique_alias("hostile"), "Description": "visible\u0000hidden"}))
case("nul", "UpdateKeyDescription.Description", lambda t: t.tc3_json("UpdateKeyDescription", {
    "KeyId": t.key_fips, "Description": "visible\u0000hidden"}))
case("nul", "ListKeyDetail.SearchKeyAlias", lambda t: t.tc3_json("ListKeyDetail", {
    "SearchKeyAlias": "\u0000no-such-alias"}))
case("nul", "v1-UpdateKeyDescription.Description", lambda t: t.v1("UpdateKeyDescription", [
    ("KeyId", t.key_fips), ("Description", "visible\u0000hidden")]))
case("nul", "Encrypt.KeyId", lambda t: t.tc3_json("Encrypt", {"KeyId": t.key_fips + "\u0000", "Plaintext": PLAINTEXT}))
case("nul", "CreateKey.Alias", lambda t: t.tc3_json("CreateKey", {"Alias": "hostile\u0000" + uuid.uuid4().hex[:8]}))
case("nul", "Decrypt.CiphertextBlob", lambda t: t.tc3_json("Decrypt", {"CiphertextBlob": t.blob_fips + "\u0000"}))
case("nul", "ImportKeyMaterial.ImportToken", lambda t: t.tc3_json("ImportKeyMaterial", {
    "KeyId": t.key_fips, "ImportToken": "\u0000", "EncryptedKeyMaterial": PLAINTEXT}))

# ---- publickey: EncryptionPublicKey that cannot take the data key ---------------------------------------


@functools.cache
def _public_pem(kind):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    if kind == "rsa-2048":
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    elif kind == "rsa-1024":
        key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    else:
        key = ec.generate_private_key(ec.SECP256R1())
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


for kind, algorithm, size in [
    ("rsa-2048", "RSAES_PKCS1_V1_5", 246), ("rsa-2048", "RSAES_PKCS1_V1_5", 1024),
    ("rsa-2048", "RSAES_OAEP_SHA_1", 215),
    ("rsa-2048", "RSAES_OAEP_SHA_256", 191), ("rsa-2048", "RSAES_OAEP_SHA_256", 1024), ("rsa-2048", "SM2", 16),
    ("rsa-1024", "RSAES_PKCS1_V1_5", 16), ("p-256", "RSAES_OAEP_SHA_256", 16), ("p-256", "SM2", 16),
]:
    case("publickey", f"{kind}-{algorithm}-{size}-bytes", lambda t, k=kind, a=algorithm, n=size: t.tc3_json(
        "GenerateDataKey", {"KeyId": t.key_fips, "NumberOfBytes": n, "EncryptionPublicKey": _public_pem(k),
                            "EncryptionAlgorithm": a}))
case("publickey", "Decrypt-rsa-1024", lambda t: t.tc3_json("Decrypt", {
    "CiphertextBlob": t.blob_fips, "EncryptionContext": CONTEXT, "EncryptionPublicKey": _public_pem("rsa-1024"),
    "EncryptionAlgorithm": "RSAES_PKCS1_V1_5"}))
case("publickey", "Decrypt-not-pem", lambda t: t.tc3_json("Decrypt", {
    "CiphertextBlob": t.blob_fips, "EncryptionContext": CONTEXT,
    "EncryptionPublicKey": _public_pem("rsa-2048").replace("-----", "====="),
    "EncryptionAlgorithm": "RSAES_PKCS1_V1_5"}))


# --------------------------------------------------------------------------------------------------
# checks
# --------------------------------------------------------------------------------------------------

def declared_codes(repo):
    """Every Tencent code the service declares (its single code table)."""
    path = os.path.join(repo, "Sources", "KMSCore", "KMSError+Code.swift")
    with open(path, encoding="utf-8") as f:
        codes = set(re.findall(r'case \w+ = "([A-Za-z.]+)"', f.read()))
    assert len(codes) > 10, f"no codes found in {path}"
    return codes


def longest_echo(message, sent: bytes, payloads):
    """The first run of more than MAX_ECHO characters of ``message`` that also occurs in what was
    sent (raw, UTF-8-decoded or percent-decoded) or in one of the case's hostile strings."""
    text = sent.decode("utf-8", errors="replace")
    haystacks = [text, sent.decode("latin-1"), unquote_plus(text), *payloads]
    window = MAX_ECHO + 1
    for i in range(max(0, len(message) - window + 1)):
        piece = message[i:i + window]
        if any(piece in h for h in haystacks):
            return piece
    return None


def check_answer(answer: Answer, sent: bytes, the_case: Case, codes):
    if answer.status == 0:
        assert the_case.closed_ok, "nginx closed the connection without answering"
        return "closed"
    if 400 <= answer.status < 500:
        return answer.status  # nginx refused it; the responder never answers anything but 200
    assert answer.status == 200, f"HTTP {answer.status}: {answer.body[:300]!r}"
    assert answer.content_type == JSON_CT, f"Content-Type {answer.content_type!r} (want exactly {JSON_CT!r})"
    if the_case.method == "HEAD":
        return "HEAD"
    try:
        doc = json.loads(answer.body)
    except ValueError:
        pytest.fail(f"body is not JSON: {answer.body[:300]!r}")
    assert isinstance(doc, dict) and set(doc) == {"Response"}, f"not a Response document: {doc!r}"
    response = doc["Response"]
    assert isinstance(response, dict) and "Error" in response, f"hostile input succeeded: {str(response)[:300]}"
    assert set(response) == {"Error", "RequestId"}, f"unexpected members: {sorted(response)}"
    assert isinstance(response["RequestId"], str) and UUID_ANYCASE_RE.match(response["RequestId"]), response
    error = response["Error"]
    assert isinstance(error, dict) and set(error) == {"Code", "Message"}, f"malformed Error: {error!r}"
    code, message = error["Code"], error["Message"]
    assert code != "InternalError", f"InternalError: {message!r} [RequestId {response['RequestId']}]"
    assert code in codes, f"{code!r} is not a Tencent code the service declares"
    assert isinstance(message, str) and message.strip(), "empty Message"
    echo = longest_echo(message, sent, the_case.payloads)
    assert echo is None, f"Message repeats more than {MAX_ECHO} characters of the input: {echo!r}"
    return code


# --------------------------------------------------------------------------------------------------
# fixtures and tests
# --------------------------------------------------------------------------------------------------

def responder_pid(home):
    try:
        with open(os.path.join(home, "run", "responder.pid")) as f:
            return f.read().strip()
    except OSError:
        return None


def wait_until_answering(raw, account, seconds=20):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if raw.tc3(account, "GetServiceStatus").status_code == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)


@pytest.fixture(scope="module")
def target(kms_env, account_a, account_b):
    """Keys and blobs of account A (FIPS, SM, the second FIPS region) and one of account B; and the
    responder's pid before the first hostile request."""
    raw = RawClient(kms_env.endpoint)

    def new_key(account, region):
        return ok(raw.tc3(account, "CreateKey", {"Alias": unique_alias("hostile")}, region=region))["KeyId"]

    def blob(account, key_id, region):
        return ok(raw.tc3(account, "Encrypt", {"KeyId": key_id, "Plaintext": PLAINTEXT, "EncryptionContext": CONTEXT},
                          region=region))["CiphertextBlob"]

    t = Target(endpoint=kms_env.endpoint, secret_id=account_a.secret_id, secret_key=account_a.secret_key)
    t.key_fips = new_key(account_a, FIPS_REGION)
    t.key_sm = new_key(account_a, SM_REGION)
    t.blob_fips = blob(account_a, t.key_fips, FIPS_REGION)
    t.blob_sm = blob(account_a, t.key_sm, SM_REGION)
    t.blob_fips_2 = blob(account_a, new_key(account_a, FIPS_REGION_2), FIPS_REGION_2)
    t.blob_foreign = blob(account_b, new_key(account_b, FIPS_REGION), FIPS_REGION)
    t.data_key_fips = ok(raw.tc3(account_a, "GenerateDataKey", _hosted_body(t)))["DataKeyId"]
    t.pid_before = responder_pid(kms_env.home)
    t.raw, t.account = raw, account_a
    return t


@pytest.fixture(scope="module")
def codes(kms_env):
    return declared_codes(kms_env.repo)


@pytest.mark.parametrize("action, base", [(a, b) for a, b, _, _ in TYPED_ACTIONS],
                         ids=[f"{a}.{p}" for a, _, p, _ in TYPED_ACTIONS])
def test_typed_base_request_succeeds(target, action, base):
    """The 'types' cases change one parameter of these requests: unchanged, each must succeed, so
    that only the wrong type can be what the service refuses."""
    ok(target.raw.tc3(target.account, action, base(target)))


def test_corpus_is_large_enough():
    ids = [c.id for c in CASES]
    assert len(set(ids)) == len(ids), "duplicate case ids"
    assert len(CASES) >= 300, f"only {len(CASES)} hostile cases"


@pytest.mark.parametrize("the_case", CASES, ids=[c.id for c in CASES])
def test_hostile_request_gets_a_client_error(target, codes, kms_env, the_case):
    sent = the_case.build(target)
    pid = responder_pid(kms_env.home)
    answer = exchange(target.endpoint, sent, the_case.method, half_close=the_case.closed_ok)
    if answer.status >= 500 or answer.status == 0:
        # A crashed responder is restarted within seconds: wait for it, so that the pid check
        # names this case and the next case meets a working service.
        wait_until_answering(target.raw, target.account)
    after = responder_pid(kms_env.home)
    assert after == pid, (f"the responder restarted (pid {pid} -> {after}) on this request "
                          f"(HTTP {answer.status}): {sent[:600]!r}")
    check_answer(answer, sent, the_case, codes)


def test_service_is_healthy_after_the_corpus(target, kms_env):
    """Last in the module: a normal round trip works and the responder never restarted."""
    for region, key_id in ((FIPS_REGION, target.key_fips), (SM_REGION, target.key_sm)):
        blob = ok(target.raw.tc3(target.account, "Encrypt", {"KeyId": key_id, "Plaintext": PLAINTEXT,
                                                             "EncryptionContext": CONTEXT}, region=region))
        plain = ok(target.raw.tc3(target.account, "Decrypt", {"CiphertextBlob": blob["CiphertextBlob"],
                                                              "EncryptionContext": CONTEXT}, region=region))
        assert plain["Plaintext"] == PLAINTEXT and plain["KeyId"] == key_id
    assert responder_pid(kms_env.home) == target.pid_before, (
        f"the responder restarted during the hostile corpus (pid {target.pid_before} -> "
        f"{responder_pid(kms_env.home)}); see $KMS_HOME/log/responder.log")
