"""Where the time goes: the profiling step of ``scripts/kms bench`` (after the measured runs).

* ``perf stat -e instructions true`` decides the profiler, as agreed: hardware counters work ->
  ``perf record -g`` on the responder is the main profile; they do not (a VM without a PMU,
  like the reference machine) -> callgrind on a short run is. perf's software clock
  (``-e cpu-clock``) works either way and is recorded too: it sees the kernel and every process,
  callgrind sees only the responder's own instructions.
* PostgreSQL's own counters (pg_stat_database, pg_stat_wal) around an Encrypt and a CreateKey
  load: transactions, WAL records and WAL syncs per request; pg_stat_activity sampled during the
  load shows what the backends wait for.
* strace on the responder for a fixed number of sequential Encrypts: system calls per request,
  by thread kind (libpq talks with send/recv, libfcgi with read/write).
* callgrind: the responder restarted under valgrind, collecting only in the FastCGI worker loop
  and the audit writer's flush, driven by a fixed number of Encrypts through nginx.
"""

import collections
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import threading
import time

import tc3
from stack import BenchFailure, log, wait_quiet


def sh(argv, **kw):
    return subprocess.run(argv, capture_output=True, text=True, **kw)


def demangle(names):
    """Swift-demangles a list of names (one swift-demangle process for all of them)."""
    names = list(names)
    tool = "/opt/swift/usr/bin/swift-demangle"
    if not os.path.exists(tool) or not names:
        return {n: n for n in names}
    out = subprocess.run([tool, "--simplified"], input="\n".join(names) + "\n", capture_output=True,
                         text=True).stdout.splitlines()
    if len(out) != len(names):
        return {n: n for n in names}
    return dict(zip(names, out))


class Background:
    """wrk in the background (not a measured run) for the profilers to watch."""

    def __init__(self, bench, name, requests, conns, mode, seconds, threads=2):
        self.runner = bench.runner
        self.cfg = bench.cfg
        threads = min(threads, conns)
        prefix = self.runner.write_pool("profile_" + name, requests, threads)
        limit = 600 if mode == "work" else seconds
        self.threads = threads
        self.mode = mode
        self.cmd = ["wrk", f"-t{threads}", f"-c{conns}", f"-d{limit}s", "--timeout", self.cfg.timeout, "--latency",
                    "-s", self.cfg.lua, f"http://127.0.0.1:{self.cfg.port}/", "--", prefix, mode]

    def start(self):
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        return self

    def _read(self):
        done = 0
        for line in self.proc.stdout:
            self.lines.append(line)
            if self.mode == "work" and line.startswith("POOL_DONE"):
                done += 1
                if done == self.threads:
                    self.proc.send_signal(signal.SIGINT)

    def wait(self):
        try:
            self.proc.wait()
        except BaseException:
            self.proc.kill()
            raise
        self.reader.join()
        text = "".join(self.lines)
        with open(self.runner.log_path, "a") as f:
            f.write(f"==== profile: {' '.join(self.cmd)}\n{text}\n")
        m = re.search(r"^BENCH_RESULT (\{.*\})$", text, re.M)
        if not m:
            raise BenchFailure(f"profiling load failed: {text[-1000:]}")
        r = json.loads(m.group(1))
        if r["ok"] != r["requests"] or r["exhausted"]:
            raise BenchFailure(f"profiling load had errors: {r}")
        return r


# --------------------------------------------------------------------------------------------------
# PostgreSQL counters and waits
# --------------------------------------------------------------------------------------------------

PG_COUNTERS = ("SELECT d.xact_commit, d.xact_rollback, d.tup_inserted, d.tup_updated, d.tup_returned, d.tup_fetched, "
               "w.wal_records, w.wal_bytes, w.wal_write, w.wal_sync "
               "FROM pg_stat_database d, pg_stat_wal w WHERE d.datname = 'kms'")
PG_COUNTER_NAMES = ("xact_commit", "xact_rollback", "tup_inserted", "tup_updated", "tup_returned", "tup_fetched",
                    "wal_records", "wal_bytes", "wal_write", "wal_sync")
