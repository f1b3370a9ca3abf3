"""Helpers of the fault-injection suite (no pytest fixtures here; see conftest.py).

* ``Stack``    -- the running test stack: pids (``scripts/kms status --json``), PostgreSQL stop/start
                  (``pg_ctl`` as the data directory's owner, like scripts/lib/postgres.sh), ``nginx -s
                  reload`` (like scripts/lib/nginx.sh), psql sessions, and ``wait_healthy``/``settle``,
                  which every test uses to leave the stack as it found it.
* ``Load``     -- N threads sending requests until stopped; every request becomes an ``Outcome``
                  (ok / Tencent error code / HTTP status / connection error, with start and end times).
* ``classify`` -- a raw ``requests`` response -> (kind, code, Response body).
* secret scanning: ``secret_forms`` (raw, hex, Base64 in every alignment, URL-encoded Base64) and
  ``scan_tree`` (GNU grep -F over every regular file, then an exact check in Python).
"""

import base64
import binascii
import json
import os
import pwd
import stat
import subprocess
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Optional
from urllib.parse import quote

import requests

from e2e_support import FIPS_REGION, JSON_CT, RawClient, b64, unb64

PG_BIN = "/usr/lib/postgresql/15/bin"


# ------------------------------------------------------------------------------------------------
# outcomes of raw requests
# ------------------------------------------------------------------------------------------------

@dataclass
class Outcome:
    op: str
    start: float           # time.monotonic() when the request was sent
    end: float             # ... when its answer (or failure) arrived
    kind: str              # "ok" | "error" (Tencent error) | "http" (not 200 JSON) | "conn" (no HTTP answer)
    code: Any = None       # error code, HTTP status or exception name
    body: Optional[dict] = None
    note: Any = None       # what the caller attached (KeyId, material, ...)

    @property
    def ok(self):
        return self.kind == "ok"

    def describe(self, t0=0.0):
        return f"{self.op} [{self.start - t0:+.2f}s..{self.end - t0:+.2f}s] {self.kind} {self.code}"


def classify(resp):
    """(kind, code, body) of one raw response: ("ok", None, body), ("error", code, body),
    ("http", status, None) for anything that is not HTTP 200 application/json with a Response."""
    ct = resp.headers.get("Content-Type")
    if resp.status_code != 200 or ct != JSON_CT:
        return "http", resp.status_code, None
    try:
        body = resp.json()["Response"]
    except (ValueError, KeyError, TypeError):
        return "http", f"{resp.status_code} without a Response object", None
    if "Error" in body:
        return "error", body["Error"].get("Code"), body
    return "ok", None, body


