"""The bench's charts (bench/charts.py) and the report that links them (bench/report.py): each is a
real PNG drawn by matplotlib from a run's results, copied into the repository's docs/ (here a
scratch repository), left out when its phase did not run; every target with figures becomes a bar
normalised so that 1 is its goal, drawn green only when the target passed.

Pure functions of the results; no stack needed:
    python3 -m pytest -q Tests/e2e/test_bench_charts.py
"""

import os
import struct
import types

import pytest

from bench_support import result, run_data

import ceiling_phase as cp  # noqa: E402  (bench/, on the path through bench_support)
import charts  # noqa: E402
import feature_cost_phase as fp  # noqa: E402
import report  # noqa: E402


def sweep_point(threads, wrk, rps, keep=0):
    config = cp.ServerConfig(threads, upstream_keepalive=keep)
    return result(cp.run_name(config, wrk), rps, target="ceiling",
                  ceiling={"responder_threads": threads, "upstream_keepalive": keep, "wrk_threads": wrk,
                           "config": config.label, "port": 28183})


def feature_runs(feature, on, off):
    tag = lambda state: {"feature": feature.name, "state": state, "port": 28188}  # noqa: E731
    return [result(feature.run_name(s), v, feature_cost=tag(s)) for s, v in (("on", on), ("off", off), ("off", off), ("on", on))]


FULL = run_data([sweep_point(4, 1, 30000), sweep_point(4, 2, 28000), sweep_point(32, 1, 41000, keep=16),
                 sweep_point(32, 2, 39000, keep=16), result(report.ENCRYPT, 21000, p99=13.0), result("Decrypt", 20000),
                 result(report.TRIVIAL, 19000, target="trivial"), result("ceiling: nginx static", 50000, target="static"),
                 *feature_runs(fp.FEATURES[0], 19800, 20000), *feature_runs(fp.FEATURES[1], 17000, 20000)])


@pytest.fixture
def cfg(tmp_path):
    """A scratch repository: the charts' docs/ copies and BENCHMARKS.md land there, not in the checkout."""
    results = tmp_path / "bench" / "results"
    results.mkdir(parents=True)
    return types.SimpleNamespace(repo=str(tmp_path), results=str(results), report=str(tmp_path / "BENCHMARKS.md"),
                                 chart_copy=str(tmp_path / "docs" / "bench-encrypt.png"))


def png_size(path):
    """(width, height) of a PNG file; fails unless it is one."""
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n", path
    return struct.unpack(">II", head[16:24])


@pytest.mark.parametrize("draw, name", [(charts.ceiling_chart, "bench-ceiling.png"),
                                        (charts.features_chart, "bench-features.png")])
def test_each_chart_is_a_png_in_results_and_in_docs(cfg, draw, name):
    path = draw(cfg, FULL)
    assert path == os.path.join(cfg.repo, "docs", name)
    width, height = png_size(path)
    assert width >= 800 and height >= 400
    assert open(path, "rb").read() == open(os.path.join(cfg.results, name), "rb").read()


def test_the_targets_chart_has_a_bar_per_figure_of_every_target(cfg):
    targets = report.targets(FULL)
    bars = charts.target_bars(targets)
    # Encrypt's one target is two bars (throughput and p99); each measured feature one.
    labels = [b[0] for b in bars]
    assert "Encrypt ÷ honest ceiling, 32 connections" in labels and "Encrypt p99 at 32 connections, ms" in labels
    assert "Encrypt with the replay memory ÷ without" in labels and "Encrypt with the per-account budgets ÷ without" in labels
    assert not any("metrics" in label for label in labels)        # not measured: no bar
    path = charts.targets_chart(cfg, FULL, targets)
    width, height = png_size(path)
    assert height >= 0.42 * 110 * len(bars)                      # grows with the bars: none squeezed out


