"""A real Prometheus server (Debian's `prometheus` package) scrapes the stack every second while
Encrypts run, and its HTTP API reports a positive Encrypt rate (SPEC §7). The same server checks
that every query of the shipped Grafana dashboard is valid PromQL with data behind it."""

import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from urllib.parse import urlparse

import pytest
import requests

from e2e_support import FIPS_REGION
from metrics_support import dashboard_queries, metrics_endpoint

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def prometheus():
    """A throw-away Prometheus scraping the stack's metrics endpoint every second; stopped and
    its data removed whatever the test does."""
    assert os.access(PROMETHEUS, os.X_OK), "prometheus missing: scripts/kms test installs the prometheus package"
    target = urlparse(metrics_endpoint())
    work = tempfile.mkdtemp(prefix="kms-prometheus.", dir="/tmp")
    port = free_port()
    config = os.path.join(work, "prometheus.yml")
    with open(config, "w") as f:
        f.write(f"""global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: kms
    metrics_path: {target.path}
    static_configs:
      - targets: ['{target.netloc}']
""")
    log = open(os.path.join(work, "prometheus.log"), "w")
    proc = subprocess.Popen([PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={work}/data",
                             f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
                            stdout=log, stderr=subprocess.STDOUT, cwd=work)
    api = f"http://127.0.0.1:{port}/api/v1"
    try:
        deadline = time.time() + 15
        while True:
            assert proc.poll() is None, f"prometheus exited {proc.returncode}: {open(log.name).read()[-2000:]}"
            try:
                if requests.get(f"http://127.0.0.1:{port}/-/ready", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.time() < deadline, "prometheus not ready within 15 s"
            time.sleep(0.2)
        yield api
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()
        shutil.rmtree(work, ignore_errors=True)


def query(api, expr):
    resp = requests.get(f"{api}/query", params={"query": expr}, timeout=5)
    body = resp.json()
    assert resp.status_code == 200 and body["status"] == "success", f"{expr}: {resp.status_code} {body}"
    return body["data"]["result"]


def test_prometheus_sees_a_positive_encrypt_rate(prometheus, client, make_account):
    kms = client(make_account("prometheus"), FIPS_REGION)
    key_id = kms.new_key_id()
    stop = threading.Event()
    errors = []

    def load():
        try:
            while not stop.is_set():
                kms.encrypt(key_id, b"scraped")
                time.sleep(0.01)
        except Exception as exc:  # reported by the test, not lost in the thread
            errors.append(exc)

    sender = threading.Thread(target=load, daemon=True)
    sender.start()
    try:
        deadline = time.time() + 25
        rate = 0.0
        while time.time() < deadline:
            up = query(prometheus, 'up{job="kms"}')
            result = query(prometheus, 'sum(rate(kms_requests_total{job="kms",action="Encrypt",code="OK"}[10s]))')
            if up and up[0]["value"][1] == "1" and result:
                rate = float(result[0]["value"][1])
                if rate > 0:
                    break
            time.sleep(1)
        assert rate > 0, f"no positive Encrypt rate within 25 s (up={up}, result={result})"
    finally:
        stop.set()
        sender.join(timeout=10)
    assert not errors, errors

    # Every dashboard query parses and evaluates; those over the request counters have data now.
    for expr in dashboard_queries(substitute=True):
        result = query(prometheus, expr)
        if "kms_requests_total" in expr and "code!=" not in expr and "code=" not in expr:
            assert result, f"dashboard query with no data: {expr}"
