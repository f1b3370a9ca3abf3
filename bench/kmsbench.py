#!/usr/bin/env python3
"""The measuring half of ``scripts/kms bench`` (scripts/lib/bench.sh brings the stack up).

For every measured point it builds a pool of complete, TC3-signed requests (bench/tc3.py),
sends a sample of them once and checks that each is a success, then lets wrk replay the pool
(bench/pool.lua), which checks every answer again and counts failures. The ceilings are
measured the same way with the same request bytes: nginx answering by itself (``/static``)
and a trivial C FastCGI responder behind the product's FastCGI settings.

Inputs (environment, set by bench.sh): KMS_HOME, KMS_BENCH_REPO, KMS_BENCH_HTTP_PORT,
KMS_BENCH_CEILING_PORT, KMS_BENCH_WORKERS, KMS_BENCH_WORK, KMS_BENCH_TRIVIAL_PID,
KMS_BENCH_PG_USER, KMS_BENCH_SVC_USER, KMS_BENCH_PG_BIN, KMS_BENCH_QUICK, KMS_BENCH_PROFILE;
KMS_BENCH_DURATION (seconds per point, default 10).

Outputs: the table on stdout; bench/results/ (results.json, wrk logs, chart, profile data,
openssl-speed.txt of the asymmetric phase, bench/asymmetric_phase.py);
BENCHMARKS.md and the charts docs/bench-*.png in the repository.
Exit status: 0 when every run was clean (no errors, no exhausted pool, no failed check),
1 otherwise. Targets that are missed do not change the exit status: they are the findings.
"""

import base64
import json
import math
import multiprocessing
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import tc3  # noqa: E402
from stack import CLK, BenchFailure, CpuMeter, Stack, log, proc_cpu, report_failures, serving_group, system_cpu, vm_status, wait_quiet  # noqa: E402
from tc3 import Account, Api, ApiError, Signer, check_answer, send_raw, with_path  # noqa: E402


# --------------------------------------------------------------------------------------------------
# configuration
# --------------------------------------------------------------------------------------------------

class Config:
    def __init__(self):
        e = os.environ
        self.repo = e["KMS_BENCH_REPO"]
        self.home = e["KMS_HOME"]
        self.port = int(e["KMS_BENCH_HTTP_PORT"])
        self.ceiling_port = int(e["KMS_BENCH_CEILING_PORT"])
        self.workers = int(e.get("KMS_BENCH_WORKERS", str(4 * len(os.sched_getaffinity(0)))))  # as KMS_WORKERS
        self.work = e["KMS_BENCH_WORK"]
        self.trivial_pid = int(e["KMS_BENCH_TRIVIAL_PID"])
        # --baseline REV: the responder built from REV serves the same stack on a port of its own.
        self.baseline = e.get("KMS_BENCH_BASELINE", "")
        self.baseline_port = int(e["KMS_BENCH_BASELINE_PORT"]) if self.baseline else None
        self.baseline_pid = int(e["KMS_BENCH_BASELINE_PID"]) if self.baseline else None
        self.baseline_bin = e.get("KMS_BENCH_BASELINE_BIN_PATH", "") if self.baseline else ""
        self.pg_user = e.get("KMS_BENCH_PG_USER", "postgres")
        self.svc_user = e.get("KMS_BENCH_SVC_USER", "kms")
        self.pg_bin = e.get("KMS_BENCH_PG_BIN", "/usr/lib/postgresql/15/bin")
        self.quick = e.get("KMS_BENCH_QUICK", "0") == "1"
        self.profile = e.get("KMS_BENCH_PROFILE", "1") == "1"
        self.duration = int(e.get("KMS_BENCH_DURATION", "3" if self.quick else "10"))
        self.threads = 2                              # wrk -t2: the machine has 2 cores
        self.concurrencies = [1, 32] if self.quick else [1, 8, 32, 64]
        self.load_conns = 32                          # the "under load" point of every action
        self.many_accounts = 10 if self.quick else 100
        self.keys_per_account = 100 if self.quick else 1000
        # ImportKeyMaterial tokens: each is one GetParametersForImport, i.e. one RSA-2048 key
        # generation on the server; they are made for at most this long, up to this many.
        self.token_seconds = 10 if self.quick else 60
        self.token_max = 400 if self.quick else 2000
        self.timeout = "30s"                          # = nginx's fastcgi_read_timeout
        self.run_dir = os.path.join(self.home, "run")
        self.pg_data = os.path.join(self.home, "pg")
        self.log_dir = os.path.join(self.home, "log")
        self.pools = os.path.join(self.work, "pools")
        self.lua = os.path.join(self.repo, "bench", "pool.lua")
        self.results = os.path.join(self.repo, "bench", "results")
        self.report = os.path.join(self.repo, "BENCHMARKS.md")
        self.chart_copy = os.path.join(self.repo, "docs", "bench-encrypt.png")
        self.host = f"127.0.0.1:{self.port}"
        os.makedirs(self.pools, exist_ok=True)
        os.makedirs(self.results, exist_ok=True)


# --------------------------------------------------------------------------------------------------
# pools and wrk
# --------------------------------------------------------------------------------------------------

EXPECT = {  # fields a success of each action must carry (beyond RequestId)
    "Encrypt": ("CiphertextBlob", "KeyId"),
    "Decrypt": ("Plaintext", "KeyId"),
    "GenerateDataKey": ("CiphertextBlob", "Plaintext", "KeyId"),
    "DescribeKey": ("KeyMetadata",),
    "CreateKey": ("KeyId", "Alias"),
    "GetParametersForImport": ("ImportToken", "PublicKey", "ParametersValidTo"),
    "ImportKeyMaterial": (),
    "SignByAsymmetricKey": ("Signature",),
    "GetDataKeyPlaintext": ("Plaintext",),
    "VerifyByAsymmetricKey": ("SignatureValid",),
}
EXPECT_VALUES = {  # fields whose value a success must have: a verification that answers false is no success
    "VerifyByAsymmetricKey": {"SignatureValid": True},
}


def precheck(port, requests, what, action=None, tencent=True, host="127.0.0.1"):
    """Sends each request once and raises BenchFailure unless every answer is a success."""
    for raw in requests:
        try:
            status, ctype, body = send_raw(port, raw, host=host)
            resp = check_answer(status, ctype, body, what, tencent=tencent)
        except AssertionError as exc:
            raise BenchFailure(f"pre-check of {what} failed: {exc}") from None
        for field in EXPECT.get(action, ()):
            if field not in resp:
                raise BenchFailure(f"pre-check of {what}: the answer lacks {field}: {body[:300]!r}")
        for field, value in EXPECT_VALUES.get(action, {}).items():
            if resp.get(field) is not value:
                raise BenchFailure(f"pre-check of {what}: {field} is {resp.get(field)!r}, want {value!r}: {body[:300]!r}")


