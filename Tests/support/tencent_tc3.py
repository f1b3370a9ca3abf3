"""TC3-HMAC-SHA256 exactly as Tencent documents it (SPEC §1 and its appendix): the one signer of
the e2e tests (Tests/e2e/e2e_support.py) and the benchmark (bench/tc3.py). Standard library only.

Canonical request ``METHOD\\n/\\nQUERY\\nCANONICAL_HEADERS\\nSIGNED_HEADERS\\nhex(sha256(payload))``;
string to sign ``TC3-HMAC-SHA256\\nTIMESTAMP\\nDATE/SERVICE/tc3_request\\nhex(sha256(canonical))``;
signing key the HMAC-SHA256 chain ``"TC3"+SecretKey -> DATE -> SERVICE -> "tc3_request"``.
"""

import functools
import hashlib
import hmac
from datetime import datetime, timezone


def utc_date(ts):
    """The UTC date (YYYY-MM-DD) of a Unix timestamp: the DATE of a TC3 scope."""
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%d")


def _hmac256(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


@functools.lru_cache(maxsize=4096)
def signing_key(secret_key, date, service):
    """The derived key; it changes once a day per credential and service, so it is cached (the
    bench signs many thousands of requests)."""
    k_date = _hmac256(("TC3" + secret_key).encode("utf-8"), date)
    k_service = _hmac256(k_date, service)
    return _hmac256(k_service, "tc3_request")


def tc3_signature(secret_key, *, method, query, headers, payload, timestamp, service="kms", date=None):
    """Signs one request. ``headers``: the signed headers, name -> value as they go into the
    canonical form (names are lower-cased, values trimmed and lower-cased as in Tencent's
    documentation). ``payload``: bytes, or the string ``"UNSIGNED-PAYLOAD"``.
    Returns ``(signature_hex, signed_headers, date)``."""
    date = date or utc_date(timestamp)
    canon = {k.lower(): str(v).strip().lower() for k, v in headers.items()}
    names = sorted(canon)
    canonical_headers = "".join(f"{n}:{canon[n]}\n" for n in names)
    signed_headers = ";".join(names)
    if isinstance(payload, str):
        payload = payload.encode("utf-8")
    canonical_request = "\n".join([method, "/", query, canonical_headers, signed_headers,
                                   hashlib.sha256(payload).hexdigest()])
    scope = f"{date}/{service}/tc3_request"
    string_to_sign = "\n".join(["TC3-HMAC-SHA256", str(timestamp), scope,
                                hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()])
    signature = hmac.new(signing_key(secret_key, date, service), string_to_sign.encode("utf-8"),
                         hashlib.sha256).hexdigest()
    return signature, signed_headers, date
