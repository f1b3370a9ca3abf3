"""The bench's honest ceiling (bench/ceiling_phase.py, bench/ceiling_report.py): the sweep run in
quick mode against the real parts — bench/trivial_fcgi.c built with gcc, a minimal nginx of its own
per configuration, wrk with bench/pool.lua, the Encrypt pool signed for the test stack — and the
report's reading of a sweep: the fastest clean point wins, a point with errors never does, and the
Encrypt target (≥ 0.7 × the ceiling AND p99 ≤ 5 ms, one verdict) fails when either part fails.
"""

import os

import pytest

from bench_support import build_trivial_responder, port_open, quick_bench, result, run_data, work_dir

import ceiling_phase as cp  # noqa: E402  (bench/, on the path through bench_support)
import ceiling_report as cr  # noqa: E402
import kmsbench  # noqa: E402
import report  # noqa: E402

PORT = 28383   # not the bench's 28183: a bench may run beside the tests


@pytest.fixture(scope="module")
def sweep(kms_env, make_account, request):
    """The phase with one configuration of each kind (a FastCGI connection per request; upstream
    keep-alive), wrk -t1 and -t2 each, 1 s per point, and Encrypt measured beside it."""
    work = work_dir(request, "ceiling")
    build_trivial_responder(kms_env.repo, work)
    bench = quick_bench(kms_env, make_account("bench-ceiling"), work)
    configs = (cp.ServerConfig(4), cp.ServerConfig(32, upstream_keepalive=16))
    patch = pytest.MonkeyPatch()
    request.addfinalizer(patch.undo)
    patch.setattr(cp, "SERVER_CONFIGS", configs)
    patch.setenv("KMS_BENCH_SWEEP_PORT", str(PORT))
    phase = cp.CeilingPhase(bench, kmsbench.precheck, kmsbench.sample_of)
    phase.seconds = 1
    phase.run()
    return bench, configs, work


def test_every_configuration_is_measured_with_wrk_t1_and_t2(sweep):
    bench, configs, _ = sweep
    points = [r for r in bench.runner.results if "ceiling" in r]
    assert [(p["ceiling"]["config"], p["ceiling"]["wrk_threads"]) for p in points] == \
        [(c.label, t) for c in configs for t in (1, 2)]
    for p in points:
        assert p["conns"] == 32 and p["threads"] == p["ceiling"]["wrk_threads"]
        # The trivial responder answered every request: no errors, real throughput.
        assert p["errors"] == 0 and p["requests"] > 100 and p["rps"] > 0, p
    assert {p["ceiling"]["port"] for p in points} == {PORT, PORT + 1}


def test_the_winner_is_the_fastest_clean_point_and_encrypt_is_measured_beside_it(sweep):
    bench, _, _ = sweep
    points = [r for r in bench.runner.results if "ceiling" in r]
    winner = max(points, key=lambda p: p["rps"])
    assert bench.facts["honest_ceiling"]["winner"] == winner["name"]
    assert report.find(bench.runner.results, report.ENCRYPT, 32), "Encrypt at 32 connections was not measured"
    data = run_data(bench.runner.results, bench.facts)
    assert cr.ceiling(data) is winner
    row = next(t for t in cr.targets(data) if t[0].startswith("Encrypt ≥ 0.7"))
    assert row[2] != "NOT MEASURED" and " × (" in row[1], row   # judged, whichever way this machine goes


def test_each_minimal_nginx_is_rendered_as_asked_and_stopped_afterwards(sweep):
    _, configs, work = sweep
    plain = open(os.path.join(work, "ceiling", configs[0].slug, "nginx.conf")).read()
    kept = open(os.path.join(work, "ceiling", configs[1].slug, "nginx.conf")).read()
    for conf in (plain, kept):
        assert "worker_processes auto;" in conf and "access_log off;" in conf and "ssl" not in conf
    assert "keepalive" not in plain.replace("keepalive_requests", "") and "fastcgi_keep_conn" not in plain
    assert "keepalive 16;" in kept and "fastcgi_keep_conn on;" in kept
    assert not port_open(PORT) and not port_open(PORT + 1)


def test_a_responder_that_is_not_there_fails_the_start(kms_env, request):
    server = cp.CeilingServer(work_dir(request, "absent"), PORT + 2, cp.ServerConfig(4),
                              os.path.join(kms_env.repo, "nginx", "fastcgi_params"))   # no trivial_fcgi built here
    with pytest.raises((OSError, cp.BenchFailure)):
        server.start()
    assert not port_open(PORT + 2)


