"""The single-host `scripts/kms bench` rewrites BENCHMARKS.md from its own run (bench/report.py
`write`) and keeps the section `scripts/kms bench --cluster` wrote, unchanged, at the end.

Pure: no stack, no cluster (``python3 -m pytest -q Tests/cluster/test_bench_cluster_section_kept.py``).
KMS_TEST_BENCH_DIR points it at another bench/ directory (to show an older report.py dropping it).
"""

import os
import sys
import types

BENCH = os.environ.get("KMS_TEST_BENCH_DIR") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir, "bench")
sys.path.insert(0, BENCH)
sys.path.insert(1, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir, "bench"))

import cluster_report  # noqa: E402
import report  # noqa: E402


def single_host_run():
    """The smallest results a single-host run writes a report from (no runs measured)."""
    return {"machine": {"date": "2026-11-30", "commit": "abc", "dirty_sources": "", "nproc": 2, "cpu_model": "cpu",
                        "memory_gib": 1, "kernel": "k", "nginx": "nginx", "postgres": "pg", "wrk": "wrk",
                        "background_cores_before": 0.0, "loadavg_before": ["0", "0", "0"]},
            "config": {"quick": True, "duration": 1, "timeout": "30s", "workers": 8},
            "results": [], "facts": {}, "failures": [], "profile": None}


def test_single_host_report_keeps_the_cluster_section(tmp_path):
    path = tmp_path / "BENCHMARKS.md"
    cluster = "## Throughput with 1, 2 and 3 responder hosts\n\n| 3 hosts via HAProxy | 32 | 1,034 |\n"
    path.write_text(cluster_report.splice("# Benchmarks\n\nan older single-host run\n", cluster))
    cfg = types.SimpleNamespace(repo=str(tmp_path), results=str(tmp_path), report=str(path),
                                chart_copy=str(tmp_path / "chart.png"))
    report.write(cfg, single_host_run())
    text = path.read_text()
    assert "an older single-host run" not in text            # the rest is this run's
    assert "## Machine and set-up" in text
    kept = cluster_report.extract(text)
    assert kept and "| 3 hosts via HAProxy | 32 | 1,034 |" in kept, text[-500:]
    assert text.rstrip().endswith(cluster_report.END)


def test_single_host_report_without_a_cluster_section_adds_none(tmp_path):
    path = tmp_path / "BENCHMARKS.md"
    path.write_text("# Benchmarks\n")
    cfg = types.SimpleNamespace(repo=str(tmp_path), results=str(tmp_path), report=str(path),
                                chart_copy=str(tmp_path / "chart.png"))
    report.write(cfg, single_host_run())
    assert cluster_report.BEGIN not in path.read_text()
