"""The bench's feature-cost A/B (bench/feature_cost_phase.py, bench/feature_cost_report.py) and the
responder's --bench-off that it needs:

- ``scripts/kms up`` refuses --bench-off (and KMS_BENCH_OFF) before it starts anything: a service
  never runs without replay protection; the responder refuses a name it does not know;
- a responder started with ``--bench-off replay-memory`` really accepts the replay that one with
  the memory (and the test stack) refuses — the A/B measures what it says;
- the phase in quick mode against the real parts (this checkout's responders with the test
  stack's flags and database, each behind a real nginx, wrk): ABBA order, one port per responder,
  every run clean, the responders stopped afterwards;
- the report's verdicts, including one that must fail.
"""

import os
import shlex
import subprocess
import uuid

import pytest

from bench_support import port_open, quick_bench, result, run_data, work_dir

import ceiling_phase  # noqa: E402  (bench/, on the path through bench_support)
import feature_cost_phase as fp  # noqa: E402
import feature_cost_report as fr  # noqa: E402
import kmsbench  # noqa: E402
import tc3  # noqa: E402

PORT = 28388   # not the bench's 28188: a bench may run beside the tests
REPLAY, LOGS = fp.FEATURES[0], fp.FEATURES[3]


# ------------------------------------------------------------------------------------------------
# --bench-off is for the bench only
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("how", ["argument", "environment"])
def test_up_refuses_bench_off_before_starting_anything(kms_env, how):
    home = f"/tmp/kms-bench-off-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "KMS_HOME": home, "KMS_SKIP_BUILD": "1"}
    args = [kms_env.kms_script, "up"]
    if how == "argument":
        args += ["--bench-off", "replay-memory"]
    else:
        env["KMS_BENCH_OFF"] = "replay-memory"
    out = subprocess.run(args, capture_output=True, text=True, timeout=60, env=env)
    assert out.returncode != 0
    assert "refuses --bench-off" in out.stderr and "replay protection" in out.stderr, out.stderr
    assert not os.path.exists(home)


@pytest.mark.parametrize("names", ["replay_memory", "replay-memory,", "audit", ""])
def test_the_responder_refuses_a_feature_it_does_not_know(kms_env, names):
    # The binary the stack runs (its bin/ copy, or KMS_RESPONDER_BIN's in development).
    with open(os.path.join(kms_env.home, "run", "responder.cmd")) as f:
        binary = shlex.split(f.read())[0]
    out = subprocess.run([binary, "--socket", "/nonexistent/s", "--database", "x", "--master-key", "/nonexistent/k",
                          "--bench-off", names], capture_output=True, text=True, timeout=30)
    assert out.returncode != 0
    assert "--bench-off takes a comma-separated list of replay-memory,metrics" in out.stderr, out.stderr


# ------------------------------------------------------------------------------------------------
# the responders of the A/B, behind a real nginx each
# ------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def bench(kms_env, make_account, request):
    return quick_bench(kms_env, make_account("bench-features"), work_dir(request, "features"))


class Fronted:
    """A variant responder and a minimal nginx in front of it on the same port (in the bench,
    bench.sh's server blocks in the stack's nginx stand there)."""

    def __init__(self, bench, port, options):
        self.responder = fp.VariantResponder(bench.cfg, port, options)
        group = self.responder.argv[self.responder.argv.index("--socket-group") + 1]
        self.nginx = ceiling_phase.MinimalNginx(os.path.join(bench.cfg.work, f"nginx-{port}"), port, self.responder.socket,
                                                os.path.join(bench.cfg.repo, "nginx", "fastcgi_params"), user=group)
        self.port = port

    def start(self):
        self.responder.start()
        self.nginx.start()
        return self

    @property
    def proc(self):
        return self.responder.proc

    def stop(self):
        self.nginx.stop()
        self.responder.stop()


