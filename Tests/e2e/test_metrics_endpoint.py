"""The Prometheus endpoint (SPEC §7, docs/OPERATIONS.md#monitoring): every metric the spec names,
counters that move by exactly what was done, labels only from the action and error tables, and
a metrics handler that the API ports cannot reach."""

import json
import os
import shutil
import subprocess
import time
from urllib.parse import urlparse

import requests

from e2e_support import FIPS_REGION, assert_code, b64, owner_psql, random_key_id, unique_alias
from metrics_support import SPEC_METRICS, metrics_endpoint, scrape


def test_scrape_exports_every_spec_metric_in_prometheus_text():
    # The scheduled worker reports its lag after its first pass (once a second).
    deadline = time.time() + 5
    s = scrape()
    while "kms_scheduled_job_lag_seconds" not in s.types and time.time() < deadline:
        time.sleep(0.5)
        s = scrape()
    for name, kind in SPEC_METRICS.items():
        assert s.types.get(name) == kind, f"{name}: TYPE {s.types.get(name)!r}, expected {kind}\n{s.text}"
        assert s.helps.get(name), f"{name} has no HELP line"
    assert s.value("kms_nginx_up") == 1
    assert {dict(labels)["spec"] for labels in s.series("kms_wrapping_key_pool_size")} == {"RSA_2048", "SM2"}
    assert s.value("kms_scheduled_job_lag_seconds") >= 0
    # promtool (from the prometheus package) lints the exposition as Prometheus reads it.
    promtool = shutil.which("promtool") or "/usr/bin/promtool"
    assert os.access(promtool, os.X_OK), "promtool missing: scripts/kms test installs the prometheus package"
    lint = subprocess.run([promtool, "check", "metrics"], input=s.text, capture_output=True, text=True, timeout=30)
    assert lint.returncode == 0, f"promtool check metrics: {lint.stdout}{lint.stderr}"


def test_counters_move_by_exactly_what_was_done(client, make_account, raw):
    kms = client(make_account("metrics"), FIPS_REGION)
    before = scrape()
    key_id = kms.new_key_id()
    for _ in range(3):
        kms.encrypt(key_id, b"metrics")
    assert_code(lambda: kms.Encrypt(KeyId=random_key_id(), Plaintext=b64(b"x")), "ResourceUnavailable.CmkNotFound")
    # An action the table does not know is counted as `unknown`, never under the caller's string.
    assert_code(lambda: kms.call('No"Such}Action'), "InvalidAction")
    after = scrape()

    def delta(name, **labels):
        return after.value(name, **labels) - before.value(name, **labels)

    assert delta("kms_requests_total", action="CreateKey", code="OK") == 1
    assert delta("kms_requests_total", action="Encrypt", code="OK") == 3
    assert delta("kms_requests_total", action="Encrypt", code="ResourceUnavailable.CmkNotFound") == 1
    assert delta("kms_requests_total", action="unknown", code="InvalidAction") == 1
    total = sum(after.series("kms_requests_total").values()) - sum(before.series("kms_requests_total").values())
    assert total == 6, f"{total} requests counted, 6 made"
    assert delta("kms_request_duration_seconds_count", action="Encrypt") == 4
    assert delta("kms_request_duration_seconds_bucket", action="Encrypt", le="+Inf") == 4
    assert delta("kms_request_duration_seconds_sum", action="Encrypt") > 0
    # Buckets are cumulative.
    buckets = sorted(((float(dict(l)["le"]), v) for l, v in after.series("kms_request_duration_seconds_bucket").items()
                      if dict(l)["action"] == "Encrypt"))
    assert all(a[1] <= b[1] for a, b in zip(buckets, buckets[1:])), buckets
    # Three Encrypts of one key: at least the last two come from the cache.
    assert delta("kms_key_cache_hits_total") >= 2
    assert delta("kms_key_cache_misses_total") >= 1
    assert delta("kms_nginx_requests_total") >= 6
    assert delta("kms_database_errors_total") == 0
    actions = {dict(labels)["action"] for labels in after.series("kms_requests_total")}
    assert not any("Such" in a for a in actions), actions


def test_job_lag_shows_how_late_the_oldest_due_job_is(kms_env):
    # A job backing off after failures (not_before far ahead) is due and late; a dead one is not counted.
    key_id = random_key_id()
    owner_psql(kms_env.home, "INSERT INTO scheduled_jobs (kind, app_id, region, key_id, due_at, not_before) "
                             f"VALUES ('deleteKey', 1, 'ap-guangzhou', '{key_id}', extract(epoch from now())::bigint - 600, "
                             "extract(epoch from now())::bigint + 3600)")
    try:
        deadline = time.time() + 6
        while (lag := scrape().value("kms_scheduled_job_lag_seconds")) < 600 and time.time() < deadline:
            time.sleep(0.5)
        assert lag >= 600, f"lag {lag} with a job due 600 s ago"
    finally:
        owner_psql(kms_env.home, f"DELETE FROM scheduled_jobs WHERE key_id = '{key_id}'")
    deadline = time.time() + 6
    while (lag := scrape().value("kms_scheduled_job_lag_seconds")) >= 600 and time.time() < deadline:
        time.sleep(0.5)
    assert lag < 600


def test_api_ports_never_reach_the_metrics_handler(kms_env):
    # /metrics on the API ports is an API request like any other: a Tencent JSON error, as before.
    for url, verify in ((f"http://{kms_env.endpoint}/metrics", True), (f"https://{kms_env.https_endpoint}/metrics", kms_env.ca_file)):
        for headers in ({}, {"Kms-Metrics-Scrape": "1", "KMS_METRICS_SCRAPE": "1"}):
            resp = requests.get(url, headers=headers, verify=verify, timeout=10)
            assert resp.status_code == 200 and resp.headers["Content-Type"] == "application/json", (url, resp.text[:200])
            assert "kms_requests_total" not in resp.text
            assert json.loads(resp.text)["Response"]["Error"]["Code"].startswith("AuthFailure")


def test_metrics_port_serves_only_metrics_on_loopback():
    endpoint = metrics_endpoint()
    parsed = urlparse(endpoint)
    assert parsed.hostname == "127.0.0.1" and parsed.path == "/metrics", endpoint
    base = f"{parsed.scheme}://{parsed.netloc}"
    assert requests.get(base + "/", timeout=10).status_code == 404
    assert requests.post(endpoint, data=b"x", timeout=10).status_code == 405


def test_status_json_names_the_metrics_endpoint(kms_env):
    out = subprocess.run([kms_env.kms_script, "status", "--json"], capture_output=True, text=True, timeout=60,
                         env={**os.environ, "KMS_HOME": kms_env.home})
    status = json.loads(out.stdout)
    assert status["metrics_endpoint"] == metrics_endpoint()
    assert status["metrics_endpoint"].startswith("http://127.0.0.1:")


def test_a_taken_alias_is_an_answer_not_a_database_error(client, make_account):
    # The unique violation behind AliasAlreadyExists is how the database answers; it is no fault.
    kms = client(make_account("metrics-alias"), FIPS_REGION)
    alias = unique_alias("metrics")
    kms.new_key_id(Alias=alias)
    before = scrape()
    assert_code(lambda: kms.new_key_id(Alias=alias), "InvalidParameterValue.AliasAlreadyExists")
    after = scrape()
    assert after.value("kms_requests_total", action="CreateKey", code="InvalidParameterValue.AliasAlreadyExists") \
        - before.value("kms_requests_total", action="CreateKey", code="InvalidParameterValue.AliasAlreadyExists") == 1
    assert after.value("kms_database_errors_total") == before.value("kms_database_errors_total")
