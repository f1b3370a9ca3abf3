"""What the bench's e2e tests share: the real bench (bench/kmsbench.py's Bench, Runner and wrk)
pointed at the test stack in quick mode, and results in the shape bench/kmsbench.py writes them,
for the report's pure functions.
"""

import os
import pwd
import subprocess
import sys
import types
import uuid

REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir)
sys.path.insert(0, os.path.join(REPO, "bench"))

import kmsbench  # noqa: E402
import tc3  # noqa: E402


def quick_bench(kms_env, account, work):
    """A kmsbench.Bench on the test stack: quick mode, 1 s per wrk run, everything it writes in
    ``work``; its account is ``account`` (a conftest Account) with one new key."""
    host, port = kms_env.endpoint.rsplit(":", 1)
    home = os.path.realpath(kms_env.home)
    results = os.path.join(work, "results")
    os.makedirs(results, exist_ok=True)
    cfg = types.SimpleNamespace(
        repo=os.path.realpath(kms_env.repo), home=home, port=int(port), host=kms_env.endpoint, quick=True, duration=1,
        threads=2, timeout="30s", load_conns=32, work=work, pools=os.path.join(work, "pools"),
        lua=os.path.join(kms_env.repo, "bench", "pool.lua"), results=results,
        run_dir=os.path.join(home, "run"), pg_data=os.path.join(home, "pg"), log_dir=os.path.join(home, "log"),
        ceiling_port=None, baseline=None, baseline_port=None, baseline_pid=None, trivial_pid=None,
        pg_user="postgres", svc_user=service_user(home), pg_bin="/usr/lib/postgresql/15/bin")
    os.makedirs(cfg.pools, exist_ok=True)
    bench = kmsbench.Bench(cfg)
    bench.main = tc3.Account(account.name, account.app_id, account.uin, account.secret_id, account.secret_key)
    bench.key = bench.api.call(bench.main, "CreateKey", {"Alias": f"bench-{uuid.uuid4().hex[:12]}"})["KeyId"]
    return bench


def work_dir(request, label):
    """A directory for a bench's pools, sockets and nginx prefixes, removed after the test's
    scope. Not under pytest's tmp_path: nginx's workers and the service user must reach the
    sockets in it, and pytest makes its base directory private (0700)."""
    import shutil
    import tempfile
    path = tempfile.mkdtemp(prefix=f"kms-bench-test-{label}.")
    os.chmod(path, 0o755)
    request.addfinalizer(lambda: shutil.rmtree(path, ignore_errors=True))
    return path


def service_user(home):
    """The user the stack's responder runs as (the owner of its log file)."""
    return pwd.getpwuid(os.stat(os.path.join(home, "log", "responder.log")).st_uid).pw_name


def build_trivial_responder(repo, work):
    """bench/trivial_fcgi.c built into ``work`` as bench.sh builds it; its path."""
    out = os.path.join(work, "trivial_fcgi")
    subprocess.run(["gcc", "-O2", "-Wall", "-Wextra", "-o", out, os.path.join(repo, "bench", "trivial_fcgi.c"),
                    "-lfcgi", "-lpthread"], check=True)
    return out


def port_open(port):
    import socket
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


# ------------------------------------------------------------------------------------------------
# results in bench/kmsbench.py's shape, for the report's pure functions
# ------------------------------------------------------------------------------------------------

def result(name, rps, *, conns=32, p50=1.0, p99=3.0, flags=(), target="kms", **extra):
    """One run as Runner.run records it."""
    return {"name": name, "action": "Encrypt", "target": target, "conns": conns, "threads": 2, "mode": "cycle",
            "pool": 2000, "seconds": 10.0, "rps": float(rps), "p50_ms": p50, "p90_ms": p50, "p99_ms": p99,
            "max_ms": p99, "mean_ms": p50, "requests": int(rps * 10), "ok": int(rps * 10),
            "errors": 1 if flags else 0, "exhausted": 0, "sample_error": "", "flags": list(flags), "note": "",
            "cpu": {"responder": 1.0, "postgres": 0.1, "nginx": 0.3, "trivial": 0.0, "wrk": 0.3, "other": 0.0,
                    "steal": 0.0, "total": 1.7}, "wall_s": 10.0, "pg_per_request": None, **extra}


def run_data(results, facts=None):
    """A whole run's data (results.json) around ``results``."""
    return {"config": {"duration": 10, "threads": 2, "concurrencies": [1, 32], "baseline": "", "load_conns": 32,
                       "workers": 8, "quick": True, "timeout": "30s", "many_accounts": 10, "keys_per_account": 100},
            "machine": {"nproc": 2, "cpu_model": "test", "memory_gib": 4.0, "kernel": "test", "date": "2026-12-01 00:00:00 UTC",
                        "commit": "test", "dirty_sources": "", "wrk": "wrk 4.1.0", "nginx": "nginx/1.22.1",
                        "postgres": "postgres 15", "background_cores_before": 0.0, "waited_for_quiet_s": 0,
                        "loadavg_before": ["0", "0", "0"]},
            "results": results, "facts": facts or {}, "failures": [], "profile": None}