def answer_code(port, raw):
    status, _, body = tc3.send_raw(port, raw)
    assert status == 200, body
    import json
    return json.loads(body)["Response"].get("Error", {}).get("Code", "OK")


def with_region(raw, region):
    head, body = raw.split(b"\r\n\r\n", 1)
    lines = [b"X-TC-Region: " + region.encode() if line.startswith(b"X-TC-Region:") else line
             for line in head.split(b"\r\n")]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def test_without_the_replay_memory_a_replay_in_another_region_is_not_refused(bench, request):
    on = Fronted(bench, PORT + 5, fp.EVERY_FEATURE_ON).start()
    request.addfinalizer(on.stop)
    off = Fronted(bench, PORT + 6, fp.EVERY_FEATURE_ON + REPLAY.off).start()
    request.addfinalizer(off.stop)
    for server, refused in ((bench.cfg.port, True), (on.port, True), (off.port, False)):
        raw = bench.signer.request(bench.main, "DescribeKey", {"KeyId": bench.key}, timestamp=None)
        assert answer_code(server, raw) == "OK"
        # The same signature with another X-TC-Region (outside a TC3 signature): a replay.
        code = answer_code(server, with_region(raw, "ap-beijing"))
        assert (code == "AuthFailure.SignatureFailure") == refused, (server, code)
    with open(off.responder.log_path) as f:
        assert '"event":"bench_off"' in f.read()


@pytest.fixture(scope="module")
def ab(bench, request):
    """The phase with two features (the replay memory, the JSON request log), 1 s per run."""
    fronted = []

    def started(self, port, options):
        fronted.append(Fronted(bench, port, options).start())
        return fronted[-1]

    patch = pytest.MonkeyPatch()
    request.addfinalizer(patch.undo)
    patch.setattr(fp, "FEATURES", (REPLAY, LOGS))
    patch.setattr(fp.FeatureCostPhase, "started", started)
    patch.setenv("KMS_BENCH_FEATURE_PORT", str(PORT))
    try:
        fp.FeatureCostPhase(bench, kmsbench.precheck, kmsbench.sample_of).run()
    finally:
        for f in fronted:
            f.stop()
    return bench, fronted


def test_each_pair_runs_abba_against_its_own_ports(ab):
    bench, fronted = ab
    runs = [r for r in bench.runner.results if "feature_cost" in r]
    assert [(r["feature_cost"]["feature"], r["feature_cost"]["state"]) for r in runs] == \
        [(f.name, s) for f in (REPLAY, LOGS) for s in ("on", "off", "off", "on")]
    assert {r["feature_cost"]["port"] for r in runs if r["feature_cost"]["state"] == "on"} == {PORT}
    assert {r["feature_cost"]["port"] for r in runs if r["feature_cost"]["feature"] == REPLAY.name
            and r["feature_cost"]["state"] == "off"} == {PORT + 1}
    for r in runs:
        assert r["errors"] == 0 and not r["flags"] and r["requests"] > 50, r
    assert bench.facts["feature_costs"]["order"] == "ABBA"


def test_the_responders_differ_in_the_one_feature(ab):
    _, fronted = ab
    on, replay_off, logs_off = (f.responder.argv for f in fronted)
    assert on[on.index("--rate-limit") + 1] == "1000000" and "--bench-off" not in on
    assert replay_off[replay_off.index("--bench-off") + 1] == "replay-memory"
    assert logs_off[logs_off.index("--log-level") + 1] == "warning" and "--bench-off" not in logs_off
    # Everything else is the stack's own command line.
    stack = shlex.split(open(os.path.join(ab[0].cfg.run_dir, "responder.cmd")).read())
    assert on[on.index("--database") + 1] == stack[stack.index("--database") + 1]
    # But the threads: the A/B load is Encrypt, which the product answers from its front lane
    # (OPERATIONS.md, "Worker threads"), so a variant's one socket has that lane's threads.
    assert "--front-socket" not in on and "--front-workers" not in on
    assert on[on.index("--workers") + 1] == stack[stack.index("--front-workers") + 1]
    assert stack[stack.index("--workers") + 1] != stack[stack.index("--front-workers") + 1], \
        "the test stack's lanes have different thread counts, so this test tells them apart"


