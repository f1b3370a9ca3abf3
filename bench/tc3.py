"""TC3-HMAC-SHA256 signing and plain HTTP/1.1 for the benchmark (standard library only).

The signature is Tencent's (SPEC §1, and what ``tencentcloud.common.abstract_client
._get_tc3_signature`` computes), made by the signer the e2e tests use too
(Tests/support/tencent_tc3.py): ``POST /``, empty query, signed headers ``content-type;host``.

* ``Signer.request(account, action, params)`` builds one complete request as bytes, exactly what
  wrk will send (pools) — a request stays valid for 300 s after its timestamp.
* ``Api`` sends signed requests over a kept-alive connection per thread (set-up work: keys,
  ciphertexts, import tokens).
* ``send_raw`` sends pre-built bytes once and returns the parsed answer (pre-checks of pools).
"""

import http.client
import json
import os
import socket
import sys
import threading
import time
from dataclasses import dataclass

# One TC3 signer for the bench and the e2e tests.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "Tests", "support"))
from tencent_tc3 import tc3_signature, utc_date  # noqa: E402,F401  (utc_date: part of this module's interface)

VERSION = "2019-01-18"
SERVICE = "kms"
VERSIONS = {"kms": VERSION, "cam": "2019-01-16"}
REGION = "ap-guangzhou"
JSON_CT = "application/json"


@dataclass(frozen=True)
class Account:
    name: str
    app_id: str
    uin: str
    secret_id: str
    secret_key: str

    @classmethod
    def from_json(cls, name, data):
        return cls(name, str(data["AppId"]), str(data["Uin"]), str(data["SecretId"]), str(data["SecretKey"]))

    def to_json(self):
        return {"Name": self.name, "AppId": self.app_id, "Uin": self.uin,
                "SecretId": self.secret_id, "SecretKey": self.secret_key}


class ApiError(Exception):
    def __init__(self, code, message, action):
        super().__init__(f"{action}: {code}: {message}")
        self.code = code
        self.message = message


class Signer:
    """Signs for one endpoint (``host`` = the Host header as sent, port included)."""

    def __init__(self, host):
        self.host = host

    def headers(self, account, action, params, *, timestamp=None, region=REGION, service=SERVICE):
        """(header list, body bytes) of one signed TC3 JSON request; ``service`` "cam" for CAM's actions."""
        body = json.dumps(params, separators=(",", ":")).encode()
        ts = int(time.time()) if timestamp is None else int(timestamp)
        signature, signed_headers, date = tc3_signature(
            account.secret_key, method="POST", query="", headers={"content-type": JSON_CT, "host": self.host},
            payload=body, timestamp=ts, service=service)
        headers = [
            ("Host", self.host),
            ("Content-Type", JSON_CT),
            ("X-TC-Action", action),
            ("X-TC-Version", VERSIONS[service]),
            ("X-TC-Timestamp", str(ts)),
            ("X-TC-Region", region),
            ("Authorization", f"TC3-HMAC-SHA256 Credential={account.secret_id}/{date}/{service}/tc3_request, "
                              f"SignedHeaders={signed_headers}, Signature={signature}"),
            ("Content-Length", str(len(body))),
        ]
        return headers, body

    def request(self, account, action, params, *, timestamp=None, region=REGION, path="/"):
        """The complete HTTP/1.1 request as bytes (kept-alive connection, as wrk sends it)."""
        headers, body = self.headers(account, action, params, timestamp=timestamp, region=region)
        head = f"POST {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n"
        return head.encode() + body


def with_path(raw, path):
    """The same request bytes sent to another path (the static nginx ceiling)."""
    line, rest = raw.split(b"\r\n", 1)
    method, _, version = line.split(b" ")
    return method + b" " + path.encode() + b" " + version + b"\r\n" + rest


def send_raw(port, data, timeout=30, host="127.0.0.1"):
    """Sends one pre-built request on a fresh connection: (status, content type, body bytes)."""
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(data)
        resp = http.client.HTTPResponse(sock)
        resp.begin()
        body = resp.read()
        return resp.status, resp.getheader("Content-Type"), body


def check_answer(status, content_type, body, what, *, tencent=True):
    """Raises AssertionError unless the answer is a success: HTTP 200, exactly application/json,
    a JSON document, and (for the service) a ``Response`` without ``Error``."""
    if status != 200:
        raise AssertionError(f"{what}: HTTP {status}: {body[:300]!r}")
    if content_type != JSON_CT:
        raise AssertionError(f"{what}: Content-Type {content_type!r}, want {JSON_CT!r}")
    try:
        doc = json.loads(body)
    except ValueError:
        raise AssertionError(f"{what}: body is not JSON: {body[:300]!r}") from None
    if tencent:
        resp = doc.get("Response") if isinstance(doc, dict) else None
        if not isinstance(resp, dict):
            raise AssertionError(f"{what}: no Response object: {body[:300]!r}")
        if "Error" in resp:
            raise AssertionError(f"{what}: error {resp['Error']!r}")
        return resp
    if isinstance(doc, dict) and "Error" in json.dumps(doc):
        raise AssertionError(f"{what}: error in {body[:300]!r}")
    return doc


class Api:
    """Signed calls over one kept-alive connection per thread."""

    def __init__(self, port, signer):
        self.port = port
        self.signer = signer
        self._local = threading.local()

    def _connection(self):
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            self._local.conn = conn
        return conn

    def _drop(self):
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
        self._local.conn = None

    def call(self, account, action, params, *, region=REGION, check=True, service=SERVICE):
        """The ``Response`` object; raises ApiError for an error answer when ``check``."""
        for attempt in (1, 2):
            headers, body = self.signer.headers(account, action, params, region=region, service=service)
            conn = self._connection()
            try:
                conn.request("POST", "/", body=body, headers=dict(headers))
                resp = conn.getresponse()
                data = resp.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # nginx closed an idle kept-alive connection before reading the request.
                self._drop()
                if attempt == 2:
                    raise
                continue
            if resp.getheader("Connection", "").lower() == "close":
                self._drop()
            doc = check_answer(resp.status, resp.getheader("Content-Type"), data, action, tencent=False)
            out = doc.get("Response", {})
            if check and "Error" in out:
                raise ApiError(out["Error"].get("Code"), out["Error"].get("Message"), action)
            return out
        raise AssertionError("unreachable")