PG_WAITS = ("SELECT coalesce(wait_event_type, 'CPU'), coalesce(wait_event, state), count(*) FROM pg_stat_activity "
            "WHERE datname = 'kms' AND backend_type = 'client backend' AND pid <> pg_backend_pid() "
            "AND state <> 'idle' GROUP BY 1, 2")


def pg_counters(stack):
    # Backends publish their counters at most once a second and when they go idle.
    time.sleep(2.5)
    row = stack.psql(PG_COUNTERS)[0]
    return dict(zip(PG_COUNTER_NAMES, (float(x) for x in row)))


def sample_waits(stack, stop, out):
    samples = 0
    while not stop.is_set():
        try:
            for kind, event, n in stack.psql(PG_WAITS):
                out[f"{kind}:{event}"] += int(n)
            samples += 1
        except subprocess.CalledProcessError:
            pass
        stop.wait(0.2)
    out["_samples"] = samples


def perf_available():
    try:
        r = sh(["perf", "stat", "-e", "instructions", "true"])
    except OSError as exc:
        return False, f"perf not usable: {exc}"
    text = r.stdout + r.stderr
    return r.returncode == 0 and "<not supported>" not in text and "<not counted>" not in text, text.strip()


def perf_report(data, *args):
    return sh(["perf", "report", "-i", data, "--stdio", "--no-children", "-g", "none", *args]).stdout


def parse_perf_rows(text):
    rows = []
    for line in text.splitlines():
        m = re.match(r"^\s+([\d.]+)%\s+(.*\S)\s*$", line)
        if m:
            rows.append((float(m.group(1)), m.group(2)))
    return rows


COMM_GROUPS = (("responder", re.compile(r"^kms-responder|^fcgi|^wrapping|^audit|^-qos")),
               ("postgres", re.compile(r"^postgres")), ("nginx", re.compile(r"^nginx")),
               ("wrk", re.compile(r"^wrk")), ("trivial", re.compile(r"^trivial")))


def load_profile(bench, name, requests, mode, pdir, seconds=8, perf_seconds=5):
    """wrk load at 32 connections; meanwhile perf -a (software clock), PostgreSQL waits and
    counters. Returns per-request figures and the process split."""
    stack = bench.stack
    wait_quiet(stack)
    c0 = pg_counters(stack)
    pid = stack.responder_pid()
    try:
        tids = {int(t) for t in os.listdir(f"/proc/{pid}/task")}
    except OSError:
        tids = set()
    load = Background(bench, name, requests, 32, mode, seconds).start()
    waits, stop = collections.Counter(), threading.Event()
    sampler = threading.Thread(target=sample_waits, args=(stack, stop, waits), daemon=True)
    time.sleep(1.0)
    sampler.start()
    data = os.path.join(pdir, f"perf-{name}.data")
    perf = sh(["perf", "record", "-a", "-g", "-e", "cpu-clock", "-F", "499", "-o", data, "--",
               "sleep", str(perf_seconds)])
    stop.set()
    sampler.join()
    r = load.wait()
    time.sleep(1.2)
    c1 = pg_counters(stack)
    n = r["requests"]
    out = {"requests": n, "rps": n / (r["duration_us"] / 1e6), "p50_ms": r["p50_us"] / 1000,
           "per_request": {k: round((c1[k] - c0[k]) / n, 3) for k in PG_COUNTER_NAMES}}
    samples = waits.pop("_samples", 0)
    out["waits"] = {"samples": samples,
                    "avg_backends": {k: round(v / max(samples, 1), 2) for k, v in waits.most_common()}}
    if perf.returncode == 0 and os.path.exists(data):
        comm = parse_perf_rows(perf_report(data, "--sort", "comm"))
        split = collections.Counter()
        for pct, c in comm:
            group = next((g for g, rx in COMM_GROUPS if rx.search(c)), "other")
            split[group] += pct
        out["process_split_pct"] = {k: round(v, 1) for k, v in split.most_common()}
        out["process_split_raw"] = comm[:15]
        # perf report's --pid filter drops kernel and libc samples: select the responder's
        # threads by id from a per-thread report instead.
        dso, syms = collections.Counter(), collections.Counter()
        for line in perf_report(data, "--sort", "pid,dso").splitlines():
            m = re.match(r"^\s+([\d.]+)%\s+(\d+):\S+\s+(.*\S)\s*$", line)
            if m and int(m.group(2)) in tids:
                dso[m.group(3)] += float(m.group(1))
        text = perf_report(data, "--sort", "pid,dso,sym")
        mine = []
        for line in text.splitlines():
            m = re.match(r"^\s+([\d.]+)%\s+(\d+):\S+\s+(\S+)\s+\[(.)\]\s+(.*\S)\s*$", line)
            if m and int(m.group(2)) in tids:
                syms[(m.group(3), m.group(4), m.group(5))] += float(m.group(1))
                mine.append(line)
        total = sum(dso.values()) or 1.0
        out["responder_pct_of_samples"] = round(total, 1)
        out["responder_dso_pct"] = [(round(100 * v / total, 1), d) for d, v in dso.most_common(12)]
        names = demangle(sym for (_, _, sym), _ in syms.most_common(40))
        out["responder_top_symbols"] = [(round(100 * v / total, 2), f"{names.get(sym, sym)} [{os.path.basename(d)}]")
                                        for (d, kind, sym), v in syms.most_common(40)]
        with open(os.path.join(pdir, f"perf-{name}-responder.txt"), "w") as f:
            f.write("\n".join(mine) + "\n")
    else:
        out["perf_error"] = (perf.stderr or perf.stdout)[-500:]
    return out