def test_the_responders_are_stopped_afterwards_and_the_report_judges_each_pair(ab):
    bench, fronted = ab
    assert all(f.proc.poll() is not None for f in fronted)
    data = run_data(bench.runner.results, bench.facts)
    pairs = {p["feature"].name: p for p in fr.pairs(data)}
    for feature in (REPLAY, LOGS):
        assert pairs[feature.name]["cost_pct"] is not None
    rows = [t for t in fr.targets(data) if t[2] != "NOT MEASURED"]
    assert len(rows) == 2 and all(t[2] in ("PASS", "FAIL") for t in rows)


# ------------------------------------------------------------------------------------------------
# the report's reading of the pairs (no stack needed)
# ------------------------------------------------------------------------------------------------

def pair(feature, on, off, flags=()):
    tag = lambda state: {"feature": feature.name, "state": state, "port": 28188}  # noqa: E731
    return [result(feature.run_name("on"), on[0], feature_cost=tag("on"), flags=flags),
            result(feature.run_name("off"), off[0], feature_cost=tag("off")),
            result(feature.run_name("off"), off[1], feature_cost=tag("off")),
            result(feature.run_name("on"), on[1], feature_cost=tag("on"))]


def verdicts(results):
    """{feature name: (target, measured, verdict, ...)}."""
    targets = fr.targets(run_data(results))
    return {f.name: next(t for t in targets if t[0].startswith(f"Cost of the {f.name} ")) for f in fr.FEATURES}


def test_a_cost_within_five_percent_passes_and_one_beyond_fails():
    rows = verdicts(pair(REPLAY, (19400, 19600), (20000, 20000)) + pair(LOGS, (18000, 18400), (20000, 20000)))
    assert rows["replay memory"][0].startswith("Cost of the replay memory ≤ 5 % of Encrypt throughput")
    assert rows["replay memory"][2] == "PASS" and "+2.5 %" in rows["replay memory"][1]
    assert rows["JSON request log"][2] == "FAIL" and "+9.0 %" in rows["JSON request log"][1]
    assert rows["per-account budgets"][2] == "NOT MEASURED"


def test_a_feature_measured_faster_than_without_passes_and_an_unclean_run_fails():
    rows = verdicts(pair(REPLAY, (21000, 21000), (20000, 20000)) + pair(LOGS, (20000, 20000), (20000, 20000), ["3 errors"]))
    assert rows["replay memory"][2] == "PASS" and "-5.0 %" in rows["replay memory"][1]
    assert rows["JSON request log"][2] == "FAIL (run had errors)"


def test_the_section_shows_each_run_the_means_and_the_difference():
    text = "\n".join(fr.section(run_data(pair(LOGS, (18000, 18400), (20000, 19000))), "docs/bench-features.png"))
    row = next(line for line in text.splitlines() if line.startswith("| JSON request log"))
    assert "18,200 (18,000, 18,400)" in row and "19,500 (20,000, 19,000)" in row and "+6.7 %" in row
    assert "`--log-level warning`" in row
    assert "docs/bench-features.png" in text
    assert fr.section(run_data([result("Encrypt (1 key)", 20000)]), None) == []


def test_options_replace_the_stacks_or_are_added():
    argv = ["kms-responder", "--socket", "/a", "--rate-limit", "0"]
    assert fp.with_options(argv, (("--rate-limit", "1000000"), ("--bench-off", "metrics"))) == \
        ["kms-responder", "--socket", "/a", "--rate-limit", "1000000", "--bench-off", "metrics"]
    assert argv == ["kms-responder", "--socket", "/a", "--rate-limit", "0"]
    assert not port_open(PORT + 7)
