"""/healthz and /readyz (SPEC §7) on both API ports, through nginx to the responder.

* Both answer 200 ``text/plain`` (``ok`` / ``ready``) on the plain HTTP and the HTTPS port, to GET
  and HEAD, with no signature, and carry the headers every response carries.
* A probe writes no audit record, not even into the summary of unauthenticated requests: a burst
  of probes leaves the trail as it was, while one unsigned API request in the same window is
  recorded.
* Every other path keeps answering as the API does (JSON, a Tencent error), and a client cannot
  turn an API request into a probe by sending the probe mark as a header.
"""

import time
import uuid

import pytest
import requests

from e2e_support import JSON_CT, Account, RawClient, owner_psql


def urls(kms_env, path):
    return [(f"http://{kms_env.endpoint}{path}", None), (f"https://{kms_env.https_endpoint}{path}", kms_env.ca_file)]


@pytest.mark.parametrize("path,body", [("/healthz", "ok\n"), ("/readyz", "ready\n")])
def test_probes_answer_200_text_on_both_ports_without_a_signature(kms_env, path, body):
    for url, ca in urls(kms_env, path):
        resp = requests.get(url, verify=ca or True, timeout=5)
        assert resp.status_code == 200, f"GET {url}: {resp.status_code} {resp.text!r}"
        assert resp.headers["Content-Type"].startswith("text/plain"), resp.headers
        assert resp.text == body
        assert resp.headers.get("Cache-Control") == "no-store"
        assert resp.headers.get("X-Content-Type-Options") == "nosniff"
        if url.startswith("https"):
            assert "max-age" in resp.headers.get("Strict-Transport-Security", "")
        head = requests.head(url, verify=ca or True, timeout=5)
        assert head.status_code == 200 and head.content == b"", f"HEAD {url}: {head.status_code} {head.content!r}"
        assert head.headers["Content-Type"].startswith("text/plain")


def _max_seq(kms_env):
    # kms_owner sees the trail like any reader: audit_log has no row-level security.
    return int(owner_psql(kms_env.home, "SELECT coalesce(max(seq), 0) FROM audit_log"))


def test_probes_write_no_audit_record(kms_env):
    before = _max_seq(kms_env)
    probes = 0
    session = requests.Session()
    for _ in range(75):
        for path in ("/healthz", "/readyz"):
            for url, ca in urls(kms_env, path):
                assert session.get(url, verify=ca or True, timeout=5).status_code == 200
                probes += 1
    # A control in the same window: one request under a unique action name, signed by a
    # SecretId that does not exist (so it is recorded as unauthenticated, with its action).
    control = "HealthControl" + uuid.uuid4().hex[:12]
    nobody = Account("nobody", "1", "1", "AKID" + uuid.uuid4().hex, uuid.uuid4().hex)
    resp = RawClient(kms_env.endpoint).tc3(nobody, control, {})
    assert resp.status_code == 200 and resp.json()["Response"]["Error"]["Code"] == "AuthFailure.SecretIdNotFound", resp.text
    # Unauthenticated requests are summed over 10 s intervals; wait for the control's record.
    deadline = time.monotonic() + 20
    while owner_psql(kms_env.home, f"SELECT count(*) FROM audit_log WHERE seq > {before} AND action = '{control}'") == "0":
        assert time.monotonic() < deadline, "the control request was never recorded: the audit trail is not being written"
        time.sleep(0.5)
    # Had the probes been audited, they would be among the unauthenticated records of this window
    # (with action "-": a probe names none): 300 of them.
    stray = int(owner_psql(kms_env.home, f"SELECT coalesce(sum(occurrences), 0) FROM audit_log "
                                         f"WHERE seq > {before} AND action NOT LIKE 'HealthControl%'"))
    assert stray < probes, f"{stray} audit occurrences besides the control after {probes} probes"


def test_other_paths_still_answer_as_the_api(kms_env):
    for path in ("/", "/healthz/", "/healthzz", "/readyz/x", "/HEALTHZ"):
        for url, ca in urls(kms_env, path):
            resp = requests.get(url, verify=ca or True, timeout=5)
            assert resp.status_code == 200 and resp.headers["Content-Type"] == JSON_CT, f"{url}: {resp.status_code}"
            assert resp.json()["Response"]["Error"]["Code"].startswith("AuthFailure"), resp.text


def test_a_client_cannot_make_a_probe_of_an_api_request(kms_env):
    for url, ca in urls(kms_env, "/"):
        resp = requests.get(url, verify=ca or True, timeout=5, headers={"KMS-PROBE": "healthz", "Kms_Probe": "readyz"})
        assert resp.status_code == 200 and resp.headers["Content-Type"] == JSON_CT, f"{url}: {resp.status_code} {resp.text!r}"
        assert "Error" in resp.json()["Response"]