def write_pool(directory, name, requests, threads):
    """The pool as bench/pool.lua reads it: one file per wrk thread (every threads-th request,
    NUL-terminated); returns the files' common prefix."""
    prefix = os.path.join(directory, name)
    for t in range(threads):
        with open(f"{prefix}.{t}", "wb") as f:
            f.write(b"".join(r + b"\0" for r in requests[t::threads]))
    return prefix


def wrk_result(what, returncode, output):
    """bench/pool.lua's BENCH_RESULT line of a wrk run, and its count of failed requests;
    BenchFailure when wrk failed or printed none."""
    match = re.search(r"^BENCH_RESULT (\{.*\})$", output, re.M)
    if returncode != 0 or not match:
        raise BenchFailure(f"{what}: wrk failed (exit {returncode}):\n{output[-2000:]}")
    r = json.loads(match.group(1))
    return r, (r["bad_body"] + r["bad_status"] + r["connect_errors"] + r["read_errors"]
               + r["write_errors"] + r["timeouts"])


def sample_of(pool, k=8):
    if len(pool) <= k:
        return list(pool)
    return [pool[0], pool[-1]] + random.sample(pool[1:-1], k - 2)


class Runner:
    def __init__(self, cfg, stack):
        self.cfg = cfg
        self.stack = stack
        self.meter = CpuMeter(stack)
        self.results = []
        self.failures = []
        self.log_path = os.path.join(cfg.results, "wrk.log")
        open(self.log_path, "w").close()

    PG_COUNTERS = ("SELECT d.xact_commit, d.xact_rollback, d.tup_inserted, d.tup_updated, d.tup_fetched, "
                   "w.wal_records, w.wal_sync FROM pg_stat_database d, pg_stat_wal w WHERE d.datname = 'kms'")
    PG_NAMES = ("commits", "rollbacks", "inserted", "updated", "fetched", "wal_records", "wal_syncs")

    PG_TABLES = ("SELECT relname, seq_scan, seq_tup_read, coalesce(idx_scan, 0), coalesce(idx_tup_fetch, 0), "
                 "n_tup_ins, n_tup_upd FROM pg_stat_user_tables")
    PG_TABLE_NAMES = ("seq_scan", "seq_tup_read", "idx_scan", "idx_tup_fetch", "ins", "upd")

    def pg_counters(self):
        """PostgreSQL's counters for the kms database (None if they cannot be read)."""
        try:
            out = dict(zip(self.PG_NAMES, (float(x) for x in self.stack.psql(self.PG_COUNTERS)[0])))
            for row in self.stack.psql(self.PG_TABLES):
                for name, value in zip(self.PG_TABLE_NAMES, row[1:]):
                    out[f"{row[0]}.{name}"] = float(value)
            return out
        except (subprocess.CalledProcessError, IndexError, ValueError):
            return None

    def write_pool(self, name, requests, threads):
        return write_pool(self.cfg.pools, name, requests, threads)

    def run(self, name, action, target, conns, requests, *, mode="cycle", signed_at, duration=None,
            port=None, note="", quiet_first=True, must_contain=None, threads=None):
        """One wrk run; appends and returns its result. ``must_contain``: text every successful
        answer has (bench/pool.lua counts an answer without it as a failure); ``threads``: wrk's
        (the bench's -t2 unless given)."""
        cfg = self.cfg
        duration = duration or cfg.duration
        port = port or {"kms": cfg.port, "baseline": cfg.baseline_port}.get(target, cfg.ceiling_port)
        threads = min(threads or cfg.threads, conns)
        if mode != "cycle" and len(requests) < threads:
            raise BenchFailure(f"{name}: pool of {len(requests)} is smaller than the {threads} wrk threads")
        prefix = self.write_pool(name.replace(" ", "_").replace("/", "_"), requests, threads)
        if quiet_first:
            wait_quiet(self.stack)
        pg0 = self.pg_counters()
        limit = 600 if mode == "work" else duration
        cmd = ["wrk", f"-t{threads}", f"-c{conns}", f"-d{limit}s", "--timeout", cfg.timeout, "--latency",
               "-s", cfg.lua, f"http://127.0.0.1:{port}/", "--", prefix, mode] + ([must_contain] if must_contain else [])
        self.meter.start()
        t0 = time.time()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        lines, done = [], 0
        try:
            for line in proc.stdout:
                lines.append(line)
                if mode == "work" and line.startswith("POOL_DONE"):
                    done += 1
                    if done == threads:
                        proc.send_signal(signal.SIGINT)
            proc.wait()
        except BaseException:
            proc.kill()
            raise
        cpu = self.meter.stop()
        elapsed = time.time() - t0
        output = "".join(lines)
        with open(self.log_path, "a") as f:
            f.write(f"==== {name} ({action} -> {target}, {conns} connections, mode {mode}) ====\n"
                    f"$ {' '.join(cmd)}\n{output}\n")
        time.sleep(1.5)   # backends publish their statistics at most once a second
        pg1 = self.pg_counters()
        r, errors = wrk_result(name, proc.returncode, output)
        seconds = r["duration_us"] / 1e6
        flags = []
        if errors:
            flags.append(f"{errors} errors")
        if r["exhausted"]:
            flags.append(f"pool exhausted ({r['exhausted']} requests beyond it)")
        if mode == "work" and done < threads:
            flags.append("work not finished")
        age = time.time() - signed_at
        if age > 290:
            flags.append(f"signatures {age:.0f}s old at the end of the run")
        if r["ok"] + r["bad_body"] + r["bad_status"] != r["requests"]:
            flags.append("answers do not add up")
        if cpu["other"] > 0.25 or cpu["steal"] > 0.1:
            note = (note + "; " if note else "") + \
                f"shared machine: {cpu['other']:.2f} cores used by other processes" \
                + (f", {cpu['steal']:.2f} stolen" if cpu["steal"] >= 0.01 else "")
        res = {
            "name": name, "action": action, "target": target, "conns": conns, "threads": threads,
            "mode": mode, "pool": len(requests), "seconds": round(seconds, 3),
            "rps": r["requests"] / seconds if seconds else 0.0,
            "p50_ms": r["p50_us"] / 1000, "p90_ms": r["p90_us"] / 1000, "p99_ms": r["p99_us"] / 1000,
            "max_ms": r["lat_max_us"] / 1000, "mean_ms": r["lat_mean_us"] / 1000,
            "requests": r["requests"], "ok": r["ok"], "errors": errors, "exhausted": r["exhausted"],
            "sample_error": r["sample_error"], "cpu": cpu, "flags": flags, "note": note,
            "wall_s": round(elapsed, 2),
            "pg_per_request": ({k: round((pg1.get(k, 0) - pg0[k]) / r["requests"], 3) for k in pg0
                                if "." not in k or abs(pg1.get(k, 0) - pg0[k]) / r["requests"] >= 0.01}
                               if pg0 and pg1 and r["requests"] and target in ("kms", "baseline") else None),
        }
        self.results.append(res)
        if flags:
            self.failures.append(f"{name}: {', '.join(flags)}"
                                 + (f" (first error: {r['sample_error'][:200]})" if r["sample_error"] else ""))
        log(f"{name:<34} c={conns:<3} {res['rps']:9.0f} req/s  p50 {res['p50_ms']:7.2f} ms  "
            f"p99 {res['p99_ms']:7.2f} ms  errors {errors}"
            + (f"  [{'; '.join(flags)}]" if flags else "")
            + f"  cpu resp {cpu.get(serving_group(target), 0):.2f} pg {cpu['postgres']:.2f} nginx {cpu['nginx']:.2f} "
              f"wrk {cpu['wrk']:.2f} other {cpu['other']:.2f}")
        return res


