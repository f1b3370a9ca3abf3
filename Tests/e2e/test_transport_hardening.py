"""Transport hardening (SPEC §6): TLS 1.2 only with ECDHE + AES-GCM / ChaCha20-Poly1305, TLS 1.3,
nothing older; HSTS on the HTTPS listener; Cache-Control: no-store and X-Content-Type-Options: nosniff
on every response of both ports, errors and nginx's own 413 included; Content-Type stays exactly
application/json."""

import os
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest

from e2e_support import FIPS_REGION, JSON_CT, random_key_id

ALLOWED_TLS12 = {
    "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
}
# The local CA issues an ECDSA certificate, so of the allowed suites these must be accepted.
ALLOWED_WITH_ECDSA_CERT = {c for c in ALLOWED_TLS12 if "-ECDSA-" in c}

# The client's own policy must not hide what the server would accept: no system config, level 0.
OPENSSL_ENV = {**os.environ, "OPENSSL_CONF": "/dev/null"}


def handshake(endpoint, *args):
    """openssl s_client against endpoint; returns (succeeded, negotiated cipher or output)."""
    proc = subprocess.run(["openssl", "s_client", "-connect", endpoint, "-servername", "localhost", *args],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=20, env=OPENSSL_ENV)
    out = proc.stdout + proc.stderr
    for line in out.splitlines():
        if "Cipher is " in line and "(NONE)" not in line:
            return proc.returncode == 0, line.split("Cipher is ", 1)[1].strip()
    return False, out[-300:]


def tls12_suites():
    out = subprocess.run(["openssl", "ciphers", "-v", "ALL:COMPLEMENTOFALL:@SECLEVEL=0"], capture_output=True,
                         text=True, check=True, env=OPENSSL_ENV).stdout
    # TLS 1.2 can use every suite openssl labels SSLv3 or TLSv1.x except the TLS 1.3-only ones.
    return sorted({line.split()[0] for line in out.splitlines() if line.split()[1] != "TLSv1.3"})


def test_tls12_accepts_only_ecdhe_aead_suites(kms_env):
    suites = tls12_suites()
    assert ALLOWED_TLS12 <= set(suites)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = dict(zip(suites, pool.map(
            lambda c: handshake(kms_env.https_endpoint, "-tls1_2", "-cipher", f"{c}:@SECLEVEL=0"), suites)))
    accepted = {c for c, (ok_, _) in results.items() if ok_}
    forbidden = sorted(accepted - ALLOWED_TLS12)
    assert not forbidden, f"TLS 1.2 suites accepted that SPEC §6 forbids: {forbidden}"
    missing = sorted(ALLOWED_WITH_ECDSA_CERT - accepted)
    assert not missing, f"allowed suites refused: {missing} ({[results[c][1] for c in missing]})"


@pytest.mark.parametrize("family", ["CBC", "CCM8", "CCM", "ARIA", "CAMELLIA"])
def test_tls12_refuses_each_forbidden_family(kms_env, family):
    suites = [c for c in tls12_suites() if "ECDSA" in c and (family in c if family != "CBC" else
              c.endswith(("-SHA", "-SHA256", "-SHA384")) and "GCM" not in c and "CHACHA" not in c)]
    assert suites, family
    for c in suites:
        ok_, detail = handshake(kms_env.https_endpoint, "-tls1_2", "-cipher", f"{c}:@SECLEVEL=0")
        assert not ok_, f"{c} accepted ({detail})"


def test_tls13_works(kms_env):
    ok_, cipher = handshake(kms_env.https_endpoint, "-tls1_3")
    assert ok_ and cipher.startswith("TLS_"), cipher


@pytest.mark.parametrize("version", ["-tls1_1", "-tls1"])
def test_tls11_and_older_are_refused(kms_env, version):
    ok_, detail = handshake(kms_env.https_endpoint, version, "-cipher", "ALL:@SECLEVEL=0")
    assert not ok_, detail


# ------------------------------------------------------------------------------------------------
# response headers
# ------------------------------------------------------------------------------------------------

def _responses(kms_env, raw, raw_https, account):
    """(label, response) pairs: success, API error, unsigned request and nginx's 413, on both ports."""
    big = ('{"KeyId":"%s","Plaintext":"%s"}' % (random_key_id(), "A" * 100 * 1024)).encode()
    for port, client in (("http", raw), ("https", raw_https)):
        yield port, "success", client.tc3(account, "ListKeys", {"Limit": 1})
        yield port, "api error", client.tc3(account, "DescribeKey", {"KeyId": random_key_id()})
        yield port, "unsigned", client.send("POST", headers={"Content-Type": JSON_CT}, body=b"{}")
        yield port, "413", client.send("POST", headers={"Content-Type": JSON_CT, "X-TC-Action": "Encrypt",
                                                        "X-TC-Version": "2019-01-18", "X-TC-Region": FIPS_REGION},
                                       body=big)


def test_every_response_has_no_store_and_nosniff(kms_env, raw, raw_https, account_a):
    seen = []
    for port, label, resp in _responses(kms_env, raw, raw_https, account_a):
        seen.append((port, label, resp.status_code))
        assert resp.headers.get("Cache-Control") == "no-store", (port, label, dict(resp.headers))
        assert resp.headers.get("X-Content-Type-Options") == "nosniff", (port, label, dict(resp.headers))
        if label != "413":
            assert resp.status_code == 200 and resp.headers["Content-Type"] == JSON_CT, (port, label)
    assert ("http", "413", 413) in seen and ("https", "413", 413) in seen


def test_hsts_only_on_https(kms_env, raw, raw_https, account_a):
    for port, label, resp in _responses(kms_env, raw, raw_https, account_a):
        hsts = resp.headers.get("Strict-Transport-Security")
        if port == "https":
            assert hsts and "max-age=" in hsts and int(hsts.split("max-age=")[1].split(";")[0]) >= 31536000, \
                (label, hsts)
        else:
            assert hsts is None, (label, hsts)  # RFC 6797 §7.2: not over plain HTTP


def test_headers_appear_once(kms_env, raw_https, account_a):
    resp = raw_https.tc3(account_a, "ListKeys", {"Limit": 1})
    for name in ("Cache-Control", "X-Content-Type-Options", "Strict-Transport-Security", "Content-Type"):
        assert len(resp.raw.headers.getlist(name)) == 1, (name, resp.raw.headers)