# --------------------------------------------------------------------------------------------------
# strace: system calls per Encrypt
# --------------------------------------------------------------------------------------------------

def strace_encrypt(bench, pdir, n=200):
    stack = bench.stack
    pid = stack.responder_pid()
    pool, _ = bench.encrypt_pool([(bench.main, bench.key)], n)
    out_file = os.path.join(pdir, "strace-encrypt.txt")
    wait_quiet(stack)
    tracer = subprocess.Popen(["strace", "-f", "-qq", "-tt", "-o", out_file, "-p", str(pid)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)                    # attached to every thread
    r = Background(bench, "strace", pool, 1, "work", 0, threads=1).start().wait()
    time.sleep(0.5)                    # one more audit flush (every 0.2 s)
    tracer.send_signal(signal.SIGINT)
    tracer.wait()
    by_tid = collections.defaultdict(collections.Counter)
    with open(out_file) as f:
        for line in f:
            m = re.match(r"^(\d+)\s+[\d:.]+\s+(?:<\.\.\. )?(\w+)", line)
            if m and "resumed>" not in line.split(m.group(2), 1)[1][:12]:
                by_tid[int(m.group(1))][m.group(2)] += 1
    workers = {t for t, c in by_tid.items() if c["accept"] or c["accept4"]}
    worker_calls, other_calls = collections.Counter(), collections.Counter()
    for t, c in by_tid.items():
        (worker_calls if t in workers else other_calls).update(c)
    per = lambda c: {k: round(v / r["requests"], 2) for k, v in c.most_common() if v / r["requests"] >= 0.01}
    return {"requests": r["requests"], "worker_threads_seen": len(workers),
            "worker_syscalls_per_request": per(worker_calls), "other_threads_syscalls_per_request": per(other_calls)}


# --------------------------------------------------------------------------------------------------
# callgrind
# --------------------------------------------------------------------------------------------------

def parse_callgrind(path):
    """Self and inclusive Ir per (object, function) and call counts per function, from a
    callgrind output file (name compression and relative positions understood)."""
    names = {"ob": {}, "fl": {}, "fn": {}}
    selfcost = collections.Counter()
    inclusive_calls = collections.Counter()
    calls = collections.Counter()
    callers = collections.defaultdict(collections.Counter)
    edges = collections.Counter()          # (caller, callee) -> inclusive Ir of those calls
    edge_calls = collections.Counter()
    fn_object = {}
    cur_ob = cur_fn = cfn = cob = None
    after_calls = False
    total = 0

    def name(kind, value):
        m = re.match(r"^\((\d+)\)(?:\s+(.*))?$", value)
        if not m:
            return value
        if m.group(2) is not None:
            names[kind][m.group(1)] = m.group(2)
            return m.group(2)
        return names[kind].get(m.group(1), value)

    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            c = line[0]
            if c.isdigit() or c in "+-*":
                parts = line.split()
                if len(parts) < 2:
                    continue
                cost = int(parts[1])
                if after_calls:
                    inclusive_calls[cur_fn] += cost
                    edges[(cur_fn, cfn)] += cost
                    after_calls = False
                else:
                    selfcost[cur_fn] += cost
                    total += cost
                continue
            key, _, value = line.partition("=")
            if key == "ob":
                cur_ob = name("ob", value)
            elif key in ("fl", "fi", "fe"):
                name("fl", value)
            elif key == "fn":
                cur_fn = name("fn", value)
                fn_object.setdefault(cur_fn, cur_ob)
            elif key == "cob":
                cob = name("ob", value)
            elif key in ("cfi", "cfl"):
                name("fl", value)
            elif key == "cfn":
                cfn = name("fn", value)
                if cob:
                    fn_object.setdefault(cfn, cob)
            elif key == "calls":
                calls[cfn] += int(value.split()[0])
                callers[cfn][cur_fn] += int(value.split()[0])
                edge_calls[(cur_fn, cfn)] += int(value.split()[0])
                after_calls = True
                cob = None
    inclusive = collections.Counter({fn: selfcost[fn] + inclusive_calls[fn] for fn in set(selfcost) | set(inclusive_calls)})
    return total, selfcost, inclusive, calls, fn_object, callers, edges, edge_calls


CATEGORY_RULES = (
    ("OpenSSL (libcrypto): AES-GCM, SHA-256, HMAC, RNG", lambda ob, fn: "libcrypto" in ob),
    ("PostgreSQL client (libpq)", lambda ob, fn: "libpq" in ob),
    ("FastCGI (libfcgi)", lambda ob, fn: "libfcgi" in ob),
    ("malloc/free (libc)", lambda ob, fn: "libc.so" in ob and re.search(r"malloc|free|_int_|tcache|consolidate|realloc|calloc|unlink_chunk", fn)),
    ("memcpy/memset/str* (libc)", lambda ob, fn: "libc.so" in ob and re.search(r"mem|str", fn)),
    ("other libc (locks, syscalls wrappers)", lambda ob, fn: "libc.so" in ob),
    ("Swift ARC (retain/release)", lambda ob, fn: "libswiftCore" in ob and re.search(r"swift_(retain|release|bridgeObject|unknownObject)|RefCount|swift_isUniquely|swift_beginAccess|swift_endAccess", fn)),
    ("Swift generics/metadata/dynamic casts", lambda ob, fn: "libswiftCore" in ob and re.search(r"etadata|getCache|swift_dynamicCast|conformsTo|ConformanceCache|swift_getGeneric|instantiate|witness table|swift_allocObject|swift_deallocObject|swift_slowAlloc|swift_slowDealloc", fn)),
    ("Swift String/Substring/Character", lambda ob, fn: "libswiftCore" in ob and re.search(r"String|Substring|Character|Unicode|UTF8|UTF16|ASCII|_SmallString|Grapheme|_StringGuts|_StringObject", fn)),
    ("Swift stdlib other (Array, Dictionary, hashing…)", lambda ob, fn: "libswiftCore" in ob),
    ("Foundation / Dispatch", lambda ob, fn: re.search(r"Foundation|dispatch|libswift_Concurrency|libBlocksRuntime", ob or "")),
    ("kms: JSON (JSONValue parse/serialise)", lambda ob, fn: "JSONValue" in fn or "JSONParser" in fn),
    ("kms: Base64 / hex", lambda ob, fn: re.search(r"Base64|\bHex\b|Hex\.", fn)),
    ("kms: request decoding, TC3 check, parameters", lambda ob, fn: re.search(r"APIRequest|TC3Authorization|RequestSignature|FormDecoding|Parameters|ParameterSpec|HTTPRequest|HTTPExchange", fn)),
    ("kms: audit (records, HMAC chain, batch insert)", lambda ob, fn: re.search(r"Audit", fn)),
    ("kms: storage (statements, PostgresConnection)", lambda ob, fn: re.search(r"KMSStorage|PostgresConnection|Statement|QueryResult|Database", fn)),
    ("kms: caches", lambda ob, fn: re.search(r"Cache", fn)),
    ("kms: crypto wrappers (Sealer, AEAD, SecureBytes)", lambda ob, fn: re.search(r"KMSCrypto|Sealer|AEAD|AES256GCM|SecureBytes|CipherContext|HMAC|Digest|Random", fn)),
    ("kms: FastCGI glue", lambda ob, fn: re.search(r"FastCGI", fn)),
    ("kms: other", lambda ob, fn: re.search(r"kms-responder|baseline-responder", ob or "")),
    ("other libraries / unknown", lambda ob, fn: True),
)

INCLUSIVE_OF = (
    ("whole request in the worker (Service.handle)", r"Service\.handle\("),
    ("  APIRequest.init: headers + JSON body", r"APIRequest\.init\("),
    ("    TC3Authorization.init(parsing:): the Authorization header", r"TC3Authorization\.init\(parsing"),
    ("  Service.authorize: credential + TC3 signature", r"Service\.authorize\("),
    ("    RequestSignature.verifyTC3", r"RequestSignature\.verify"),
    ("      ConstantTime.equals (signature comparison)", r"ConstantTime\.equals"),
    ("      HMAC.sha256 (EVP_Q_mac)", r"static HMAC\.sha256\(key:data:\)$"),
    ("      Digest.sha256Hex", r"Digest\.sha256Hex"),
    ("  Parameters.init: declared parameters", r"Parameters\.init\(decoding"),
    ("  CryptoActions.encrypt (the action)", r"CryptoActions\.encrypt\("),
    ("    sealUnderCurrentVersion (key lookup + AEAD)", r"sealUnderCurrentVersion"),
    ("  Service.render: JSON response", r"Service\.render\("),
    ("  JSONValue.serialized", r"JSONValue\.serialized"),
    ("  AuditWriter.enqueue / RequestAudit", r"AuditWriter\.enqueue|RequestAudit\.record"),
    ("  KeyID(random:) request id", r"KeyID\.init\(random"),
    ("FastCGI: FCGX_Accept_r (parameters read by libfcgi)", r"^FCGX_Accept_r$"),
    ("FastCGI: FastCGIRequest.read (env -> dictionary, body)", r"FastCGIRequest\.read\("),
    ("FastCGI: FastCGIRequest.write", r"FastCGIRequest\.write\("),
    ("FastCGI: FCGX_Finish_r", r"^FCGX_Finish_r$"),
    ("libpq: PQexecPrepared", r"^PQexecPrepared$"),
    ("libpq: PQexec", r"^PQexec$"),
    ("audit writer flush (background thread)", r"AuditWriter\.flush\(\)"),
    ("  AuditLane.chain (HMAC chain of the batch)", r"AuditLane\.chain\("),
    ("  Database.transaction (batch INSERT)", r"Database\.transaction<"),
    ("OpenSSL: EVP_EncryptUpdate/Final (AES-GCM)", r"^EVP_(Encrypt|Cipher)(Update|Final)"),
    ("OpenSSL: HMAC", r"^HMAC"),
    ("OpenSSL: RAND_bytes", r"^RAND_(priv_)?bytes"),
)

# The biggest phases, broken down into their direct callees (inclusive Ir per request).
BREAKDOWN_OF = (r"RequestSignature\.verify", r"ConstantTime\.equals", r"TC3Authorization\.init\(parsing",
                r"FastCGIRequest\.read\(", r"AuditWriter\.flush\(\)", r"Database\.transaction<",
                r"^partial apply for closure #1 in AuditWriter\.flush|^closure #1 in AuditWriter\.flush",
                r"InsertAuditRecords", r"AuditLane\.chain\(",
                r"CryptoActions\.encrypt\(", r"Service\.render\(|JSONValue\.serialized", r"HMAC\.compute", r"^EVP_Q_mac$")

CALLS_OF = ("PQexec", "PQexecPrepared", "PQprepare", "PQgetResult", "FCGX_Accept_r", "FCGX_GetStr", "FCGX_PutStr",
            "FCGX_Finish_r", "malloc", "free", "swift_retain", "swift_release", "swift_allocObject",
            "EVP_EncryptInit_ex", "EVP_CipherInit_ex", "EVP_CIPHER_CTX_new", "EVP_CIPHER_fetch", "EVP_MAC_fetch",
            "HMAC", "EVP_Digest", "RAND_bytes", "RAND_priv_bytes")


def callgrind_encrypt(bench, pdir, n, binary=None, tag="callgrind"):
    """The responder (or ``binary``, e.g. the --baseline one, with the same flags) restarted under
    valgrind on the stack's socket; ``n`` Encrypts through nginx; results named after ``tag``."""
    cfg, stack = bench.cfg, bench.stack
    with open(os.path.join(cfg.run_dir, "responder.cmd")) as f:
        argv = shlex.split(f.read())
    if binary:
        # The baseline's own flags (bench.sh leaves out those it does not know), on the stack's socket.
        socket_path = argv[argv.index("--socket") + 1]
        with open(os.path.join(cfg.work, "baseline.cmd")) as f:
            argv = shlex.split(f.read())
        argv[0] = binary
        argv[argv.index("--socket") + 1] = socket_path
    # The symbols of the binary that runs (KMS_RESPONDER_BIN may name another than $KMS_HOME/bin's).
    symbols = sh(["nm", argv[0]]).stdout.split("\n")
    names = [line.split()[-1] for line in symbols if line.strip()]
    # The worker thread's closure (the compiler may leave only its thunk, `…cfU_TA`) and the audit
    # writer's flush (`flush()` once, `flush(summaries:)` now).
    toggles = sorted((s for s in names if re.search(r"FastCGIServerC3run7workers.*cfU_(TA)?$", s)), key=len)[:1]
    toggles += [s for s in names if re.search(r"AuditWriterC5flush(SbyF|9summaries\w*)$", s)][:1]
    if not toggles:
        raise BenchFailure(f"no function to collect in found in {argv[0]} (stripped, or renamed?)")
    sup = stack.supervisor_pid()
    if sup:
        os.kill(sup, signal.SIGTERM)
        deadline = time.time() + 20
        while os.path.exists(f"/proc/{sup}") and time.time() < deadline:
            time.sleep(0.1)
    work = os.path.join(cfg.work, "profile")
    out_file = os.path.join(work, f"{tag}.out")
    vg = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out_file}"]
    vg += [f"--toggle-collect={t}" for t in toggles]
    cmd = vg + argv
    if os.geteuid() == 0 and cfg.svc_user != "root":
        cmd = ["setpriv", f"--reuid={cfg.svc_user}", f"--regid={cfg.svc_user}", "--init-groups", "--reset-env",
               "--"] + cmd
    log(f"callgrind: responder restarted under valgrind, collecting in {len(toggles)} functions: "
        + ", ".join(demangle(toggles).values()))
    vlog = open(os.path.join(pdir, f"valgrind-{tag}.log"), "w")
    proc = subprocess.Popen(cmd, cwd="/", stdin=subprocess.DEVNULL, stdout=vlog, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        socket_path = argv[argv.index("--socket") + 1]
        deadline = time.time() + 300
        while not os.path.exists(socket_path):
            if proc.poll() is not None or time.time() > deadline:
                raise BenchFailure(f"the responder did not come up under valgrind (see bench/results/profile/valgrind-{tag}.log)")
            time.sleep(0.2)
        # Answering? (valgrind makes start-up slow; nginx answers 502 until the socket accepts.)
        probe, _ = bench.encrypt_pool([(bench.main, bench.key)], 1)
        while True:
            try:
                status, ctype, body = tc3.send_raw(cfg.port, probe[0], timeout=120)
                if status == 200:
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.time() > deadline:
                raise BenchFailure(f"the responder under valgrind does not answer (see bench/results/profile/valgrind-{tag}.log)")
            time.sleep(1)
        # Warm-up: connections, caches, prepared statements (collected, but few).
        warm, _ = bench.encrypt_pool([(bench.main, bench.key)], 32)
        Background(bench, "callgrind_warm", warm, 4, "work", 0, threads=1).start().wait()
        # Zero the counters after the warm-up: the first requests pay one-time costs (type metadata
        # instantiated by mangled name, conformance-table scans, prepared statements) that would
        # otherwise be spread over the measured requests, more the shorter the run.
        # vgdb finds the process's shared memory by its user's name: it must run as that user.
        zero = ["callgrind_control", "--zero", str(proc.pid)]
        if os.geteuid() == 0 and cfg.svc_user != "root":
            zero = ["setpriv", f"--reuid={cfg.svc_user}", f"--regid={cfg.svc_user}", "--init-groups", "--reset-env",
                    "--"] + zero
        zeroed = sh(zero)
        # callgrind_control says "OK" even when vgdb then fails; vgdb's confirmation is the proof.
        if zeroed.returncode != 0 or "sending command zero" not in zeroed.stdout + zeroed.stderr:
            raise BenchFailure(f"callgrind_control --zero {proc.pid} failed: {zeroed.stdout}{zeroed.stderr}")
        pool, _ = bench.encrypt_pool([(bench.main, bench.key)], n)
        t0 = time.time()
        r = Background(bench, "callgrind", pool, 4, "work", 0, threads=1).start().wait()
        log(f"callgrind: {r['requests']} Encrypts in {time.time() - t0:.0f}s under valgrind")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        vlog.close()
    requests = r["requests"]
    shutil.copyfile(out_file, os.path.join(pdir, f"{tag}.out"))
    return analyse_callgrind(os.path.join(pdir, f"{tag}.out"), requests, toggles, pdir, tag)


def analyse_callgrind(path, requests, toggles, pdir, tag="callgrind"):
    total, selfcost, inclusive, calls, fn_object, callers, edges, edge_calls = parse_callgrind(path)
    if total == 0:
        raise BenchFailure("callgrind collected nothing (the toggle functions were not found?)")
    dem = demangle(set(selfcost) | set(inclusive) | {c for cs in callers.values() for c in cs})
    for fn in list(dem):
        # Functions without a symbol (static in a stripped library) are named by their callers.
        if re.match(r"^0x[0-9a-f]+$", fn) and callers.get(fn):
            top = [dem.get(c, c) for c, _ in callers[fn].most_common(2)]
            dem[fn] = f"{fn} (called from {', '.join(top)})"
    categories = collections.Counter()
    for fn, cost in selfcost.items():
        ob, d = fn_object.get(fn) or "", dem.get(fn, fn)
        label = next(lab for lab, rule in CATEGORY_RULES if rule(ob, d))
        categories[label] += cost
    top = [(round(100 * c / total, 2), dem.get(fn, fn), os.path.basename(fn_object.get(fn) or "?"))
           for fn, c in selfcost.most_common(30)]
    incl = []
    for label, pattern in INCLUSIVE_OF:
        rx = re.compile(pattern)
        best = max((c for fn, c in inclusive.items() if rx.search(dem.get(fn, fn))), default=0)
        incl.append((label, round(100 * best / total, 1), int(best / requests)))
    callees = []
    for pattern in BREAKDOWN_OF:
        rx = re.compile(pattern)
        cands = [fn for fn in inclusive if rx.search(dem.get(fn, fn))]
        if not cands:
            continue
        fn = max(cands, key=lambda f: inclusive[f])
        kids = sorted(((c, e) for (a, c), e in edges.items() if a == fn), key=lambda x: -x[1])[:6]
        callees.append((dem.get(fn, fn), int(inclusive[fn] / requests),
                        [(dem.get(c, c), int(e / requests), round(edge_calls[(fn, c)] / requests, 1))
                         for c, e in kids if e / total >= 0.003]))
    call_counts = {}
    for name in CALLS_OF:
        k = sum(v for fn, v in calls.items() if fn == name)
        if k:
            call_counts[name] = round(k / requests, 2)
    sh_annot = sh(["callgrind_annotate", "--inclusive=no", path]).stdout
    with open(os.path.join(pdir, f"{tag}-self.txt"), "w") as f:
        f.write("\n".join(demangle(sh_annot.splitlines()).values()) if sh_annot else "")
    return {
        "requests": requests, "instructions_total": total, "instructions_per_request": int(total / requests),
        "toggles": list(demangle(toggles).values()),
        "categories_pct": [(round(100 * v / total, 1), k) for k, v in categories.most_common()],
        "top_self": top, "inclusive": incl, "calls_per_request": call_counts, "callees": callees,
    }


def restore_responder(bench):
    """Brings the supervised responder back (the same installed binary) for --keep."""
    cfg = bench.cfg
    env = {**os.environ, "KMS_HOME": cfg.home, "KMS_SKIP_BUILD": "1",
           "KMS_RESPONDER_BIN": os.path.join(cfg.home, "bin", "kms-responder")}
    sh([os.path.join(cfg.repo, "scripts", "kms"), "up"], env=env)


def profile(bench):
    cfg = bench.cfg
    pdir = os.path.join(cfg.results, "profile")
    os.makedirs(pdir, exist_ok=True)
    hw, perf_text = perf_available()
    out = {"hardware_counters": hw, "perf_stat_check": perf_text[-400:],
           "main_profiler": "perf record -g (hardware counters)" if hw else "valgrind --tool=callgrind"}
    log(f"profiling: `perf stat -e instructions true` -> hardware counters {'available' if hw else 'NOT available'}; "
        f"main profile: {out['main_profiler']}; perf's software clock for the system-wide view")

    wanted = os.environ.get("KMS_BENCH_PROFILE_STEPS", "encrypt,createkey,strace,callgrind,callgrind_baseline").split(",")

    def step(name, title, fn):
        if name not in wanted:
            return
        log(f"profiling: {title}")
        try:
            out[name] = fn()
        except Exception as exc:  # one failed step leaves the others' data
            log(f"profiling: {name} failed: {exc!r}")
            out[name] = {"error": repr(exc)}

    def encrypt():
        pool, _ = bench.encrypt_pool([(bench.main, bench.key)], 2000)
        return load_profile(bench, "encrypt", pool, "cycle", pdir)

    def createkey():
        created = bench.best("CreateKey", 32)
        n = int(max(created["rps"] if created else 0, 1000) * 12)
        pool, _ = bench.sign([(bench.main, "CreateKey", {"Alias": f"bench-p-{i}"}) for i in range(n)])
        return load_profile(bench, "createkey", pool, "once", pdir)

    def callgrind():
        try:
            return callgrind_encrypt(bench, pdir, 300 if cfg.quick else 1200)
        finally:
            restore_responder(bench)

    step("encrypt", "Encrypt at 32 connections (perf -a cpu-clock, PostgreSQL counters and waits)", encrypt)
    step("createkey", "CreateKey at 32 connections (perf -a cpu-clock, PostgreSQL counters and waits)", createkey)
    step("strace", "strace of 200 sequential Encrypts", lambda: strace_encrypt(bench, pdir))
    def callgrind_baseline():
        try:
            return callgrind_encrypt(bench, pdir, 300 if cfg.quick else 1200, binary=cfg.baseline_bin,
                                     tag="callgrind-baseline")
        finally:
            restore_responder(bench)

    step("callgrind", "callgrind under an Encrypt load (4 connections)", callgrind)
    if cfg.baseline:
        step("callgrind_baseline", f"callgrind of the baseline ({cfg.baseline}) under the same load", callgrind_baseline)
    return out