def test_bars_are_normalised_to_the_goal_and_coloured_by_the_verdict():
    bars = {b[0]: b for b in charts.target_bars(report.targets(FULL))}
    ratio = bars["Encrypt ÷ honest ceiling, 32 connections"]
    assert ratio[1] == pytest.approx((21000 / 41000) / 0.7)       # ≥ goal: measured ÷ goal
    p99 = bars["Encrypt p99 at 32 connections, ms"]
    assert p99[1] == pytest.approx(5 / 13.0)                      # ≤ goal: goal ÷ measured
    assert ratio[2] == p99[2] == "FAIL"                            # one verdict for both parts
    assert bars["Encrypt with the replay memory ÷ without"][2] == "PASS"
    assert bars["Encrypt with the per-account budgets ÷ without"][2] == "FAIL"   # 15 % cost
    assert "goal ≤ 5.00" in p99[3] and "13.00" in p99[3]


def test_normalising_caps_and_never_divides_by_zero():
    assert charts.normalised(2.0, 1.0, "≥") == 2.0
    assert charts.normalised(100.0, 1.0, "≥") == charts.NORMALISED_CAP
    assert charts.normalised(2.5, 5.0, "≤") == 2.0
    assert charts.normalised(0.0, 5.0, "≤") == charts.NORMALISED_CAP


def test_a_chart_whose_phase_did_not_run_is_not_drawn(cfg):
    bare = run_data([result(report.ENCRYPT, 21000)])
    assert charts.ceiling_chart(cfg, bare) is None
    assert charts.features_chart(cfg, bare) is None
    assert not os.path.exists(os.path.join(cfg.repo, "docs", "bench-ceiling.png"))


def test_the_report_links_every_chart_it_drew(cfg):
    report.write(cfg, FULL)
    text = open(cfg.report).read()
    for name in ("bench-encrypt.png", "bench-ceiling.png", "bench-features.png", "bench-targets.png"):
        assert f"(docs/{name})" in text, name
        png_size(os.path.join(cfg.repo, "docs", name))
    assert text.index("## Targets") < text.index("## Honest ceiling") < text.index("## Cost of the safety features")


def test_every_target_with_figures_of_a_whole_run_gets_its_bars(cfg):
    fairness = result("Encrypt (tenant B, while tenant A hammers)", 9000, mode="fairness",
                      fairness={"ratio": 1.2, "hammer_codes": {"OK": 50}, "loaded_p50_ms": 3.0, "quiet_p50_ms": 2.5,
                                "hammer_processes": 4, "cpu_budget_ms_per_s": 500})
    whole = run_data(FULL["results"] + [
        result("CreateKey", 2600), result("GetParametersForImport, 5/s during Encrypt load", 5, p50=7.0),
        result("ImportKeyMaterial", 580),
        result("Encrypt (1 key, A/B)", 20000), result("Encrypt (100000 keys, A/B)", 19000), fairness,
        result("Encrypt (1 key, as the root)", 20000), result("Encrypt (1 key, as the sub-user)", 19500)],
        facts={"createkey_durability": {"acknowledged": 21000, "committed_after_crash": 21000, "durable": True,
                                        "in_flight_allowance": 32, "settings": {"fsync": "on", "synchronous_commit": "on"}},
               "many_keys": {"keys": 100000, "accounts": 100},
               "responder_memory": {"VmRSS": "92160 kB", "VmHWM": "102400 kB", "Threads": "20"}})
    bars = {b[0]: b for b in charts.target_bars(report.targets(whole))}
    assert bars["CreateKey per second"][1:3] == (pytest.approx(2600 / 2500), "PASS")
    assert bars["ImportKeyMaterial per second"][1:3] == (pytest.approx(580 / 1000), "FAIL")
    assert bars["GetParametersForImport p50 under load, ms"][1:3] == (pytest.approx(5 / 7.0), "FAIL")
    assert bars["Encrypt over many keys ÷ one key"][2] == "PASS"
    assert bars["responder resident memory, MiB"][1] == pytest.approx(100 / 90)
    assert bars["tenant B Encrypt p50, loaded ÷ quiet"][1] == pytest.approx(1.5 / 1.2)
    assert bars["Encrypt as a sub-user ÷ as the root"][2] == "PASS"
    assert png_size(charts.targets_chart(cfg, whole, report.targets(whole)))[1] > 600
