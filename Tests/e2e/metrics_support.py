"""Reading the stack's Prometheus endpoint (shared by the metrics tests).

``metrics_endpoint()`` is ``KMS_METRICS_ENDPOINT`` (exported by ``scripts/kms test``) or, when a
developer runs pytest by hand, what ``scripts/kms status --json`` says; ``scrape()`` parses the
exposition into ``{(name, frozenset(labels.items())): value}`` plus the ``# TYPE`` of each family.
"""

import json
import os
import re
import subprocess

import pytest
import requests

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')

# The names SPEC §7 fixes, and nginx's connection counts.
SPEC_METRICS = {
    "kms_requests_total": "counter",
    "kms_request_duration_seconds": "histogram",
    "kms_audit_queue_depth": "gauge",
    "kms_audit_dropped_total": "counter",
    "kms_scheduled_job_lag_seconds": "gauge",
    "kms_key_cache_hits_total": "counter",
    "kms_key_cache_misses_total": "counter",
    "kms_wrapping_key_pool_size": "gauge",
    "kms_database_errors_total": "counter",
    "kms_nginx_connections_active": "gauge",
    "kms_nginx_connections_reading": "gauge",
    "kms_nginx_connections_writing": "gauge",
    "kms_nginx_connections_waiting": "gauge",
    "kms_nginx_connections_accepted_total": "counter",
    "kms_nginx_connections_handled_total": "counter",
    "kms_nginx_requests_total": "counter",
}


def metrics_endpoint() -> str:
    """``http://127.0.0.1:PORT/metrics`` of the stack under test; fails (never skips) without one."""
    endpoint = os.environ.get("KMS_METRICS_ENDPOINT")
    if endpoint:
        return endpoint if endpoint.startswith("http") else f"http://{endpoint}/metrics"
    repo = os.environ.get("KMS_REPO")
    if not repo or not os.environ.get("KMS_HOME"):
        pytest.fail("KMS_METRICS_ENDPOINT (or KMS_REPO and KMS_HOME) not set: run through scripts/kms test", pytrace=False)
    proc = subprocess.run([os.path.join(repo, "scripts", "kms"), "status", "--json"], capture_output=True, text=True,
                          timeout=60, cwd=repo)
    endpoint = json.loads(proc.stdout).get("metrics_endpoint")
    assert endpoint, f"status --json names no metrics_endpoint: {proc.stdout}"
    return endpoint


class Scrape:
    def __init__(self, text: str):
        self.text = text
        self.types = {}
        self.helps = {}
        self.samples = {}
        for line in text.splitlines():
            if line.startswith("# TYPE "):
                _, _, name, kind = line.split(" ", 3)
                self.types[name] = kind
            elif line.startswith("# HELP "):
                _, _, name, help_text = line.split(" ", 3)
                self.helps[name] = help_text
            elif line and not line.startswith("#"):
                m = SAMPLE.match(line)
                assert m, f"not a sample line: {line!r}"
                labels = frozenset(LABEL.findall(m.group(2) or ""))
                self.samples[(m.group(1), labels)] = float(m.group(3))

    def value(self, name, **labels) -> float:
        """A sample's value; 0 for a series that has not appeared yet (counters start absent)."""
        return self.samples.get((name, frozenset(labels.items())), 0.0)

    def series(self, name):
        return {labels: v for (n, labels), v in self.samples.items() if n == name}

    def exported_names(self):
        """Every sample name a query may use: families, and histograms' _bucket/_sum/_count."""
        names = set()
        for name, kind in self.types.items():
            names.add(name)
            if kind == "histogram":
                names.update({name + "_bucket", name + "_sum", name + "_count"})
        return names


def scrape(endpoint=None) -> Scrape:
    resp = requests.get(endpoint or metrics_endpoint(), timeout=10)
    assert resp.status_code == 200, f"scrape answered {resp.status_code}: {resp.text[:300]}"
    assert resp.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8", resp.headers
    return Scrape(resp.text)


# ---- the shipped Grafana dashboard ------------------------------------------------------------------

DASHBOARD = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir, "docs", "grafana", "kms-dashboard.json")
METRIC_NAME = re.compile(r"\b((?:kms|process)_[a-z0-9_]+)\b")
# Grafana's variables, as a query sent straight to Prometheus would spell them.
GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$instance": ".*"}


def load_dashboard():
    with open(DASHBOARD) as f:
        return json.load(f)


def dashboard_queries(substitute=False):
    """Every PromQL expression of the panels (and the variables' label_values queries are left out:
    they are Grafana syntax, not PromQL)."""
    exprs = [t["expr"] for p in load_dashboard()["panels"] for t in p.get("targets", [])]
    if substitute:
        for name, value in GRAFANA_VARIABLES.items():
            exprs = [e.replace(name, value) for e in exprs]
    return exprs
