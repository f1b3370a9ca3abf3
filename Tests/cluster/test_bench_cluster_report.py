"""`scripts/kms bench --cluster`'s arithmetic and its section of BENCHMARKS.md (bench/cluster_report.py).

Pure functions: no cluster needed (this file uses no fixture of conftest.py), e.g.
    python3 -m pytest -q Tests/cluster/test_bench_cluster_report.py
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir, "bench"))

import cluster_report as cr  # noqa: E402

# HAProxy 2.6 `show stat`, cut to the columns the bench reads (the real header has ~100).
SHOW_STAT = """# pxname,svname,status,type,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other
kms_http,FRONTEND,OPEN,0,0,900,0,3,0,0
kms_http_hosts,resp1,UP,2,0,500,0,1,0,0
kms_http_hosts,resp2,MAINT,2,0,0,0,0,0,0
kms_http_hosts,resp3,UP,2,0,400,0,2,0,0
kms_http_hosts,BACKEND,UP,1,0,900,0,3,0,0
kms_https_hosts,resp1,UP,2,0,7,0,0,0,0
kms_https_hosts,resp2,MAINT,2,0,0,0,0,0,0
kms_https_hosts,resp3,UP,2,0,0,0,0,0,0
"""


def test_show_stat_answers_per_server_sum_every_backend_and_status_class():
    rows = cr.parse_show_stat(SHOW_STAT)
    assert [(b, s) for b, s, _ in cr.server_rows(rows)] == [
        ("kms_http_hosts", "resp1"), ("kms_http_hosts", "resp2"), ("kms_http_hosts", "resp3"),
        ("kms_https_hosts", "resp1"), ("kms_https_hosts", "resp2"), ("kms_https_hosts", "resp3")]
    # Frontend and backend summary lines are not servers; 4xx answers count (a host answered).
    assert cr.answers_by_server(rows) == {"resp1": 508, "resp2": 0, "resp3": 402}


def test_show_stat_refuses_what_is_not_show_stat():
    try:
        cr.parse_show_stat("Unknown command.\n")
    except ValueError:
        return
    raise AssertionError("an error answer of the runtime socket was taken for statistics")


def test_efficiency_is_rate_over_hosts_times_one_host_rate():
    assert cr.efficiency(3000, 3, 2000) == 0.5
    assert cr.efficiency(2000, 1, 2000) == 1.0
    assert cr.efficiency(100, 2, 0) is None


def test_cpu_per_request_in_milliseconds():
    assert cr.cpu_ms_per_request({"responder": 2.0, "haproxy": 0.5}, 10000) == {"responder": 0.2, "haproxy": 0.05}
    assert cr.cpu_ms_per_request({"responder": 2.0}, 0) == {"responder": 0.0}


def test_projection_scales_hosts_until_the_load_balancer_or_postgres_limits():
    # 0.3 ms per request on a host (2 cores: 6,667/s per host), HAProxy 0.1 ms (20,000/s),
    # PostgreSQL 0.02 ms (100,000/s); Patroni and etcd cost time, not requests: not in the model.
    ms = {"responder": 0.25, "nginx": 0.05, "haproxy": 0.1, "postgres": 0.02, "patroni": 5.0, "etcd": 5.0,
          "wrk": 0.2, "other": 0.3}
    p = cr.projection(ms, 2, hosts_list=(1, 2, 3, 4, 8))
    assert round(p["per_host"]) == 6667 and round(p["lb"]) == 20000 and round(p["db"]) == 100000
    rows = {n: (round(rate), limit) for n, rate, limit in p["rows"]}
    assert rows[1] == (6667, "responder hosts")
    assert rows[2] == (13333, "responder hosts")
    assert rows[3][0] == 20000                          # 3 × 6,667 = 20,000 = the LB: either is the limit
    assert rows[4] == (20000, "load balancer")
    assert rows[8] == (20000, "load balancer")


def test_projection_without_database_work_has_no_database_limit():
    p = cr.projection({"responder": 0.5, "nginx": 0.0, "haproxy": 0.01, "postgres": 0.0}, 4, hosts_list=(1, 1000))
    assert p["db"] is None
    assert [limit for _, _, limit in p["rows"]] == ["responder hosts", "load balancer"]


def test_splice_appends_then_replaces_only_its_own_section():
    single_host = "# Benchmarks\n\n## Targets\n\n| a | b |\n"
    once = cr.splice(single_host, "## Cluster\n\nfirst run\n")
    assert once.startswith(single_host.rstrip("\n"))
    assert cr.BEGIN in once and cr.END in once and "first run" in once
    twice = cr.splice(once, "## Cluster\n\nsecond run\n")
    assert "first run" not in twice and "second run" in twice
    assert twice.count(cr.BEGIN) == 1 and twice.count(cr.END) == 1
    assert twice.startswith(single_host.rstrip("\n"))
    # The single-host bench rewrites everything else and puts back what extract() gives it.
    kept = cr.extract(twice)
    assert kept.startswith(cr.BEGIN) and kept.rstrip().endswith(cr.END) and "second run" in kept
    assert cr.extract(single_host) == ""


def test_committed_single_host_encrypt_figure_is_read_from_the_results_table():
    doc = ("| Run | Conns | req/s |\n|---|---|---|\n| Encrypt (1 key) | 1 | 1,234 | x |\n"
           "| Encrypt (1 key) | 32 | 6,543 | 1.5 |\n| Encrypt (1 key, A/B) | 32 | 9,999 | x |\n")
    assert cr.committed_single_host_encrypt(doc) == 6543.0
    assert cr.committed_single_host_encrypt("# nothing\n") is None


def test_section_renders_runs_cores_projection_and_comparison():
    run = {"label": "2 hosts via HAProxy", "hosts": 2, "conns": 32, "rps": 3000.0, "p50_ms": 9.5, "p99_ms": 30.0,
           "errors": 0, "efficiency": 0.75, "per_host_rps": {"resp1": 1500.0, "resp2": 1500.0},
           "pg": {"commits_per_request": 0.004, "inserted_per_request": 1.0},
           "cpu_ms_per_request": {g: 0.1 for g in cr.GROUPS}, "cpu_cores": {"total": 1.98}, "flags": []}
    data = {"machine": {"date": "2026-11-30", "commit": "abc", "nproc": 2, "cpu_model": "cpu",
                        "background_cores_before": 0.5, "shared": True},
            "config": {"quick": True, "responders": 3, "accounts": 12, "duration": 3},
            "runs": [run], "failures": [],
            "projection": {"source": {"label": run["label"], "conns": 32}, "cores": 2, "fixed_cores": 0.1,
                           "model": cr.projection(run["cpu_ms_per_request"], 2, hosts_list=(1, 2))},
            "single_host": {"conns": 32, "direct_rps": 4000.0, "lb1_rps": 2000.0, "lb_ratio": 0.5}}
    text = cr.section(data, committed=7000.0)
    assert "| 2 hosts via HAProxy | 32 | 3,000 | 9.50 | 30.00 | 0 | 0.75 | resp1 1,500, resp2 1,500 |" in text
    assert "quick mode" in text and "noisy" in text and "7,000" in text and "0.50 × direct" in text
    assert "| 1 | 10,000 | responder hosts |" in text   # 2 cores / (0.1 + 0.1 ms) per host
    assert "| 2 hosts via HAProxy | 32 | " + " | ".join(["0.100"] * len(cr.GROUPS)) in text