# --------------------------------------------------------------------------------------------------
# set-up helpers
# --------------------------------------------------------------------------------------------------

def b64(data):
    return base64.b64encode(data).decode()


def create_account(cfg, name):
    out = subprocess.run([os.path.join(cfg.repo, "scripts", "kms"), "ctl", "account", "create",
                          "--name", name, "--json"],
                         env={**os.environ, "KMS_HOME": cfg.home}, check=True, capture_output=True,
                         text=True).stdout
    return Account.from_json(name, json.loads(out))


def create_accounts(cfg, prefix, n):
    with ThreadPoolExecutor(4) as ex:
        return list(ex.map(lambda i: create_account(cfg, f"{prefix}-{i:03d}"), range(n)))


def _create_keys_worker(args):
    """Process-pool worker: creates keys ``aliases`` in one account (one kept-alive connection).
    An alias that already exists counts as created (a retried request)."""
    port, host, account, aliases, extra = args
    api = Api(port, Signer(host))
    acct = Account(**account)
    created, ids = 0, []
    for alias in aliases:
        try:
            ids.append(api.call(acct, "CreateKey", {"Alias": alias, **extra})["KeyId"])
            created += 1
        except ApiError as exc:
            if exc.code != "InvalidParameterValue.AliasAlreadyExists":
                raise
            created += 1
    return created, ids


def account_dict(a):
    return {"name": a.name, "app_id": a.app_id, "uin": a.uin, "secret_id": a.secret_id, "secret_key": a.secret_key}


def create_keys(cfg, jobs, processes=12):
    """jobs: [(account, [aliases], extra params)] -> [[key ids] per job], through the API."""
    args = [(cfg.port, cfg.host, account_dict(a), aliases, extra) for a, aliases, extra in jobs]
    with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("fork")) as ex:
        return [ids for _, ids in ex.map(_create_keys_worker, args)]


def _hammer_get_parameters(port, host, account, key_id, stop, limited, counts):
    """Fairness worker process: GetParametersForImport (RSA-2048) as fast as answers come (0.2 s
    after a RequestLimitExceeded), until ``stop``; sets ``limited`` at the first
    RequestLimitExceeded; puts {code: count} on ``counts`` ("OK" for a success)."""
    api, acct, seen = Api(port, Signer(host)), Account(**account), {}
    params = {"KeyId": key_id, "WrappingAlgorithm": "RSAES_OAEP_SHA_256", "WrappingKeySpec": "RSA_2048"}
    while not stop.is_set():
        try:
            api.call(acct, "GetParametersForImport", params)
            code = "OK"
        except ApiError as exc:
            code = exc.code
        except AssertionError as exc:  # tc3.check_answer reports error answers this way
            found = re.search(r'"Code":"([^"]+)"', str(exc))
            code = found.group(1) if found else "unreadable answer"
        if code == "RequestLimitExceeded":
            limited.set()
            # A client that honours the answer: without a pause this is a flood of cheap requests,
            # which is KMS_RATE_LIMIT's business (off in the bench), not the CPU budget's.
            stop.wait(0.2)
        seen[code] = seen.get(code, 0) + 1
    counts.put(seen)


# --------------------------------------------------------------------------------------------------
# the suite
# --------------------------------------------------------------------------------------------------

