"""A cluster brought up by ``scripts/kms cluster`` and SDK load through its load balancer that
records every acknowledged write and every failure."""

import json
import os
import random
import subprocess
import threading
import time
import urllib.request
import uuid

from e2e_support import FIPS_REGION, Account, Kms, ctl_json


class Cluster:
    def __init__(self, repo, env):
        self.repo = repo
        self.env = env
        self.timings = {}

    def run(self, *args, check=True, timeout=300):
        started = time.monotonic()
        proc = subprocess.run([os.path.join(self.repo, "scripts", "kms"), "cluster", *args],
                              env=self.env, capture_output=True, text=True, timeout=timeout)
        self.timings[args[0]] = time.monotonic() - started
        if check and proc.returncode != 0:
            raise AssertionError(f"scripts/kms cluster {' '.join(args)} exited {proc.returncode}:\n"
                                 f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
        return proc

    def up(self, *args):
        self.run("up", *args)
        status = self.status()
        self.endpoint = status["https_endpoint"].split("://", 1)[1]
        self.ca = status["ca_file"]
        self.addresses = {n["name"]: n["address"] for n in status["nodes"]}

    def down(self):
        self.run("down", check=False)

    def status(self):
        proc = self.run("status", "--json", check=False, timeout=60)
        assert proc.returncode in (0, 3), proc.stderr
        return json.loads(proc.stdout)

    def nodes(self, role=None):
        return [n for n in self.status()["nodes"] if role is None or n["role"] == role]

    def primary(self):
        names = [n["name"] for n in self.nodes("postgres-primary")]
        return names[0] if len(names) == 1 else None

    def new_account(self, label):
        name = f"cluster-{label}-{uuid.uuid4().hex[:8]}"
        out = self.run("ctl", "account", "create", "--name", name, "--json").stdout
        return Account.from_ctl(name, ctl_json(out, "scripts/kms cluster ctl account create"))

    def client(self, account, timeout=5):
        return Kms(account, FIPS_REGION, self.endpoint, scheme="https", certification=self.ca,
                   timeout=timeout)

    def patroni_members(self, exclude=()):
        """Patroni's view of the cluster (``GET /cluster`` on the first PostgreSQL host that
        answers, skipping ``exclude``): {name: (role, state)}; {} when none answers."""
        for name, address in self.addresses.items():
            if not name.startswith("pg") or name in exclude:
                continue
            try:
                with urllib.request.urlopen(f"http://{address}:8008/cluster", timeout=1) as r:
                    members = json.load(r).get("members", [])
                return {m["name"]: (m.get("role"), m.get("state")) for m in members}
            except (OSError, ValueError):
                continue
        return {}

    def leader(self, exclude=()):
        """The running leader as Patroni reports it, asked of hosts other than ``exclude`` and
        none of them (a dead primary stays listed as leader until its lock expires)."""
        for name, (role, state) in self.patroni_members(exclude).items():
            if role in ("leader", "master", "primary") and state == "running" and name not in exclude:
                return name
        return None

    def healthy(self):
        """One running leader and every other PostgreSQL host a running standby, one of them
        synchronous, and every standby streaming from the leader (Patroni calls a replica
        running before it has rewound and connected: with asynchronous standbys that moment
        would otherwise pass for whole)."""
        members = self.patroni_members()
        pg = [n for n in self.addresses if n.startswith("pg")]
        roles = [members.get(n, (None, None)) for n in pg]
        if not (sum(r in ("leader", "master", "primary") and s == "running" for r, s in roles) == 1
                and any(r == "sync_standby" and s in ("running", "streaming") for r, s in roles)
                and all(s in ("running", "streaming") for _, s in roles)):
            return False
        leader = next(n for n in pg if members.get(n, (None,))[0] in ("leader", "master", "primary"))
        rc, out = self.psql_on(leader, "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")
        return rc == 0 and out == str(len(pg) - 1)

    def psql_on(self, host, sql):
        """``sql`` on ``host``'s own PostgreSQL, from inside its namespace (Unix socket, as
        postgres): reaches it even while the host is cut off. (returncode, output)."""
        run_dir = os.path.join(self.env["KMS_CLUSTER_HOME"], "hosts", host, "run")
        proc = subprocess.run(
            ["ip", "netns", "exec", f"{self.env['KMS_CLUSTER_NAME']}-{host}", "runuser", "-u", "postgres", "--",
             "/usr/lib/postgresql/15/bin/psql", "-X", "-qAt", "-h", run_dir, "-d", "postgres", "-c", sql],
            capture_output=True, text=True, timeout=120, cwd="/")
        return proc.returncode, (proc.stdout + proc.stderr).strip()

    def patroni_log(self, host):
        with open(os.path.join(self.env["KMS_CLUSTER_HOME"], "hosts", host, "log", "patroni.log")) as f:
            return f.read()

    def wait_for(self, what, predicate, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.5)
        raise AssertionError(f"timed out after {timeout} s waiting for {what}; status: {self.status()}")


class Load:
    """``threads`` SDK clients through the load balancer, each looping over CreateKey (one call in
    four) and Encrypt (a random key among those created), one attempt per call. Every
    acknowledged CreateKey (its KeyId) and Encrypt (key, plaintext, ciphertext) is recorded, and
    so is every success and failure time (time.monotonic())."""

    def __init__(self, make_client, seed_keys, threads=4):
        self.make_client = make_client
        self.keys = list(seed_keys)
        self.created = []
        self.encrypted = []
        self.successes = []
        self.failures = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(threads)]

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def warm_up(self, cluster, settle=2):
        """Waits for the load to get going (20 successes), lets it run ``settle`` seconds more, and
        checks that nothing failed before the fault the test is about to cause."""
        cluster.wait_for("the load to get going", lambda: len(self.successes) >= 20, 30)
        time.sleep(settle)
        assert not self.failures, f"failures before the fault: {self.failures[:5]}"

    def stop(self):
        self.stopping.set()
        for t in self.threads:
            t.join(30)

    def _run(self, index):
        kms = self.make_client()
        n = index
        while not self.stopping.is_set():
            n += 1
            began = time.monotonic()
            try:
                if n % 4 == 0:
                    key_id = kms.new_key_id(Alias=f"load-{uuid.uuid4().hex[:12]}")
                    with self.lock:
                        self.created.append(key_id)
                        self.keys.append(key_id)
                else:
                    with self.lock:
                        key_id = random.choice(self.keys[-50:])
                    plaintext = os.urandom(32)
                    blob = kms.encrypt(key_id, plaintext)
                    with self.lock:
                        self.encrypted.append((key_id, plaintext, blob))
                with self.lock:
                    self.successes.append(time.monotonic())
            except Exception as exc:   # every kind of failure a client sees counts
                with self.lock:
                    self.failures.append((began, time.monotonic(), type(exc).__name__, str(exc)[:160]))

    def window(self, since):
        """The longest time after ``since`` with no request succeeding anywhere (the error window
        clients see), with the failures counted in it."""
        with self.lock:
            times = sorted(t for t in self.successes if t >= since - 1)
            failures = [f for f in self.failures if f[1] >= since]
        gap, start = 0.0, since
        for a, b in zip(times, times[1:]):
            if b - a > gap:
                gap, start = b - a, a
        return gap, start, failures
