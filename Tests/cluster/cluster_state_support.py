"""Helpers of the cluster-wide state tests (rate limits, replay memory): HAProxy's counters,
hand-signed requests through the load balancer, responder hosts restarted with other settings."""

import os
import subprocess
import time

import requests

from e2e_support import RawClient, response_body
from haproxy_support import show_stat


def haproxy_stat(cluster):
    """HAProxy's ``show stat`` as {(proxy, server): row dict}."""
    return {(row["pxname"], row["svname"]): row for row in show_stat(cluster)}


def served(cluster, backend="kms_https_hosts"):
    """Requests each responder host has been sent by the HTTPS backend so far: {host: count}."""
    return {sv: int(row["stot"]) for (px, sv), row in haproxy_stat(cluster).items()
            if px == backend and sv.startswith("resp")}


def frontend_connections(cluster, frontend="kms_https"):
    return int(haproxy_stat(cluster)[(frontend, "FRONTEND")]["stot"])


def wait_server_status(cluster, host, status, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = haproxy_stat(cluster)
        if all(rows[(b, host)]["status"].startswith(status) for b in ("kms_http_hosts", "kms_https_hosts")):
            return
        time.sleep(0.2)
    raise AssertionError(f"{host} not {status} in HAProxy after {timeout} s")


class KeptAliveRaw(RawClient):
    """A RawClient whose requests share one requests.Session: one kept-alive TLS connection to
    the load balancer as long as requests are sequential."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.session = requests.Session()

    def send(self, method, *, query="", headers=None, body=None):
        url = self.base + (f"?{query}" if query else "")
        return self.session.request(method, url, headers=headers or {}, data=body, timeout=self.timeout,
                                    verify=self.verify, allow_redirects=False)


def raw_client(cluster, kept_alive=False):
    cls = KeptAliveRaw if kept_alive else RawClient
    return cls(cluster.endpoint, scheme="https", verify=cluster.ca, timeout=10)


def code_of(resp):
    return response_body(resp).get("Error", {}).get("Code")


def restart_responders(cluster, **settings):
    """``cluster restart`` of every responder host, with ``settings`` (e.g. KMS_RATE_LIMIT) in the
    environment; with none, the cluster's own settings (cluster.env) again."""
    env = {k: v for k, v in cluster.env.items() if k not in ("KMS_RATE_LIMIT", "KMS_CPU_BUDGET")}
    env.update({k: str(v) for k, v in settings.items()})
    for node in cluster.nodes("responder"):
        proc = subprocess.run([os.path.join(cluster.repo, "scripts", "kms"), "cluster", "restart", node["name"]],
                              env=env, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]


def kms_sql(cluster, sql):
    """``sql`` on the primary's kms database (as postgres, inside its namespace)."""
    primary = cluster.primary()
    assert primary, "no primary"
    run_dir = os.path.join(cluster.env["KMS_CLUSTER_HOME"], "hosts", primary, "run")
    proc = subprocess.run(
        ["ip", "netns", "exec", f"{cluster.env['KMS_CLUSTER_NAME']}-{primary}", "runuser", "-u", "postgres", "--",
         "/usr/lib/postgresql/15/bin/psql", "-X", "-qAt", "-h", run_dir, "-d", "kms", "-c", sql],
        capture_output=True, text=True, timeout=60, cwd="/")
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()