class Bench:
    def __init__(self, cfg):
        self.cfg = cfg
        self.stack = Stack(cfg)
        self.signer = Signer(cfg.host)
        self.api = Api(cfg.port, self.signer)
        self.runner = Runner(cfg, self.stack)
        self.facts = {}

    # pools ---------------------------------------------------------------------------------------
    def sign(self, items):
        """[(account, action, params)] -> ([request bytes], signing time)."""
        t = time.time()
        return [self.signer.request(a, action, p, timestamp=t) for a, action, p in items], t

    def encrypt_pool(self, pairs, n):
        """n Encrypt requests of 64 random bytes each, over (account, key id) pairs."""
        return self.sign([(a, "Encrypt", {"KeyId": k, "Plaintext": b64(os.urandom(64))})
                          for a, k in (random.choice(pairs) if len(pairs) > 1 else pairs[0]
                                       for _ in range(n))])

    # phases --------------------------------------------------------------------------------------
    def setup(self):
        cfg = self.cfg
        log("creating the accounts and keys for the one-key runs")
        self.main = create_account(cfg, "bench-main")
        self.key = self.api.call(self.main, "CreateKey", {"Alias": "bench-one",
                                                          "Description": "the one-key runs"})["KeyId"]
        with ThreadPoolExecutor(8) as ex:
            self.external = list(ex.map(
                lambda i: self.api.call(self.main, "CreateKey", {"Alias": f"bench-ext-{i}", "Type": 2})["KeyId"],
                range(64)))
            self.blobs = list(ex.map(
                lambda i: self.api.call(self.main, "Encrypt", {"KeyId": self.key,
                                                               "Plaintext": b64(os.urandom(64))})["CiphertextBlob"],
                range(512)))
        log(f"creating {cfg.many_accounts} accounts for the many-keys runs")
        self.many = create_accounts(cfg, "bench-many", cfg.many_accounts)

    def ceilings_and_encrypt(self):
        """Static, trivial and Encrypt side by side at each concurrency (interleaved, so that a
        change in the machine's load touches all three alike); with --baseline, the baseline's
        Encrypt too, before or after this checkout's in turn."""
        cfg = self.cfg
        for i, conns in enumerate(cfg.concurrencies):
            pool, t = self.encrypt_pool([(self.main, self.key)], 2000)
            static = [with_path(r, "/static") for r in pool]
            precheck(cfg.ceiling_port, sample_of(static), "nginx static", tencent=False)
            self.runner.run("ceiling: nginx static", "static", "static", conns, static, signed_at=t)
            precheck(cfg.ceiling_port, sample_of(pool), "trivial responder")
            self.runner.run("ceiling: trivial FastCGI", "trivial", "trivial", conns, pool, signed_at=t)
            order = ("kms", "baseline") if i % 2 == 0 else ("baseline", "kms")
            for target in order:
                if target == "baseline" and not cfg.baseline:
                    continue
                self.encrypt_run(target, conns)

    def encrypt_run(self, target, conns):
        """One Encrypt run (one key) against this checkout's responder or the baseline's."""
        cfg = self.cfg
        port = cfg.port if target == "kms" else cfg.baseline_port
        pool, t = self.encrypt_pool([(self.main, self.key)], 2000)
        precheck(port, sample_of(pool), "Encrypt", "Encrypt")
        name = "Encrypt (1 key)" if target == "kms" else f"Encrypt (1 key, baseline {cfg.baseline})"
        return self.runner.run(name, "Encrypt", target, conns, pool, signed_at=t)

    def baseline_ab(self):
        """--baseline: Encrypt before/after at the load point, three more alternated pairs (ABBA
        order), so that the verdict rests on four runs of each under the same conditions."""
        if not self.cfg.baseline:
            return
        for target in ("baseline", "kms", "kms", "baseline", "baseline", "kms"):
            self.encrypt_run(target, self.cfg.load_conns)

    def encrypt_fresh_signatures(self):
        """Encrypt where every request carries a signature the service has not seen, as real SDK
        clients send (SPEC §6: each is stored in the replay memory). The cycled pools above send
        2,000 signatures over and over, so after the first round the memory only finds them; this
        run pays for an insert on every request. Compare with "Encrypt (1 key)" at the same load."""
        cfg, c = self.cfg, self.cfg.load_conns
        enc = self.best("Encrypt (1 key)", c)
        expected = max(enc["rps"] if enc else 0, 2000)
        n = int(math.ceil(expected * cfg.duration * 1.5))
        pool, t = self.encrypt_pool([(self.main, self.key)], n)
        precheck(cfg.port, sample_of(pool), "Encrypt", "Encrypt")
        self.runner.run("Encrypt (1 key, every signature new)", "Encrypt", "kms", c, pool, mode="once", signed_at=t,
                        note=f"pool {len(pool)} requests, each signature sent once (replay memory insert per request)")

    def sub_user_ab(self):
        """Encrypt signed by the account's root against the same Encrypt signed by a sub-user whose
        one attached policy allows kms:Encrypt and kms:Decrypt on the key (SPEC §6): the sub-user's
        requests pay for a CAM decision each (compiled policies, cached). Alternated twice (ABBA),
        same key, same load; the target compares the means."""
        cfg, c = self.cfg, self.cfg.load_conns
        user = self.api.call(self.main, "AddUser", {"Name": "bench-app", "UseApi": 1}, service="cam")
        resource = f"qcs::kms:ap-guangzhou:uin/{self.main.uin}:key/creatorUin/{self.main.uin}/{self.key}"
        document = json.dumps({"version": "2.0", "statement": [
            {"effect": "allow", "action": ["kms:Encrypt", "kms:Decrypt"], "resource": [resource]}]})
        policy = self.api.call(self.main, "CreatePolicy", {"PolicyName": "bench-app-crypto", "PolicyDocument": document},
                               service="cam")["PolicyId"]
        self.api.call(self.main, "AttachUserPolicy", {"PolicyId": policy, "AttachUin": user["Uin"]}, service="cam")
        sub = Account("bench-app", self.main.app_id, str(user["Uin"]), user["SecretId"], user["SecretKey"])
        for who in ("root", "sub-user", "sub-user", "root"):
            pool, t = self.encrypt_pool([(self.main if who == "root" else sub, self.key)], 2000)
            precheck(cfg.port, sample_of(pool), f"Encrypt as the {who}", "Encrypt")
            self.runner.run(f"Encrypt (1 key, as the {who})", "Encrypt", "kms", c, pool, signed_at=t,
                            note="A/B: CAM decision per request" if who == "sub-user" else "A/B: no CAM decision")

    def other_actions(self):
        cfg, c = self.cfg, self.cfg.load_conns
        pool, t = self.sign([(self.main, "Decrypt", {"CiphertextBlob": self.blobs[i % len(self.blobs)]})
                             for i in range(2000)])
        precheck(cfg.port, sample_of(pool), "Decrypt", "Decrypt")
        self.runner.run("Decrypt", "Decrypt", "kms", c, pool, signed_at=t)

        pool, t = self.sign([(self.main, "GenerateDataKey", {"KeyId": self.key, "KeySpec": "AES_256"})] * 500)
        precheck(cfg.port, sample_of(pool), "GenerateDataKey", "GenerateDataKey")
        self.runner.run("GenerateDataKey", "GenerateDataKey", "kms", c, pool, signed_at=t)

        pool, t = self.sign([(self.main, "DescribeKey", {"KeyId": self.key})] * 500)
        precheck(cfg.port, sample_of(pool), "DescribeKey", "DescribeKey")
        self.runner.run("DescribeKey", "DescribeKey", "kms", c, pool, signed_at=t)

        # A data key the service keeps (issue 16): each request reads its row, then opens it with the
        # CMK from the key cache, as Decrypt does.
        hosted = self.api.call(self.main, "GenerateDataKey", {"KeyId": self.key, "KeySpec": "AES_256", "IsHostedByKms": 1,
                                                              "DataKeyName": "bench-hosted"})["DataKeyId"]
        pool, t = self.sign([(self.main, "GetDataKeyPlaintext", {"DataKeyId": hosted})] * 500)
        precheck(cfg.port, sample_of(pool), "GetDataKeyPlaintext", "GetDataKeyPlaintext")
        self.runner.run("GetDataKeyPlaintext", "GetDataKeyPlaintext", "kms", c, pool, signed_at=t)

    GPFI_PACED_RATE = 4.0   # per second: below what 2 cores generate (≈ 10 RSA-2048 pairs/s)

    def get_parameters_for_import(self):
        cfg = self.cfg
        params = {"WrappingAlgorithm": "RSAES_OAEP_SHA_256", "WrappingKeySpec": "RSA_2048"}
        # Saturated: more calls than key pairs can be generated, so this measures generation.
        for conns in (cfg.load_conns, 1):
            pool, t = self.sign([(self.main, "GetParametersForImport", {"KeyId": k, **params})
                                 for k in self.external])
            precheck(cfg.port, pool[:2], "GetParametersForImport", "GetParametersForImport")
            self.runner.run("GetParametersForImport", "GetParametersForImport", "kms", conns, pool,
                            signed_at=t)
        self.get_parameters_for_import_under_load(params)

    def get_parameters_for_import_under_load(self, params):
        """GetParametersForImport at a steady rate the key-pair generation can sustain, while wrk
        keeps the service saturated with Encrypt at 32 connections: the latency a BYOK caller
        sees from a busy KMS. Each call is timed from the client (Python, signing included)."""
        cfg, c = self.cfg, self.cfg.load_conns
        log("GetParametersForImport under load: letting the wrapping-key pool refill first")
        time.sleep(8)
        pool, t = self.encrypt_pool([(self.main, self.key)], 2000)
        precheck(cfg.port, sample_of(pool), "Encrypt", "Encrypt")
        latencies, errors, stop, span = [], [], threading.Event(), []

        duration = max(cfg.duration, 8)

        def paced():
            # Calls only inside wrk's run: from its second second to a second before its end.
            interval, i = 1.0 / self.GPFI_PACED_RATE, 0
            time.sleep(1.0)
            next_at = time.time()
            span.append(next_at)
            deadline = next_at + duration - 2.0
            while not stop.is_set() and time.time() < deadline:
                k = self.external[i % len(self.external)]
                i += 1
                t0 = time.time()
                try:
                    self.api.call(self.main, "GetParametersForImport", {"KeyId": k, **params})
                    latencies.append((time.time() - t0) * 1000)
                except Exception as exc:  # every call must succeed; a failure is reported
                    errors.append(repr(exc))
                next_at += interval
                stop.wait(max(0.0, next_at - time.time()))
            span.append(time.time())

        # The machine is quiet now; the caller starts with wrk (after its first second), so that
        # every call it makes meets the Encrypt load.
        wait_quiet(self.stack)
        caller = threading.Thread(target=paced, daemon=True)
        caller.start()
        try:
            self.runner.run("Encrypt (1 key), with GetParametersForImport alongside", "Encrypt", "kms", c, pool,
                            signed_at=t, duration=duration, quiet_first=False)
        finally:
            stop.set()
            caller.join(30)
        latencies.sort()

        def pct(q):
            return latencies[min(len(latencies) - 1, int(q * len(latencies)))] if latencies else 0.0
        seconds = span[-1] - span[0] if len(span) == 2 else float(duration)
        res = {"name": f"GetParametersForImport, {self.GPFI_PACED_RATE:g}/s during Encrypt load",
               "action": "GetParametersForImport", "target": "kms", "conns": 1, "threads": 1, "mode": "paced",
               "pool": len(latencies), "seconds": seconds, "rps": len(latencies) / seconds,
               "p50_ms": pct(0.5), "p90_ms": pct(0.9), "p99_ms": pct(0.99), "max_ms": latencies[-1] if latencies else 0.0,
               "mean_ms": sum(latencies) / len(latencies) if latencies else 0.0, "requests": len(latencies) + len(errors),
               "ok": len(latencies), "errors": len(errors), "exhausted": 0, "sample_error": errors[0] if errors else "",
               "cpu": self.runner.results[-1]["cpu"], "flags": [f"{len(errors)} errors"] if errors else [],
               "note": f"one caller at {self.GPFI_PACED_RATE:g}/s while wrk ran Encrypt at {c} connections "
                       f"(the row above); timed in the client",
               "wall_s": seconds, "pg_per_request": None}
        self.runner.results.append(res)
        log(f"GetParametersForImport at {self.GPFI_PACED_RATE:g}/s during the Encrypt load: {len(latencies)} calls, "
            f"p50 {res['p50_ms']:.2f} ms, p99 {res['p99_ms']:.2f} ms, {len(errors)} errors")
        if errors or not latencies:
            self.runner.failures.append(f"{res['name']}: {len(errors)} errors ({errors[0] if errors else 'no calls'})")

    FAIR_HAMMER_PROCESSES = 4
    FAIR_CPU_BUDGET = os.environ.get("KMS_BENCH_FAIR_CPU_BUDGET", "500")  # the product default (KMS_CPU_BUDGET); the rest of the bench runs without

    def fairness(self):
        """Tenant B's Encrypt latency (median, one sequential caller) while the machine is quiet,
        then while tenant A hammers GetParametersForImport from several processes: the per-account
        CPU budget must keep B's median within 1.5x of quiet. The bench stack runs without the
        budget (the throughput rows measure the service, not the policy), so it is restarted
        here with the product's default budget."""
        cfg = self.cfg
        log(f"fairness: restarting the bench stack with KMS_CPU_BUDGET={self.FAIR_CPU_BUDGET}")
        env = {**os.environ, "KMS_HOME": cfg.home, "KMS_CPU_BUDGET": self.FAIR_CPU_BUDGET, "KMS_SKIP_BUILD": "1"}
        kms = os.path.join(cfg.repo, "scripts", "kms")
        for command in ("down", "up"):
            subprocess.run([kms, command], env=env, check=True, capture_output=True, text=True)
        self.await_service()
        tenant_a, tenant_b = create_accounts(cfg, "bench-fair", 2)
        key_a = self.api.call(tenant_a, "CreateKey", {"Alias": "bench-fair-a", "Type": 2})["KeyId"]
        key_b = self.api.call(tenant_b, "CreateKey", {"Alias": "bench-fair-b"})["KeyId"]
        seconds = max(cfg.duration, 8)

        def b_medians(label):
            latencies, t_end = [], time.time() + seconds
            while time.time() < t_end:
                t0 = time.perf_counter()
                self.api.call(tenant_b, "Encrypt", {"KeyId": key_b, "Plaintext": b64(os.urandom(64))})
                latencies.append((time.perf_counter() - t0) * 1000)
            latencies.sort()
            log(f"fairness: tenant B Encrypt {label}: {len(latencies)} calls, p50 {latencies[len(latencies) // 2]:.2f} ms")
            return latencies

        wait_quiet(self.stack)
        quiet = b_medians("quiet")
        stop = multiprocessing.get_context("fork").Event()
        limited = multiprocessing.get_context("fork").Event()
        counts = multiprocessing.get_context("fork").Queue()
        args = (cfg.port, cfg.host, account_dict(tenant_a), key_a, stop, limited, counts)
        hammers = [multiprocessing.get_context("fork").Process(target=_hammer_get_parameters, args=args, daemon=True)
                   for _ in range(self.FAIR_HAMMER_PROCESSES)]
        cpu0 = proc_cpu(self.stack.responder_pid())
        for h in hammers:
            h.start()
        # The pool and the burst an account may spend at once (20 s of its rate) go first; B is
        # measured in the steady state the budget then holds A to (or after 60 s, whichever first).
        t_limit = time.time()
        reached = limited.wait(60)
        log(f"fairness: tenant A " + (f"out of budget after {time.time() - t_limit:.1f} s" if reached
                                       else "still within its budget after 60 s"))
        loaded = b_medians(f"while tenant A hammers GetParametersForImport ({len(hammers)} processes)")
        stop.set()
        codes = {}
        for h in hammers:
            h.join(60)
        while not counts.empty():
            for code, n in counts.get().items():
                codes[code] = codes.get(code, 0) + n
        cpu1 = proc_cpu(self.stack.responder_pid())
        cpu = (cpu1 - cpu0) / CLK if cpu0 is not None and cpu1 is not None else None
        p50_quiet, p50_loaded = quiet[len(quiet) // 2], loaded[len(loaded) // 2]
        ratio = p50_loaded / p50_quiet if p50_quiet else float("inf")
        res = {"name": "Encrypt of tenant B while tenant A hammers GetParametersForImport",
               "action": "Encrypt", "target": "kms", "conns": 1, "threads": 1, "mode": "fairness",
               "pool": len(loaded), "seconds": seconds, "rps": len(loaded) / seconds,
               "p50_ms": p50_loaded, "p90_ms": loaded[int(0.9 * len(loaded))], "p99_ms": loaded[int(0.99 * len(loaded))],
               "max_ms": loaded[-1], "mean_ms": sum(loaded) / len(loaded), "requests": len(loaded),
               "ok": len(loaded), "errors": 0, "exhausted": 0, "sample_error": "",
               "cpu": {}, "flags": [],
               "fairness": {"quiet_p50_ms": p50_quiet, "loaded_p50_ms": p50_loaded, "ratio": ratio,
                            "hammer_processes": len(hammers), "hammer_codes": codes,
                            "responder_cpu_s": cpu, "cpu_budget_ms_per_s": int(self.FAIR_CPU_BUDGET)},
               "note": f"one sequential caller; quiet p50 {p50_quiet:.2f} ms, {ratio:.2f}x with tenant A's "
                       f"{len(hammers)} processes calling GetParametersForImport (0.2 s pause after a refusal) "
                       f"({', '.join(f'{k}: {v}' for k, v in sorted(codes.items()))}); timed in the client",
               "wall_s": seconds, "pg_per_request": None}
        self.runner.results.append(res)
        self.facts["fairness"] = res["fairness"]
        log(f"fairness: tenant B's Encrypt p50 {p50_quiet:.2f} ms quiet, {p50_loaded:.2f} ms under tenant A's "
            f"hammering ({ratio:.2f}x, target 1.5x); tenant A's answers {codes}")

    def create_key(self):
        """CreateKey into the many-keys accounts (round robin), then the durability check:
        PostgreSQL is stopped like a crash and restarted, and every key wrk saw acknowledged
        must be there."""
        cfg, c = self.cfg, self.cfg.load_conns
        enc = self.best("Encrypt (1 key)", c)
        expected = max(enc["rps"] if enc else 0, 2000)
        n = int(math.ceil(expected * cfg.duration * 1.5))
        items = [(self.many[i % len(self.many)], "CreateKey", {"Alias": f"bench-c-{i}"}) for i in range(n)]
        pool, t = self.sign(items)
        precheck(cfg.port, pool[:4], "CreateKey", "CreateKey")
        pool = pool[4:]
        ids = ",".join(a.app_id for a in self.many)
        before = int(self.stack.psql(f"SELECT count(*) FROM keys WHERE app_id IN ({ids})")[0][0])
        res = self.runner.run("CreateKey", "CreateKey", "kms", c, pool, mode="once", signed_at=t,
                              note=f"pool {len(pool)} unique aliases, sized for {expected:.0f}/s")
        log("durability: stopping PostgreSQL like a crash (pg_ctl -m immediate) and restarting it")
        settings = dict(self.stack.psql("SELECT name, setting FROM pg_settings WHERE name IN "
                                        "('fsync','synchronous_commit','full_page_writes','wal_sync_method')"))
        self.stack.crash_restart_postgres()
        self.await_service()
        after = int(self.stack.psql(f"SELECT count(*) FROM keys WHERE app_id IN ({ids})")[0][0])
        committed = after - before
        durable = committed >= res["ok"]
        self.facts["createkey_durability"] = {
            "acknowledged": res["ok"], "committed_after_crash": committed, "before": before,
            "in_flight_allowance": c, "durable": durable, "settings": settings,
        }
        log(f"durability: {res['ok']} CreateKey acknowledged, {committed} keys in the database after the "
            f"crash restart ({'all there' if durable else 'KEYS LOST'}); {settings}")
        if not durable:
            self.runner.failures.append(f"CreateKey: {res['ok'] - committed} acknowledged keys lost in the crash restart")

    def await_service(self, limit=60):
        """After a PostgreSQL restart each worker's first query fails once and reconnects:
        waits until DescribeKey succeeds 3 x workers times in a row."""
        deadline, streak = time.time() + limit, 0
        while time.time() < deadline:
            try:
                self.api.call(self.main, "DescribeKey", {"KeyId": self.key})
                streak += 1
                if streak >= 3 * self.cfg.workers:
                    return
            except (ApiError, OSError, AssertionError):
                streak = 0
                time.sleep(0.05)
        raise BenchFailure("the service did not recover after the PostgreSQL restart")

    def fill_keys(self):
        cfg = self.cfg
        ids = ",".join(a.app_id for a in self.many)
        counts = {r[0]: int(r[1]) for r in self.stack.psql(
            f"SELECT app_id, count(*) FROM keys WHERE app_id IN ({ids}) GROUP BY app_id")}
        jobs = []
        for i, a in enumerate(self.many):
            missing = cfg.keys_per_account - counts.get(a.app_id, 0)
            if missing > 0:
                aliases = [f"bench-f-{j}" for j in range(missing)]
                for k in range(0, len(aliases), 250):   # several jobs per account: even spread
                    jobs.append((a, aliases[k:k + 250], {}))
        total = sum(len(j[1]) for j in jobs)
        log(f"creating {total} more keys through the API so that each of the {len(self.many)} accounts "
            f"has {cfg.keys_per_account} (concurrent Python clients)")
        t0 = time.time()
        create_keys(cfg, jobs)
        rows = self.stack.psql(f"SELECT app_id, key_id FROM keys WHERE app_id IN ({ids}) AND state = 'Enabled'")
        by_app = {a.app_id: a for a in self.many}
        self.many_pairs = [(by_app[app], key) for app, key in rows]
        self.facts["many_keys"] = {"accounts": len(self.many), "keys": len(self.many_pairs),
                                   "fill_seconds": round(time.time() - t0, 1), "fill_created": total}
        log(f"{len(self.many_pairs)} enabled keys in {len(self.many)} accounts ({time.time() - t0:.0f}s)")

    def many_keys(self):
        """Encrypt over 100,000 keys (uniformly random account and key per request) against Encrypt
        on one key, under the same conditions:
        - cold: right after the keys were created, so most requests are a key's first use (a cache
          miss and a database lookup): one pair of runs, A then B;
        - a first pass that uses every key once (fixed work, all 100,000 requests);
        - warm: alternated twice (A B A B) while every key is in the responder's cache — the
          steady state of a deployment with that many keys in use; the target is judged on this."""
        cfg, c = self.cfg, self.cfg.load_conns
        enc = self.best("Encrypt (1 key)", c)
        n = int(min(max((enc["rps"] if enc else 5000) * cfg.duration * 1.5, 20000), 150000))
        keys = len(self.many_pairs)

        def pair(label):
            pool, t = self.encrypt_pool([(self.main, self.key)], 2000)
            precheck(cfg.port, sample_of(pool), "Encrypt", "Encrypt")
            self.runner.run(f"Encrypt (1 key, {label})", "Encrypt", "kms", c, pool, signed_at=t)
            pool, t = self.encrypt_pool(self.many_pairs, n)
            precheck(cfg.port, sample_of(pool, 16), "Encrypt over many keys", "Encrypt")
            self.runner.run(f"Encrypt ({keys} keys, {label})", "Encrypt", "kms", c, pool, signed_at=t,
                            note=f"{len(self.many)} accounts, random key per request")

        pair("cold")
        order = list(self.many_pairs)
        random.shuffle(order)
        pool, t = self.sign([(a, "Encrypt", {"KeyId": k, "Plaintext": b64(os.urandom(64))}) for a, k in order])
        self.runner.run(f"Encrypt ({keys} keys, first pass)", "Encrypt", "kms", c, pool, mode="work", signed_at=t,
                        note="fixed work: every key once, in random order")
        pair("A/B")
        pair("A/B")

    def import_key_material(self):
        """ImportKeyMaterial, as a fixed amount of work: tokens are made (each one
        GetParametersForImport = one RSA-2048 key generation on the server) for at most
        token_seconds, the material is wrapped with RSA-OAEP-SHA256, and wrk sends each import
        exactly once with 32 connections; the time is the time all of them took."""
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import padding

        cfg = self.cfg
        per_account = 900           # the service allows 1000 live parameter sets per account and region
        per_key = 4                 # ... and keeps 5 per key
        n_accounts = max(1, math.ceil(cfg.token_max / per_account))
        accounts = create_accounts(cfg, "bench-import", n_accounts)
        n_keys = math.ceil(cfg.token_max / per_key)
        jobs = [(accounts[i % n_accounts], [f"bench-imp-{i}"], {"Type": 2}) for i in range(n_keys)]
        keys = [ids[0] for ids in create_keys(cfg, jobs, processes=8)]
        key_account = {k: accounts[i % n_accounts] for i, k in enumerate(keys)}
        material = {k: os.urandom(32) for k in keys}
        wait_quiet(self.stack)

        log(f"making ImportKeyMaterial tokens for up to {cfg.token_seconds}s (max {cfg.token_max})")
        deadline = time.time() + cfg.token_seconds
        tokens, lock = [], threading.Lock()
        slots = [(k, j) for j in range(per_key) for k in keys]   # spread over keys
        next_slot = iter(slots)

        def worker():
            while time.time() < deadline:
                with lock:
                    slot = next(next_slot, None)
                if slot is None:
                    return
                k = slot[0]
                r = self.api.call(key_account[k], "GetParametersForImport",
                                  {"KeyId": k, "WrappingAlgorithm": "RSAES_OAEP_SHA_256", "WrappingKeySpec": "RSA_2048"})
                with lock:
                    tokens.append((k, r["ImportToken"], r["PublicKey"]))

        t0 = time.time()
        with ThreadPoolExecutor(16) as ex:
            for f in [ex.submit(worker) for _ in range(16)]:
                f.result()
        made = time.time() - t0
        self.facts["import_tokens"] = {"tokens": len(tokens), "seconds": round(made, 1),
                                       "per_second": round(len(tokens) / made, 1)}
        log(f"{len(tokens)} tokens in {made:.0f}s ({len(tokens) / made:.1f}/s: RSA-2048 key generation)")
        oaep = padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
        items = []
        for k, token, public in tokens:
            pub = serialization.load_der_public_key(base64.b64decode(public))
            items.append((key_account[k], "ImportKeyMaterial",
                          {"KeyId": k, "ImportToken": token,
                           "EncryptedKeyMaterial": b64(pub.encrypt(material[k], oaep))}))
        pool, t = self.sign(items)
        precheck(cfg.port, pool[:4], "ImportKeyMaterial", "ImportKeyMaterial")
        pool = pool[4:]
        wait_quiet(self.stack)
        self.runner.run("ImportKeyMaterial", "ImportKeyMaterial", "kms", cfg.load_conns, pool, mode="work",
                        signed_at=t, note=f"fixed work: {len(pool)} imports, each sent once")

    def ceiling(self):
        """The honest ceiling: the fastest trivial responder this machine runs (bench/ceiling_phase.py)."""
        import ceiling_phase
        ceiling_phase.CeilingPhase(self, precheck, sample_of).run()

    def feature_costs(self):
        """Each safety feature's cost on Encrypt, on vs off, ABBA (bench/feature_cost_phase.py)."""
        import feature_cost_phase
        feature_cost_phase.FeatureCostPhase(self, precheck, sample_of).run()

    def asymmetric(self):
        """Sign and Verify per algorithm next to Encrypt and `openssl speed` (bench/asymmetric_phase.py)."""
        import asymmetric_phase
        asymmetric_phase.AsymmetricPhase(self, precheck, sample_of).run()

    def best(self, name, conns):
        rows = [r for r in self.runner.results if r["name"] == name and r["conns"] == conns]
        return rows[0] if rows else None

    def memory(self):
        pid = self.stack.responder_pid()
        self.facts["responder_memory"] = {"pid": pid, **vm_status(pid)}
        log(f"responder memory at the end of the run: {self.facts['responder_memory']}")

    PHASES = ("setup", "ceilings_and_encrypt", "ceiling", "baseline_ab", "encrypt_fresh_signatures", "sub_user_ab",
              "feature_costs", "other_actions", "get_parameters_for_import", "asymmetric",
              "create_key", "fill_keys", "many_keys", "import_key_material", "memory", "fairness")

    def run(self):
        # KMS_BENCH_PHASES (development): a comma-separated subset, e.g. "setup,memory".
        wanted = os.environ.get("KMS_BENCH_PHASES")
        for phase in self.PHASES:
            if wanted and phase not in wanted.split(","):
                continue
            getattr(self, phase)()


def background_cores(seconds=3.0):
    """Cores kept busy by everything on the machine over a few seconds (the bench stack is idle
    when this is called, so it is other people's work)."""
    b0 = system_cpu()
    time.sleep(seconds)
    b1 = system_cpu()
    return (b1[0] - b0[0]) / max(b1[2] - b0[2], 1) * os.cpu_count()


def wait_for_quiet_machine(limit, threshold=0.3):
    """On a shared machine, waits (up to ``limit`` seconds) until other processes use less than
    ``threshold`` cores, so that the figures are the stack's and not its neighbours'."""
    deadline = time.time() + limit
    waited = 0.0
    while True:
        busy = background_cores()
        if busy < threshold or time.time() >= deadline:
            return busy, waited
        log(f"other processes keep {busy:.2f} of {os.cpu_count()} cores busy; waiting for the machine to "
            f"quieten (at most {deadline - time.time():.0f}s more; KMS_BENCH_WAIT_QUIET)")
        time.sleep(10)
        waited += 13


def machine_facts(cfg):
    def cmd(argv):
        try:
            return subprocess.run(argv, capture_output=True, text=True, cwd=cfg.repo).stdout.strip()
        except OSError:
            return ""
    model = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kb = int(f.readline().split()[1])
    limit = int(os.environ.get("KMS_BENCH_WAIT_QUIET", "0" if cfg.quick else "300"))
    background, waited = wait_for_quiet_machine(limit) if limit > 0 else (background_cores(), 0.0)
    return {
        "nproc": os.cpu_count(), "cpu_model": model, "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "kernel": os.uname().release, "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "commit": cmd(["git", "rev-parse", "--short", "HEAD"]),
        "dirty_sources": cmd(["git", "status", "--porcelain", "--", "Sources", "SQL", "Package.swift"]),
        "wrk": cmd(["wrk", "-v"]).splitlines()[0] if cmd(["wrk", "-v"]) else "",
        "nginx": subprocess.run(["nginx", "-v"], capture_output=True, text=True).stderr.strip(),
        "postgres": cmd([os.path.join(cfg.pg_bin, "postgres"), "--version"]),
        "background_cores_before": round(background, 2), "waited_for_quiet_s": round(waited),
        "loadavg_before": open("/proc/loadavg").read().split()[:3],
    }


def main():
    # TERM (scripts/kms bench interrupted) unwinds like an exception, so that every `finally`
    # runs: wrk and a responder under valgrind are stopped, not left behind.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    cfg = Config()
    import report  # noqa: E402  (matplotlib is imported there, only when writing)

    log(f"bench stack: {cfg.home}; endpoint {cfg.host}; ceilings 127.0.0.1:{cfg.ceiling_port}; "
        f"{cfg.workers} workers; {cfg.duration}s per point{' (QUICK MODE)' if cfg.quick else ''}")
    machine = machine_facts(cfg)
    log(f"machine: {machine['nproc']} x {machine['cpu_model']}; other processes kept "
        f"{machine['background_cores_before']:.2f} cores busy before the start")
    bench = Bench(cfg)
    error = None
    try:
        bench.run()
    except BenchFailure as exc:
        error = str(exc)
        log(f"FAILED: {exc}")
    except (ApiError, AssertionError, OSError, subprocess.CalledProcessError) as exc:
        error = f"{type(exc).__name__}: {exc}"
        log(f"FAILED: {error}")
    profile = None
    if cfg.profile and error is None:
        import profiling  # noqa: E402
        try:
            profile = profiling.profile(bench)
        except Exception as exc:  # the measurements stand without the profile
            log(f"profiling failed: {exc!r}")
            profile = {"error": repr(exc)}
    data = {"config": {"duration": cfg.duration, "threads": cfg.threads, "concurrencies": cfg.concurrencies,
                       "baseline": cfg.baseline, "load_conns": cfg.load_conns,
                       "workers": cfg.workers, "quick": cfg.quick, "timeout": cfg.timeout,
                       "many_accounts": cfg.many_accounts, "keys_per_account": cfg.keys_per_account},
            "machine": machine, "results": bench.runner.results, "facts": bench.facts,
            "failures": bench.runner.failures + ([error] if error else []), "profile": profile}
    with open(os.path.join(cfg.results, "results.json"), "w") as f:
        json.dump(data, f, indent=1)
    report.write(cfg, data)
    return report_failures(data["failures"])


if __name__ == "__main__":
    sys.exit(main())