# ------------------------------------------------------------------------------------------------
# the report's reading of a sweep (no stack needed)
# ------------------------------------------------------------------------------------------------

def point(threads, wrk, rps, *, keep=0, p99=1.5, flags=()):
    config = cp.ServerConfig(threads, upstream_keepalive=keep)
    return result(cp.run_name(config, wrk), rps, p99=p99, flags=flags, target="ceiling",
                  ceiling={"responder_threads": threads, "upstream_keepalive": keep, "wrk_threads": wrk,
                           "config": config.label, "port": 28183})


SWEEP = [point(4, 1, 30000), point(8, 1, 35000), point(32, 1, 41000, keep=16), point(48, 2, 45000, keep=16, flags=["3 errors"])]


def target(data, start):
    return next(t for t in cr.targets(data) if t[0].startswith(start))


def test_a_faster_point_with_errors_is_never_the_ceiling():
    data = run_data(SWEEP)
    assert cr.ceiling(data)["rps"] == 41000
    assert "41,000 req/s" in target(data, "Honest ceiling")[1]
    assert "upstream keepalive 16" in target(data, "Honest ceiling")[1] and "wrk -t1 -c32" in target(data, "Honest ceiling")[1]


def test_encrypt_passes_only_with_both_its_throughput_and_its_p99():
    met = run_data(SWEEP + [result(report.ENCRYPT, 30000, p99=4.0)])
    assert target(met, "Encrypt ≥ 0.7")[2] == "PASS"
    assert "0.73 ×" in target(met, "Encrypt ≥ 0.7")[1] and "p99 4.00 ms" in target(met, "Encrypt ≥ 0.7")[1]
    slow = run_data(SWEEP + [result(report.ENCRYPT, 21000, p99=4.0)])       # 0.51 × the ceiling
    assert target(slow, "Encrypt ≥ 0.7")[2] == "FAIL"
    tail = run_data(SWEEP + [result(report.ENCRYPT, 30000, p99=13.5)])      # fast enough, p99 too long
    assert target(tail, "Encrypt ≥ 0.7")[2] == "FAIL"
    broken = run_data(SWEEP + [result(report.ENCRYPT, 30000, p99=4.0, flags=["2 errors"])])
    assert target(broken, "Encrypt ≥ 0.7")[2] == "FAIL (run had errors)"


def test_decrypt_is_judged_against_the_same_ceiling_and_the_old_ratio_stays_as_a_row():
    data = run_data(SWEEP + [result(report.ENCRYPT, 30000), result("Decrypt", 25000),
                             result(report.TRIVIAL, 19000, target="trivial")])
    assert target(data, "Decrypt ≥ 0.7")[2] == "FAIL" and "0.61 ×" in target(data, "Decrypt ≥ 0.7")[1]
    continuity = target(data, "(continuity")
    assert continuity[2] == "—" and "1.58 ×" in continuity[1]
    # No target is set against the trivial responder any more.
    assert not any("≥ 0.5 × trivial" in t[0] for t in report.targets(data))


def test_without_a_clean_sweep_nothing_is_judged_against_it():
    data = run_data([point(4, 1, 30000, flags=["1 errors"]), result(report.ENCRYPT, 30000)])
    assert cr.ceiling(data) is None
    assert target(data, "Honest ceiling")[2] == "NOT MEASURED"
    assert target(data, "Encrypt ≥ 0.7")[2] == "NOT MEASURED"
    assert any("No sweep point ran without errors" in line for line in cr.section(data, None))


def test_the_section_lists_every_point_and_marks_the_winner():
    lines = cr.section(run_data(SWEEP), "docs/bench-ceiling.png")
    table = [line for line in "\n".join(lines).splitlines() if line.startswith("| ")][1:]
    assert len(table) == len(SWEEP)
    assert sum("**honest ceiling**" in line for line in table) == 1
    assert "41,000" in next(line for line in table if "**honest ceiling**" in line)
    assert "3 errors" in table[-1]
    assert "![The honest-ceiling sweep](docs/bench-ceiling.png)" in lines
    assert cr.section(run_data([result(report.ENCRYPT, 30000)]), None) == []
