"""The failover phase's report (bench/failover_report.py) read off timelines made up here: the
figures, the verdict on acknowledged writes (one lost → FAIL), the section and the chart.

Pure: no cluster needed (this file uses no fixture of conftest.py), e.g.
    python3 -m pytest -q Tests/cluster/test_bench_failover_timeline.py
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir, "bench"))

import cluster_report  # noqa: E402
import failover_report as fr  # noqa: E402

KILL = 1_000.0


def rec(action, sent, latency, outcome="OK", key_id=None):
    return {"action": action, "sent": KILL + sent, "answered": None if latency is None else KILL + sent + latency,
            "outcome": outcome if latency is not None else None, "key_id": key_id}


def timeline(records, present=None, unchecked=()):
    acked = [r["key_id"] for r in records if r["key_id"] and r["outcome"] == "OK"]
    return {"kill": KILL, "killed": "pg1", "records": records,
            "events": [{"t": KILL - 5, "what": "primary", "value": "pg1"},
                       {"t": KILL + 0.3, "what": "primary", "value": None},
                       {"t": KILL + 21.5, "what": "primary", "value": "pg2"},
                       {"t": KILL + 2.0, "what": "readyz", "host": "resp1", "value": 503}],
            "present": acked if present is None else present, "unchecked": list(unchecked),
            "config": {"encrypt_rate": 100, "create_rate": 5, "timeout": 20, "keys": 4, "before_kill": 8,
                       "stale_seconds": 30, "date": "2026-12-01", "commit": "abc", "quick": False}}


def failover_with_cached_encrypt():
    """Encrypt served from the cache throughout (slower in flight, never failing); CreateKey
    failing from the kill until the promotion, then acknowledged again."""
    records = [rec("Encrypt", t / 10, 0.002) for t in range(-50, 0)]
    records += [rec("CreateKey", -3, 0.01, key_id="k-before")]
    records += [rec("Encrypt", -0.001, 0.4), rec("CreateKey", -0.005, 1.2, "InternalError")]   # in flight
    records += [rec("Encrypt", t / 10, 0.003) for t in range(1, 300)]
    records += [rec("CreateKey", t, 0.05, "InternalError") for t in range(1, 22)]
    records += [rec("CreateKey", 22.5, 0.02, key_id="k-after-1"), rec("CreateKey", 24, 0.02, key_id="k-after-2")]
    return records


def test_the_figures_of_a_failover_where_encrypt_kept_serving():
    s = fr.summarize(timeline(failover_with_cached_encrypt()))
    assert abs(s["promoted_s"] - 21.5) < 1e-9            # the first host other than the killed one
    assert abs(s["first_write_s"] - 22.52) < 1e-9         # acknowledged, sent after the kill
    assert s["encrypt_healthy_s"] == 0.0                  # no Encrypt failed after the kill
    assert abs(s["create_healthy_s"] - 21.05) < 1e-9      # the last CreateKey failure's answer
    flight = s["in_flight"]["Encrypt"]
    assert flight["count"] == 1 and flight["outcomes"] == {"OK": 1} and round(flight["max_ms"]) == 400
    assert s["in_flight"]["CreateKey"]["outcomes"] == {"InternalError": 1}
    assert s["errors"] == {"CreateKey": {"InternalError": 22}}
    assert s["acknowledged"] == 3 and s["lost"] == [] and s["verdict"] == "PASS" and s["failures"] == []
    assert s["baseline"]["Encrypt"]["count"] == 50 and round(s["baseline"]["Encrypt"]["p50_ms"], 3) == 2.0


def test_an_acknowledged_key_missing_afterwards_fails_the_run():
    records = failover_with_cached_encrypt()
    s = fr.summarize(timeline(records, present=["k-before", "k-after-2"]))
    assert s["lost"] == ["k-after-1"] and s["verdict"] == "FAIL"
    assert any("1 acknowledged CreateKeys LOST" in f and "k-after-1" in f for f in s["failures"]), s["failures"]
    text = "\n".join(fr.section({"summary": s, "config": timeline(records)["config"]}))
    assert "**Acknowledged CreateKeys lost: 1 of 3 — FAIL**" in text
    assert "> **This run is not clean:**" in text


def test_keys_describekey_could_not_answer_for_are_not_counted_as_present():
    s = fr.summarize(timeline(failover_with_cached_encrypt(), present=["k-before"], unchecked=["k-after-1", "k-after-2"]))
    assert s["lost"] == [] and s["unchecked"] == ["k-after-1", "k-after-2"] and s["verdict"] == "FAIL"


def test_encrypt_failing_through_the_failover_is_healthy_only_after_its_last_failure():
    """The behaviour before the staleness window: every Encrypt failed until the promotion."""
    records = [rec("Encrypt", t / 10, 0.002) for t in range(-50, 0)]
    records += [rec("Encrypt", t / 10, 0.3, "InternalError") for t in range(0, 200)]
    records += [rec("Encrypt", t / 10, 0.002) for t in range(200, 300)]
    records += [rec("CreateKey", 25, 0.02, key_id="k1")]
    s = fr.summarize(timeline(records))
    assert abs(s["encrypt_healthy_s"] - 20.2) < 1e-9
    assert s["encrypt_failed_after_kill"] == 200 and s["errors"] == {"Encrypt": {"InternalError": 200}}
    assert s["verdict"] == "PASS"


def test_an_action_that_never_recovers_and_a_run_without_writes_are_not_clean():
    records = [rec("Encrypt", t / 10, 0.002) for t in range(-50, 0)]
    records += [rec("Encrypt", t / 10, 0.3, "InternalError") for t in range(1, 100)]
    records += [rec("CreateKey", 5, None)]                          # stopped before it was answered
    s = fr.summarize(timeline(records))
    assert s["encrypt_healthy_s"] is None and s["first_write_s"] is None and s["acknowledged"] == 0
    assert s["verdict"] == "FAIL"
    assert {"failover: Encrypt never recovered within the run", "failover: no CreateKey was acknowledged",
            "failover: no write was acknowledged after the kill"} <= set(s["failures"])
    assert s["in_flight"] == {}                                      # nothing was sent before and answered after


def test_the_section_and_the_chart(tmp_path):
    t = timeline(failover_with_cached_encrypt())
    s = fr.summarize(t)
    before = {**fr.summarize(timeline(failover_with_cached_encrypt())), "date": "2026-11-30"}
    text = "\n".join(fr.section({"summary": s, "config": t["config"], "before": before}))
    assert text.startswith(fr.HEADING)
    assert "**Acknowledged CreateKeys lost: 0 of 3 — PASS**" in text
    assert "| a standby promoted (its Patroni says primary) | 21.5 s |" in text
    assert "| Encrypt | 2.0 ms / 2.0 ms | 1 | 400 ms | 400 ms | OK 1 | 215 | 3.0 ms / 3.0 ms / 3.0 ms |" in text
    assert "| CreateKey | 22 | InternalError 22 |" in text
    assert "`KMS_CACHE_STALE_SECONDS=0` (2026-11-30;" in text and "docs/bench-failover.png" in text
    assert "| Encrypt succeeding for good (its last failure answered) | 0 (no Encrypt failed) |" in text
    path = tmp_path / "failover.png"
    fr.chart([("before", t, s), ("after", t, s)], str(path))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000


def test_the_cluster_section_keeps_the_part_of_a_phase_not_run(tmp_path):
    path = tmp_path / "BENCHMARKS.md"
    throughput = "## Throughput with 1, 2 and 3 responder hosts\n\n| 3 hosts via HAProxy | 32 | 1,034 |\n"
    path.write_text(cluster_report.splice("# Benchmarks\n\nthe single-host run\n", throughput))
    t = timeline(failover_with_cached_encrypt())
    data = {"runs": [], "failover": {"summary": fr.summarize(t), "config": t["config"]}}
    cluster_report.write_section(str(path), data)
    text = path.read_text()
    assert text.startswith("# Benchmarks\n\nthe single-host run\n")
    section = cluster_report.extract(text)
    assert "| 3 hosts via HAProxy | 32 | 1,034 |" in section and fr.HEADING in section
    # A throughput-only run later keeps this failover part.
    data = {"runs": [], "failover": None}
    cluster_report.write_section(str(path), data)
    assert cluster_report.extract(path.read_text()) == section
