"""`scripts/kms bench --cluster` moves responder hosts in and out of HAProxy's pool over its
runtime socket (`set server … state maint|ready`, bench/clusterbench.py `Cluster.set_pool`) and
counts each host's answers from `show stat`: with a real cluster, Encrypt through the load
balancer reaches exactly the hosts in the pool, request by request on one kept-alive connection,
and the counts add up; the process groups whose CPU the bench measures are all found; the
primary's counters show what Encrypt writes (audit rows).

Brings up a cluster of its own (2 responder hosts; not the suite's session cluster), so it can
run beside another: KMS_TEST_BENCH_CLUSTER_NAME (kbt), _SUBNET (10.218.0), _HTTP_PORT (29580),
_HTTPS_PORT (29943). Root, like the rest of Tests/cluster.
"""

import base64
import os
import shutil
import sys
import tempfile
import types

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "bench"))

import cluster_report  # noqa: E402
import clusterbench  # noqa: E402
from tc3 import Account, Api, Signer  # noqa: E402


@pytest.fixture(scope="module")
def bench_cluster():
    home = tempfile.mkdtemp(prefix="kms-bench-cluster-test.")
    os.chmod(home, 0o755)
    e = os.environ
    env = {**e, "KMS_HOME": home, "KMS_CLUSTER_HOME": os.path.join(home, "cluster"),
           "KMS_CLUSTER_NAME": e.get("KMS_TEST_BENCH_CLUSTER_NAME", "kbt"),
           "KMS_CLUSTER_SUBNET": e.get("KMS_TEST_BENCH_CLUSTER_SUBNET", "10.218.0"),
           "KMS_CLUSTER_HTTP_PORT": e.get("KMS_TEST_BENCH_CLUSTER_HTTP_PORT", "29580"),
           "KMS_CLUSTER_HTTPS_PORT": e.get("KMS_TEST_BENCH_CLUSTER_HTTPS_PORT", "29943"),
           "KMS_RATE_LIMIT": "0"}
    kms = os.path.join(REPO, "scripts", "kms")
    cfg = types.SimpleNamespace(kms=kms, env=env, home=env["KMS_CLUSTER_HOME"],
                                haproxy_socket=os.path.join(env["KMS_CLUSTER_HOME"], "run", "haproxy.sock"),
                                pg_bin="/usr/lib/postgresql/15/bin", lb_port=int(env["KMS_CLUSTER_HTTP_PORT"]))
    import subprocess
    try:
        up = subprocess.run([kms, "cluster", "up", "--responders", "2"], env=env, capture_output=True, text=True,
                            timeout=600)
        assert up.returncode == 0, up.stdout[-3000:] + up.stderr[-3000:]
        yield cfg
    finally:
        if e.get("KMS_TEST_CLUSTER_KEEP") != "1":
            subprocess.run([kms, "cluster", "down"], env=env, capture_output=True, timeout=300)
            shutil.rmtree(home, ignore_errors=True)


def test_encrypt_reaches_exactly_the_hosts_in_the_pool(bench_cluster):
    cfg = bench_cluster
    c = clusterbench.Cluster(cfg)
    assert c.responders == ["resp1", "resp2"]
    out = c.kms("cluster", "ctl", "account", "create", "--name", "bench-pool-test", "--json")
    account = Account.from_json("bench-pool-test", __import__("json").loads(out.stdout))
    api = Api(cfg.lb_port, Signer(f"127.0.0.1:{cfg.lb_port}"))   # one kept-alive connection
    key = api.call(account, "CreateKey", {"Alias": "bench-pool-test"})["KeyId"]
    try:
        for pool in (["resp1"], ["resp2"], ["resp1", "resp2"]):
            c.set_pool(pool)
            states = {(b, s): r["status"] for b, s, r in cluster_report.server_rows(c.stat())}
            assert all(st == ("UP" if s in pool else "MAINT") for (b, s), st in states.items()), states
            before = cluster_report.answers_by_server(c.stat())
            for _ in range(40):
                # A plaintext of its own per request, as the bench's pool has: identical requests
                # within one second carry one signature, which the load balancer sends to one host
                # (replay affinity, docs/DEPLOYMENT.md "Cluster-wide state").
                api.call(account, "Encrypt", {"KeyId": key, "Plaintext": base64.b64encode(os.urandom(16)).decode()})
            answered = cluster_report.delta(cluster_report.answers_by_server(c.stat()), before)
            assert {h for h, n in answered.items() if n} == set(pool), (pool, answered)
            assert sum(answered.values()) == 40, answered   # health checks are not counted
            if len(pool) == 2:
                # Spread request by request (40 signatures hashed onto the ring: ~20 each; < 6 has
                # a chance of about 1e-5 with an even ring).
                assert min(answered.values()) >= 6, answered
    finally:
        c.set_pool(c.responders)


def test_every_measured_process_group_is_found(bench_cluster):
    c = clusterbench.Cluster(bench_cluster)
    groups = c.groups()
    standby = next(n for n in c.nodes if n.startswith("pg") and n != c.primary)
    for name in ("lb/haproxy", "etcd1/etcd", f"{c.primary}/postgres", f"{c.primary}/patroni",
                 f"{standby}/standby", f"{standby}/patroni", "resp1/nginx", "resp1/responder",
                 "resp2/nginx", "resp2/responder"):
        assert groups.get(name), (name, groups)
    # nginx: master and workers; PostgreSQL: postmaster and its backends (the responders' sessions).
    assert len(groups["resp1/nginx"]) >= 2 and len(groups[f"{c.primary}/postgres"]) >= 3, groups
    pids = [p for v in groups.values() for p in v]
    assert len(pids) == len(set(pids)), "a process counted in two groups"


def test_primary_counters_show_the_audit_rows_encrypt_writes(bench_cluster):
    cfg = bench_cluster
    c = clusterbench.Cluster(cfg)
    out = c.kms("cluster", "ctl", "account", "create", "--name", "bench-pg-test", "--json")
    account = Account.from_json("bench-pg-test", __import__("json").loads(out.stdout))
    api = Api(cfg.lb_port, Signer(f"127.0.0.1:{cfg.lb_port}"))
    key = api.call(account, "CreateKey", {"Alias": "bench-pg-test"})["KeyId"]
    before = c.pg_counters()
    assert before and "commits" in before and "table:audit_log" in before, before
    for _ in range(50):
        api.call(account, "Encrypt", {"KeyId": key, "Plaintext": "aGVsbG8="})
    import time
    deadline = time.time() + 15
    while True:   # the audit writer flushes in batches; statistics are published within a second
        after = c.pg_counters()
        if after["table:audit_log"] - before["table:audit_log"] >= 50 or time.time() > deadline:
            break
        time.sleep(0.5)
    assert after["table:audit_log"] - before["table:audit_log"] >= 50, (before, after)
