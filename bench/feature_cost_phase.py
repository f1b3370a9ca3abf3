"""The cost of each safety feature on Encrypt (issue 17), as A/B pairs in one run.

Every feature added since the first bench — the replay memory, the per-account budgets (rate
limit and CPU budget), the request metrics, the JSON request log — is measured by two responders
that differ in that feature alone: A with every feature on, B with the one feature off. Both are
this checkout's binary with the stack's own flags (``$KMS_HOME/run/responder.cmd``), against the
same database, behind copies of the product's ``location /`` that bench.sh adds to the stack's
nginx on ports of their own (A on KMS_BENCH_FEATURE_PORT, 28188; the features' B on the next four).
Each pair runs A B B A (ABBA: a drift of the machine's load over the four runs touches A and B
alike), at 32 connections with the Encrypt pool of every other Encrypt run.

How each feature is switched:
- replay memory: ``--bench-off replay-memory`` (benchmark only; ``scripts/kms up`` refuses it);
- budgets: ``--rate-limit 0 --cpu-budget 0`` off; on, a rate limit of 1,000,000/s per account,
  so that every request goes through the limiter's bucket but none is refused (the product's
  10,000/s would refuse a single account's Encrypt at full speed), and the default CPU budget
  (it charges public-key work only, so Encrypt pays only its check);
- metrics: ``--bench-off metrics`` (the per-request counters and histogram; the scrape itself
  does not run during the bench);
- JSON request log: ``--log-level warning`` (no line per request) against ``info``.
"""

import os
import pwd
import shlex
import subprocess
import time
from dataclasses import dataclass

from phase import Phase
from stack import BenchFailure, log, wait_quiet

CONNS = 32
ORDER = ("on", "off", "off", "on")   # ABBA
LIMIT_PCT = 5.0
EVERY_FEATURE_ON = (("--rate-limit", "1000000"), ("--cpu-budget", "500"), ("--log-level", "info"))


@dataclass(frozen=True)
class Feature:
    """A safety feature and the responder flags that switch it off."""
    name: str
    off: tuple

    def run_name(self, state):
        return f"Encrypt ({self.name} {state})"


FEATURES = (
    Feature("replay memory", (("--bench-off", "replay-memory"),)),
    Feature("per-account budgets", (("--rate-limit", "0"), ("--cpu-budget", "0"))),
    Feature("metrics", (("--bench-off", "metrics"),)),
    Feature("JSON request log", (("--log-level", "warning"),)),
)


def with_options(argv, options):
    """argv with each (option, value) set: replaced where the option is, appended where not."""
    argv = list(argv)
    for option, value in options:
        if option in argv:
            argv[argv.index(option) + 1] = value
        else:
            argv += [option, value]
    return argv


def without_options(argv, options):
    """argv without each of ``options`` and its value."""
    argv = list(argv)
    for option in options:
        if option in argv:
            i = argv.index(option)
            del argv[i:i + 2]
    return argv


def feature_socket(fcgi_dir, port):
    """The socket of the responder behind port ``port`` (bench.sh's server blocks name it so)."""
    return os.path.join(fcgi_dir, f"feature-{port}.sock")


class VariantResponder:
    """One responder of the A/B: the stack's command line with some options changed, on its own
    socket and log file, as the service user."""

    def __init__(self, cfg, port, options):
        with open(os.path.join(cfg.run_dir, "responder.cmd")) as f:
            stack_argv = shlex.split(f.read())
        self.cfg = cfg
        self.port = port
        self.socket = feature_socket(os.path.dirname(stack_argv[stack_argv.index("--socket") + 1]), port)
        self.log_path = os.path.join(cfg.log_dir, f"feature-{port}.log")
        # One socket each: bench.sh's server block for the port passes every action to it, and the
        # stack's front socket is the product's own. The A/B load is Encrypt, which the product
        # serves from its front lane: the socket gets as many threads as that lane has.
        argv = without_options(stack_argv, ("--front-socket", "--front-workers"))
        threads = ()
        if "--front-workers" in stack_argv and "--front-socket" in stack_argv:
            threads = (("--workers", stack_argv[stack_argv.index("--front-workers") + 1]),)
        self.argv = with_options(argv, (("--socket", self.socket), ("--log-file", self.log_path)) + threads + options)
        self.proc = None

    def start(self):
        cfg = self.cfg
        if os.path.exists(self.socket):
            os.unlink(self.socket)
        open(self.log_path, "a").close()
        cmd = self.argv
        if os.geteuid() == 0 and cfg.svc_user != "root":
            user = pwd.getpwnam(cfg.svc_user)
            os.chown(self.log_path, user.pw_uid, user.pw_gid)
            cmd = ["setpriv", f"--reuid={cfg.svc_user}", f"--regid={user.pw_gid}", "--init-groups", "--reset-env",
                   "--"] + cmd
        self.proc = subprocess.Popen(cmd, cwd="/", stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.time() + 30
        while not os.path.exists(self.socket):
            if self.proc.poll() is not None or time.time() > deadline:
                self.stop()
                raise BenchFailure(f"the feature-cost responder for port {self.port} did not come up "
                                   f"(log: {self.log_path}; command: {' '.join(self.argv)})")
            time.sleep(0.1)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class FeatureCostPhase(Phase):
    """The A/B pairs, run by ``Bench.feature_costs`` with the bench's runner and Encrypt pools."""

    def __init__(self, bench, precheck, sample_of):
        super().__init__(bench, precheck, sample_of)
        self.first_port = int(os.environ.get("KMS_BENCH_FEATURE_PORT", "28188"))

    def measure(self, feature, state, responder):
        bench = self.bench
        pool, t = bench.encrypt_pool([(bench.main, bench.key)], 2000)
        self.precheck(responder.port, self.sample_of(pool), feature.run_name(state), "Encrypt")
        res = bench.runner.run(feature.run_name(state), "Encrypt", "feature", CONNS, pool, signed_at=t,
                               port=responder.port, note=f"A/B, responder on port {responder.port}")
        res["feature_cost"] = {"feature": feature.name, "state": state, "port": responder.port}

    def started(self, port, options):
        responder = VariantResponder(self.cfg, port, options)
        responder.start()
        return responder

    def run(self):
        bench, stack = self.bench, self.bench.stack
        log(f"feature costs: {len(FEATURES)} A/B pairs ({', '.join(f.name for f in FEATURES)}), "
            f"ABBA, {CONNS} connections, {self.cfg.duration}s per run")
        on = self.started(self.first_port, EVERY_FEATURE_ON)
        try:
            for i, feature in enumerate(FEATURES, start=1):
                off = self.started(self.first_port + i, EVERY_FEATURE_ON + feature.off)
                try:
                    stack.extra["feature"] = [on.proc.pid, off.proc.pid]
                    # A fresh responder fills its wrapping-key pool from idle CPU: let it finish first.
                    wait_quiet(stack, limit=120)
                    for state in ORDER:
                        self.measure(feature, state, on if state == "on" else off)
                finally:
                    stack.extra.pop("feature", None)
                    off.stop()
        finally:
            on.stop()
        bench.facts["feature_costs"] = {
            "features": [{"name": f.name, "off": " ".join(" ".join(o) for o in f.off)} for f in FEATURES],
            "on": " ".join(" ".join(o) for o in EVERY_FEATURE_ON), "order": "".join("A" if s == "on" else "B" for s in ORDER),
        }