class Load:
    """Threads that send requests until ``stop()``. ``load.call(op, thunk)`` sends one request
    (``thunk`` returns a ``requests.Response``) and records its Outcome."""

    def __init__(self):
        self.outcomes = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = []
        self.errors = []   # exceptions raised by a worker function itself (bugs in the test)

    @property
    def stopping(self):
        return self._stop.is_set()

    def call(self, op, thunk, note=None):
        start = time.monotonic()
        try:
            kind, code, body = classify(thunk())
        except requests.RequestException as exc:
            kind, code, body = "conn", type(exc).__name__, None
        outcome = Outcome(op, start, time.monotonic(), kind, code, body, note)
        with self._lock:
            self.outcomes.append(outcome)
        return outcome

    def start(self, fn, threads=1):
        """Runs ``fn(load)`` over and over in ``threads`` threads."""
        def loop():
            while not self._stop.is_set():
                try:
                    fn(self)
                except Exception as exc:  # noqa: BLE001 -- reported by stop()
                    self.errors.append(repr(exc))
                    self._stop.set()
        for _ in range(threads):
            thread = threading.Thread(target=loop, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout=40):
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)
        alive = [t for t in self._threads if t.is_alive()]
        assert not alive, f"{len(alive)} load thread(s) still running {timeout}s after stop"
        assert not self.errors, f"a load thread failed: {self.errors[0]}"

    def snapshot(self):
        with self._lock:
            return list(self.outcomes)

    def wait_for(self, predicate, timeout, what):
        """Waits until ``predicate(outcomes)`` is true; returns the time it became true."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(self.snapshot()):
                return time.monotonic()
            if self.errors:
                break
            time.sleep(0.02)
        raise AssertionError(f"timed out after {timeout}s waiting for {what}; "
                             f"{summarize(self.snapshot())}; thread errors: {self.errors}")


def summarize(outcomes, t0=None):
    """'CreateKey: 120 ok, 3 InternalError; ...' -- for assertion messages."""
    counts = {}
    for o in outcomes:
        label = "ok" if o.ok else f"{o.kind}:{o.code}"
        counts.setdefault(o.op, {}).setdefault(label, 0)
        counts[o.op][label] += 1
    return "; ".join(f"{op}: " + ", ".join(f"{n} {label}" for label, n in sorted(c.items()))
                     for op, c in sorted(counts.items())) or "no requests"


def unique_alias(prefix="faults"):
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


# ------------------------------------------------------------------------------------------------
# the stack under test
# ------------------------------------------------------------------------------------------------

class Stack:
    def __init__(self, home, endpoint, https_endpoint, ca_file, repo):
        self.home = os.path.realpath(home)
        self.endpoint = endpoint
        self.https_endpoint = https_endpoint
        self.ca_file = ca_file
        self.repo = repo
        self.run_dir = os.path.join(self.home, "run")
        self.log_dir = os.path.join(self.home, "log")
        self.pg_data = os.path.join(self.home, "pg")
        self.kms_script = os.path.join(repo, "scripts", "kms")
        self.raw = RawClient(endpoint, timeout=15)
        self.raw_https = RawClient(https_endpoint, scheme="https", verify=ca_file, timeout=15)
        self.probe_account = None  # set by the session fixture (an account for health probes)

    # -- settings and processes ------------------------------------------------------------------
    def setting(self, name, default):
        """A setting of this stack as `up` remembered it in stack.env."""
        try:
            with open(os.path.join(self.home, "stack.env")) as fh:
                for line in fh:
                    key, _, value = line.rstrip("\n").partition("=")
                    if key == name and value:
                        return value
        except OSError:
            pass
        return default

    @property
    def workers(self):
        return int(self.setting("KMS_WORKERS", "16"))

    def _env(self):
        return {**os.environ, "KMS_HOME": self.home}

    def status(self):
        proc = subprocess.run([self.kms_script, "status", "--json"], env=self._env(), capture_output=True,
                              text=True, timeout=30, cwd=self.repo)
        try:
            return json.loads(proc.stdout)
        except ValueError:
            raise AssertionError(f"`scripts/kms status --json` printed no JSON (exit {proc.returncode}): "
                                 f"{proc.stdout!r} {proc.stderr!r}") from None

    def pids(self):
        return self.status()["pids"]

    def _pid_file(self, path):
        try:
            with open(path) as fh:
                pid = int(fh.readline().strip())
        except (OSError, ValueError):
            return None
        try:
            with open(f"/proc/{pid}/stat") as fh:
                state = fh.read().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            return None
        return None if state == "Z" else pid

    def responder_pid(self):
        """The live responder's pid (from its pid file; cheap enough to poll), or None."""
        return self._pid_file(os.path.join(self.run_dir, "responder.pid"))

    def supervisor_pid(self):
        return self._pid_file(os.path.join(self.run_dir, "supervisor.pid"))

    def nginx_pid(self):
        return self._pid_file(os.path.join(self.run_dir, "nginx.pid"))

    def postgres_pid(self):
        return self._pid_file(os.path.join(self.pg_data, "postmaster.pid"))

    def wait_new_responder(self, old_pid, timeout):
        """Waits for a live responder other than ``old_pid`` whose socket exists; returns its pid."""
        socket_path = os.path.join(self.run_dir, "fcgi", "responder.sock")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pid = self.responder_pid()
            if pid is not None and pid != old_pid and os.path.exists(socket_path):
                return pid
            time.sleep(0.05)
        raise AssertionError(f"no new responder within {timeout}s (old pid {old_pid}); "
                             f"log tail:\n{self.log_tail('responder.log')}")

    def log_tail(self, name, lines=20):
        try:
            with open(os.path.join(self.log_dir, name), errors="replace") as fh:
                return "".join(fh.readlines()[-lines:])
        except OSError as exc:
            return f"({exc})"

    def log_size(self, name):
        try:
            return os.path.getsize(os.path.join(self.log_dir, name))
        except OSError:
            return 0

    def log_since(self, name, offset):
        try:
            with open(os.path.join(self.log_dir, name), "rb") as fh:
                fh.seek(offset)
                return fh.read().decode("utf-8", "replace")
        except OSError:
            return ""

    # -- PostgreSQL ---------------------------------------------------------------------------------
    def _as_pg_owner(self, args):
        """``args`` run as the owner of the data directory (PostgreSQL refuses root), from /."""
        owner = pwd.getpwuid(os.stat(self.pg_data).st_uid).pw_name
        if owner != pwd.getpwuid(os.geteuid()).pw_name:
            args = ["runuser", "-u", owner, "--", *args]
        return args

    def pg_ctl(self, *args, timeout=90):
        cmd = self._as_pg_owner([f"{PG_BIN}/pg_ctl", "-D", self.pg_data, *args])
        # Output into a file, not a pipe: a server started by pg_ctl must never hold our pipe open.
        with open(os.devnull, "rb") as stdin, tempfile.TemporaryFile() as out:
            proc = subprocess.run(cmd, stdin=stdin, stdout=out, stderr=subprocess.STDOUT,
                                  timeout=timeout, cwd="/")
            out.seek(0)
            text = out.read().decode("utf-8", "replace")
        assert proc.returncode == 0, f"`{' '.join(cmd)}` exited {proc.returncode}: {text}"

    def postgres_stop(self, mode="fast"):
        self.pg_ctl("-m", mode, "-w", "-t", "60", "-s", "stop")

    def postgres_start(self):
        self.pg_ctl("-l", os.path.join(self.log_dir, "postgres.log"), "-w", "-t", "60", "-s", "start")

    def psql(self, sql, user="kms_owner", dbname="kms"):
        """Runs ``sql`` through psql over the stack's socket (peer authentication: root and the
        developer are mapped to postgres, kms_owner and kms_app). Returns stdout (unaligned)."""
        cmd = [f"{PG_BIN}/psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
               f"host={os.path.join(self.run_dir, 'pg')} dbname={dbname} user={user}", "-c", sql]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd="/")
        assert proc.returncode == 0, f"psql ({user}) {sql!r} exited {proc.returncode}: {proc.stderr}"
        return proc.stdout.strip()

    # -- nginx ----------------------------------------------------------------------------------------
    def nginx_reload(self):
        nginx_dir = os.path.join(self.home, "nginx")
        cmd = ["nginx", "-e", os.path.join(self.log_dir, "nginx-error.log"), "-p", nginx_dir + "/",
               "-c", os.path.join(nginx_dir, "nginx.conf"), "-s", "reload"]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=30, cwd="/")
        assert proc.returncode == 0, f"`{' '.join(cmd)}` exited {proc.returncode}: {proc.stderr}"

    def nginx_workers(self):
        """Pids of the nginx master's children (its worker processes)."""
        master = self.nginx_pid()
        children = set()
        if master is None:
            return children
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == master and fields[0] != "Z":
                children.add(int(entry))
        return children

    # -- health -------------------------------------------------------------------------------------
    def probe(self, https=False):
        """One authenticated request that needs the database (ListKeys): its Outcome."""
        client = self.raw_https if https else self.raw
        start = time.monotonic()
        try:
            kind, code, body = classify(client.tc3(self.probe_account, "ListKeys", {"Limit": 1}))
        except requests.RequestException as exc:
            kind, code, body = "conn", type(exc).__name__, None
        return Outcome("ListKeys", start, time.monotonic(), kind, code, body)

    def problems(self):
        """What is wrong with the stack right now ([] = all three processes run)."""
        missing = [name for name, pid in (("responder", self.responder_pid()), ("nginx", self.nginx_pid()),
                                          ("postgres", self.postgres_pid())) if pid is None]
        return [f"{name} is not running" for name in missing]

    def wait_healthy(self, timeout=30):
        """All three processes run and an authenticated request that reads the database succeeds."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            problems = self.problems()
            if not problems:
                last = self.probe()
                if last.ok:
                    return
            time.sleep(0.2)
        raise AssertionError(f"the stack is not healthy after {timeout}s: {self.problems() or ''} "
                             f"last probe: {last and last.describe()}\nresponder log:\n"
                             f"{self.log_tail('responder.log')}\npostgres log:\n{self.log_tail('postgres.log')}")

    def settle(self, timeout=30):
        """Healthy, and a burst of concurrent requests (enough to reach every worker thread of the
        responder) succeeds completely: leaves no worker with a stale database connection behind
        for the next test. Returns the number of failed requests it took."""
        self.wait_healthy(timeout)
        failures = 0
        deadline = time.monotonic() + timeout
        burst = 3 * self.workers
        while time.monotonic() < deadline:
            results = []
            threads = [threading.Thread(target=lambda: results.extend(self.probe() for _ in range(3)))
                       for _ in range(burst // 3)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            bad = [o for o in results if not o.ok]
            if not bad:
                return failures
            failures += len(bad)
            time.sleep(0.2)
        raise AssertionError(f"requests still fail {timeout}s after the stack came back ({failures} failures)")

    def restore(self):
        """Brings back whatever a failed test may have left stopped, then settles."""
        if self.postgres_pid() is None:
            self.postgres_start()
        if self.responder_pid() is None and self.supervisor_pid() is not None:
            self.wait_new_responder(None, 15)
        self.settle()


# ------------------------------------------------------------------------------------------------
# BYOK wrapping on the client (as in Tests/e2e/test_byok.py)
# ------------------------------------------------------------------------------------------------

def rsa_oaep_sha256_wrap(public_key_b64, material):
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding
    key = serialization.load_der_public_key(unb64(public_key_b64))
    return key.encrypt(material, padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(),
                                              label=None))


def sm2_wrap(public_key_b64, material, tmpdir):
    """SM2PKE (GM/T 0009 DER) with the openssl CLI, as ``openssl pkeyutl -encrypt`` writes it."""
    der, plain, out = (os.path.join(tmpdir, n) for n in ("wrapping.der", "material.bin", "wrapped.bin"))
    with open(der, "wb") as fh:
        fh.write(unb64(public_key_b64))
    with open(plain, "wb") as fh:
        fh.write(material)
    proc = subprocess.run(["openssl", "pkeyutl", "-encrypt", "-pubin", "-keyform", "DER", "-inkey", der,
                           "-in", plain, "-out", out], capture_output=True, text=True, timeout=60)
    os.unlink(plain)
    assert proc.returncode == 0, f"openssl pkeyutl -encrypt failed: {proc.stderr}"
    with open(out, "rb") as fh:
        return fh.read()


def import_rsa(raw, account, key_id, material, load=None, region=FIPS_REGION):
    """GetParametersForImport (RSA_2048 / RSAES_OAEP_SHA_256) -> wrap -> ImportKeyMaterial with raw
    requests. With ``load``, each request is recorded; returns the ImportKeyMaterial Outcome, or the
    failed GetParametersForImport Outcome. Without, asserts success and returns the token."""
    params = {"KeyId": key_id, "WrappingAlgorithm": "RSAES_OAEP_SHA_256", "WrappingKeySpec": "RSA_2048"}
    send = (lambda op, thunk, note=None: load.call(op, thunk, note)) if load else \
        (lambda op, thunk, note=None: _direct(op, thunk, note))
    got = send("GetParametersForImport", lambda: raw.tc3(account, "GetParametersForImport", params, region=region))
    if not got.ok:
        return got
    wrapped = b64(rsa_oaep_sha256_wrap(got.body["PublicKey"], material))
    imported = send("ImportKeyMaterial", lambda: raw.tc3(account, "ImportKeyMaterial", {
        "KeyId": key_id, "ImportToken": got.body["ImportToken"], "EncryptedKeyMaterial": wrapped},
        region=region), note=(key_id, material, got.body["ImportToken"]))
    return imported


def _direct(op, thunk, note=None):
    start = time.monotonic()
    kind, code, body = classify(thunk())
    outcome = Outcome(op, start, time.monotonic(), kind, code, body, note)
    assert outcome.ok, f"{op} failed: {kind} {code} {body}"
    return outcome


def list_key_states(raw, account, region=FIPS_REGION):
    """KeyId -> KeyState of every key of ``account`` in ``region`` (ListKeyDetail, paged)."""
    states, offset = {}, 0
    while True:
        page = _direct("ListKeyDetail", lambda: raw.tc3(account, "ListKeyDetail", {"Offset": offset, "Limit": 100},
                                                        region=region)).body
        metas = page.get("KeyMetadatas") or []
        for meta in metas:
            states[meta["KeyId"]] = meta["KeyState"]
        offset += len(metas)
        if not metas or offset >= page.get("TotalCount", 0):
            return states


# ------------------------------------------------------------------------------------------------
# secrets: the forms in which one may leak, and a scan of a directory tree
# ------------------------------------------------------------------------------------------------

def random_secret(n):
    """``n`` random bytes without a newline (so that grep -F can look for them whole)."""
    while True:
        data = os.urandom(n)
        if b"\n" not in data:
            return data


def base64_alignments(data):
    """The Base64 text that ``data`` produces wherever it sits inside a longer Base64 string: for
    each of the three offsets modulo 3, the characters that depend on ``data`` alone."""
    out = []
    for k in range(3):
        encoded = base64.b64encode(bytes(k) + data)
        first, last = (k + 2) // 3, (k + len(data)) // 3
        if last - first >= 3:
            out.append(encoded[4 * first:4 * last])
    return out


def secret_forms(data, *, text=False):
    """Byte strings whose presence in a file betrays ``data``: raw, hex (both cases), Base64 as a whole
    and in every alignment, URL-safe Base64 and URL-encoded Base64. ``text=True`` (an ASCII secret such
    as a SecretKey): raw and hex only."""
    forms = {"raw": data, "hex": binascii.hexlify(data), "HEX": binascii.hexlify(data).upper()}
    if not text:
        whole = base64.b64encode(data)
        forms["base64"] = whole
        for i, aligned in enumerate(base64_alignments(data)):
            forms[f"base64@{i}"] = aligned
            forms[f"base64url@{i}"] = aligned.replace(b"+", b"-").replace(b"/", b"_")
        forms["base64 url-encoded"] = quote(whole.decode("ascii"), safe="").encode("ascii")
    return forms


@dataclass
class Needle:
    label: str       # e.g. "plaintext sent by v1 GET (base64@1)"
    data: bytes
    exempt: frozenset = field(default_factory=frozenset)  # absolute paths where it may appear


def grep_pattern(needle):
    """What grep -F looks for: the longest newline-free piece (grep matches within lines); every
    candidate file is then checked for the whole needle."""
    return max(needle.split(b"\n"), key=len)


def scan_tree(root, needles, skip=()):
    """Every (path, needle label) where a needle occurs in a regular file under ``root`` (recursively;
    sockets, FIFOs and devices skipped; ``skip`` = absolute paths not scanned at all). GNU grep -F
    finds candidate files fast; each candidate is then checked exactly in Python."""
    # A short pattern (a server-made secret full of newlines) only makes more candidate files.
    patterns = [grep_pattern(n.data) for n in needles]
    pattern_file = os.path.join("/tmp", f"kms-faults-needles-{os.getpid()}-{uuid.uuid4().hex}")
    fd = os.open(pattern_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(b"\n".join(patterns) + b"\n")
        proc = subprocess.run(["grep", "-r", "-l", "-a", "-F", "--devices=skip", "-f", pattern_file, root],
                              capture_output=True, timeout=300, env={"LC_ALL": "C", "PATH": os.environ["PATH"]})
    finally:
        # overwrite before unlinking: the pattern file holds every secret
        with open(pattern_file, "r+b") as fh:
            size = fh.seek(0, 2)
            fh.seek(0)
            fh.write(b"\0" * size)
        os.unlink(pattern_file)
    # Files that vanish while grep walks the tree (WAL recycling, temp files) are not an error.
    trouble = [line for line in proc.stderr.decode("utf-8", "replace").splitlines()
               if not line.endswith("No such file or directory")]
    assert proc.returncode in (0, 1) or (proc.returncode == 2 and not trouble), \
        f"grep over {root} failed ({proc.returncode}): {trouble[:10]}"
    hits = []
    for raw_path in proc.stdout.split(b"\n"):
        if not raw_path:
            continue
        path = os.fsdecode(raw_path)
        if path in skip:
            continue
        try:
            with open(path, "rb") as fh:
                content = fh.read()
        except FileNotFoundError:   # e.g. a WAL segment recycled since grep saw it
            continue
        for needle in needles:
            if path not in needle.exempt and needle.data in content:
                hits.append((path, needle.label))
    return hits


def files_under(root):
    """Regular files under ``root`` (count, total bytes) -- to show what a scan covered."""
    count = size = 0
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            try:
                st = os.lstat(os.path.join(dirpath, name))
            except OSError:
                continue
            if stat.S_ISREG(st.st_mode):
                count += 1
                size += st.st_size
    return count, size


def read_process_memory(pid):
    """Yields (mapping line, bytes) of every readable mapping of ``pid`` (needs ptrace access:
    root, for a non-dumpable process)."""
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
        for line in maps:
            parts = line.split()
            if "r" not in parts[1] or (len(parts) > 5 and parts[5].startswith("[v")):
                continue
            lo, hi = (int(x, 16) for x in parts[0].split("-"))
            try:
                mem.seek(lo)
                yield line.strip(), mem.read(hi - lo)
            except (OSError, ValueError, OverflowError):
                continue
