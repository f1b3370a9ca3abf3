"""`scripts/kms bench --cluster --quick` from start to end: it brings up a cluster of its own,
measures Encrypt through the load balancer with 1, 2 and 3 hosts and direct, then kills the
PostgreSQL primary under load (the failover phase), exits 0 on a clean run (no acknowledged
CreateKey lost), writes its section (here into a file of the test's, KMS_BENCH_CLUSTER_REPORT),
the failover chart beside it and the results, and leaves nothing behind: no namespace, link or
bridge of its prefix, no process of its directory.

Its own names, so it can run beside another cluster: KMS_TEST_BENCH_CLUSTER_NAME (kbt),
_SUBNET (10.218.0), _HTTP_PORT (29580), _HTTPS_PORT (29943). Root. ~2 min here.
"""

import json
import os
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


def test_quick_cluster_bench_measures_reports_and_cleans_up(tmp_path):
    e = os.environ
    name = e.get("KMS_TEST_BENCH_CLUSTER_NAME", "kbt")
    report = tmp_path / "BENCHMARKS.md"
    report.write_text("# Benchmarks\n\nthe single-host run\n")
    home = tempfile.mkdtemp(prefix="kms-bench-cluster-run-test.")
    os.chmod(home, 0o755)
    env = {**e, "KMS_HOME": home,
           "KMS_BENCH_CLUSTER_NAME": name,
           "KMS_BENCH_CLUSTER_SUBNET": e.get("KMS_TEST_BENCH_CLUSTER_SUBNET", "10.218.0"),
           "KMS_BENCH_CLUSTER_HTTP_PORT": e.get("KMS_TEST_BENCH_CLUSTER_HTTP_PORT", "29580"),
           "KMS_BENCH_CLUSTER_HTTPS_PORT": e.get("KMS_TEST_BENCH_CLUSTER_HTTPS_PORT", "29943"),
           "KMS_BENCH_CLUSTER_REPORT": str(report), "KMS_BENCH_DURATION": "2"}
    env.pop("KMS_BENCH_CLUSTER_HOME", None)   # a fresh /tmp/kms-bench-cluster.*, removed at the end
    results = os.path.join(REPO, "bench", "results", "cluster-results.json")
    if os.path.exists(results):
        os.remove(results)
    proc = subprocess.run([os.path.join(REPO, "scripts", "kms"), "bench", "--cluster", "--quick"], env=env,
                          capture_output=True, text=True, timeout=900)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]

    data = json.load(open(results))
    runs = {r["label"]: r for r in data["runs"]}
    assert sorted(runs) == ["1 host via HAProxy", "2 hosts via HAProxy", "3 hosts via HAProxy",
                            "direct to resp1 (no load balancer)"], sorted(runs)
    for label, r in runs.items():
        assert r["requests"] > 0 and r["errors"] == 0 and not r["flags"], (label, r)
        assert r["cpu_ms_per_request"]["responder"] > 0 and r["cpu_ms_per_request"]["nginx"] > 0, (label, r)
        assert r["pg"] and r["pg"]["inserted_by_table"].get("audit_log", 0) > 0, (label, r["pg"])
    assert set(runs["3 hosts via HAProxy"]["per_host_rps"]) == {"resp1", "resp2", "resp3"}
    assert set(runs["1 host via HAProxy"]["per_host_rps"]) == {"resp1"}
    assert runs["1 host via HAProxy"]["cpu_ms_per_request"]["haproxy"] > 0
    assert runs["direct to resp1 (no load balancer)"]["cpu_ms_per_request"]["haproxy"] < \
        runs["1 host via HAProxy"]["cpu_ms_per_request"]["haproxy"]
    assert data["projection"]["model"]["rows"] and data["single_host"]["direct_rps"] > 0

    failover = data["failover"]["summary"]
    assert failover["verdict"] == "PASS" and failover["acknowledged"] > 0 and not failover["lost"], failover
    assert failover["promoted_s"] is not None and failover["first_write_s"] is not None, failover
    assert failover["errors"].get("CreateKey"), "no write failed while there was no primary"
    assert (tmp_path / "docs" / "bench-failover.png").stat().st_size > 10_000

    text = report.read_text()
    assert text.startswith("# Benchmarks\n\nthe single-host run\n")
    assert "## Throughput with 1, 2 and 3 responder hosts" in text and "### Projection" in text
    assert "## What a PostgreSQL failover costs the requests in flight" in text
    assert f"**Acknowledged CreateKeys lost: 0 of {failover['acknowledged']} — PASS**" in text

    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
    assert f" {name}-" not in links, links
    assert not [n for n in subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout.split()
                if n.startswith(f"{name}-")]
    assert not [d for d in os.listdir("/tmp") if d.startswith("kms-bench-cluster.")
                and os.path.getmtime(os.path.join("/tmp", d)) >= os.path.getmtime(home)]
    subprocess.run(["rm", "-rf", home])
