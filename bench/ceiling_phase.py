"""The honest ceiling of ``scripts/kms bench`` (issue 17): the fastest trivial FastCGI responder
this machine can run, which every Encrypt/Decrypt ratio target is set against.

The bench's other ceiling ("ceiling: trivial FastCGI") sits behind the product's nginx settings
(two workers, access log, no upstream keep-alive): a fair neighbour for the product, but not the
fastest a trivial responder gets here. This phase gives the same C responder (bench/trivial_fcgi.c,
built by bench.sh) a minimal nginx of its own — ``worker_processes auto``, ``access_log off``, no
TLS, the product's fastcgi_params, its conf rendered into the bench home — and sweeps what changes its
speed:

- no upstream keep-alive (a FastCGI connection per request) with 4, 8 and 16 responder threads;
- an upstream with ``keepalive 16`` and ``fastcgi_keep_conn on`` with 32 and 48 threads: libfcgi
  binds a thread to a kept connection, so the threads must be at least the kept connections ×
  nginx's workers or requests wait for a thread that never frees;
- each with wrk ``-t1`` and ``-t2``, 32 connections, the same Encrypt request bytes as every
  other run (the responder ignores them).

The fastest point without errors is the honest ceiling. Environment: KMS_BENCH_SWEEP_PORT (the first of
five consecutive ports, one per configuration; 28183).
"""

import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass

from phase import Phase
from stack import BenchFailure, children, log, read_pid

CONNS = 32


@dataclass(frozen=True)
class ServerConfig:
    """One nginx + trivial responder configuration of the sweep."""
    responder_threads: int
    upstream_keepalive: int = 0     # 0: a new FastCGI connection per request

    @property
    def label(self):
        if self.upstream_keepalive:
            return f"upstream keepalive {self.upstream_keepalive} + fastcgi_keep_conn, {self.responder_threads} threads"
        return f"no keep-alive, {self.responder_threads} threads"

    @property
    def slug(self):
        return f"keep{self.upstream_keepalive}-t{self.responder_threads}" if self.upstream_keepalive \
            else f"nokeep-t{self.responder_threads}"


SERVER_CONFIGS = (ServerConfig(4), ServerConfig(8), ServerConfig(16),
                  ServerConfig(32, upstream_keepalive=16), ServerConfig(48, upstream_keepalive=16))
WRK_THREADS = (1, 2)


def run_name(config, wrk_threads):
    return f"honest ceiling: {config.label}, wrk -t{wrk_threads}"


@dataclass
class MinimalNginx:
    """An nginx of its own in front of one FastCGI socket: nothing a trivial answer does not need
    (no TLS, no access log, no headers added), as many workers as cores, the product's
    fastcgi_params; with ``upstream_keepalive`` > 0 it keeps that many FastCGI connections per
    worker (``fastcgi_keep_conn on``). ``user``: its workers' user and group when nginx starts as
    root (the default, nobody, reaches a socket open to all)."""
    prefix: str
    port: int
    socket: str
    fastcgi_params: str
    upstream_keepalive: int = 0
    user: str = None

    def conf(self):
        if self.upstream_keepalive:
            upstream = (f"    upstream fastcgi {{\n        server unix:{self.socket};\n"
                        f"        keepalive {self.upstream_keepalive};\n    }}\n")
            passing = "            fastcgi_pass fastcgi;\n            fastcgi_keep_conn on;\n"
        else:
            upstream = ""
            passing = f"            fastcgi_pass unix:{self.socket};\n"
        user = f"user {self.user} {self.user};\n" if self.user and os.geteuid() == 0 else ""
        p = self.prefix
        return f"""# A minimal nginx of scripts/kms bench (bench/ceiling_phase.py). Not the product's.
{user}worker_processes auto;
pid {p}/nginx.pid;
error_log {p}/error.log warn;
events {{
    worker_connections 1024;
}}
http {{
    access_log off;
    keepalive_requests 1000000;
    client_body_temp_path {p}/tmp/body;
    fastcgi_temp_path {p}/tmp/fastcgi;
    proxy_temp_path {p}/tmp/proxy;
    uwsgi_temp_path {p}/tmp/uwsgi;
    scgi_temp_path {p}/tmp/scgi;
{upstream}    server {{
        listen 127.0.0.1:{self.port};
        location / {{
            include {self.fastcgi_params};
{passing}        }}
    }}
}}
"""

    def start(self):
        os.makedirs(os.path.join(self.prefix, "tmp"), exist_ok=True)
        conf = os.path.join(self.prefix, "nginx.conf")
        with open(conf, "w") as f:
            f.write(self.conf())
        proc = subprocess.run(["nginx", "-e", os.path.join(self.prefix, "error.log"), "-p", self.prefix + "/", "-c", conf],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise BenchFailure(f"nginx did not start with {conf}: {proc.stderr.strip()}")
        wait_for(lambda: self.pid() is not None, f"nginx wrote no pid file ({conf})")

    def pid(self):
        return read_pid(os.path.join(self.prefix, "nginx.pid"))

    def pids(self):
        master = self.pid()
        return [master] + children(master) if master else []

    def stop(self):
        master = self.pid()
        if not master:
            return
        try:
            os.kill(master, signal.SIGQUIT)
        except ProcessLookupError:
            return
        deadline = time.time() + 10
        while os.path.exists(f"/proc/{master}") and time.time() < deadline:
            time.sleep(0.05)


def wait_for(ready, failure, limit=10, process=None):
    """Waits until ``ready()``; BenchFailure after ``limit`` seconds or when ``process`` exits."""
    deadline = time.time() + limit
    while not ready():
        if time.time() > deadline or (process and process.poll() is not None):
            raise BenchFailure(failure)
        time.sleep(0.05)


class CeilingServer:
    """The trivial responder and its minimal nginx, started together, stopped together."""

    def __init__(self, work, port, config, fastcgi_params):
        self.config = config
        self.prefix = os.path.join(work, "ceiling", config.slug)
        self.socket = os.path.join(self.prefix, "trivial.sock")
        self.binary = os.path.join(work, "trivial_fcgi")
        self.nginx = MinimalNginx(self.prefix, port, self.socket, fastcgi_params, config.upstream_keepalive)
        self.port = port
        self.responder = None

    def start(self):
        shutil.rmtree(self.prefix, ignore_errors=True)
        os.makedirs(self.prefix)
        os.chmod(self.prefix, 0o755)   # nginx's workers reach the socket (open to all: trivial_fcgi.c)
        try:
            with open(os.path.join(self.prefix, "trivial.log"), "w") as out:
                self.responder = subprocess.Popen([self.binary, self.socket, str(self.config.responder_threads)],
                                                  stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                                  start_new_session=True)
            wait_for(lambda: os.path.exists(self.socket), f"the trivial responder did not open {self.socket}",
                     process=self.responder)
            self.nginx.start()
        except BaseException:
            self.stop()
            raise

    def pids(self):
        """The processes whose CPU the bench accounts to this ceiling."""
        return ([self.responder.pid] if self.responder else []) + self.nginx.pids()

    def stop(self):
        self.nginx.stop()
        if self.responder and self.responder.poll() is None:
            self.responder.terminate()
            self.responder.wait(10)


class CeilingPhase(Phase):
    """The sweep, run by ``Bench.ceiling`` with the bench's runner and Encrypt pools."""

    def __init__(self, bench, precheck, sample_of):
        super().__init__(bench, precheck, sample_of)
        self.first_port = int(os.environ.get("KMS_BENCH_SWEEP_PORT", "28183"))
        self.seconds = 2 if self.cfg.quick else 8

    def measure(self, server, wrk_threads):
        bench = self.bench
        pool, t = bench.encrypt_pool([(bench.main, bench.key)], 2000)
        self.precheck(server.port, self.sample_of(pool), "honest ceiling")
        res = bench.runner.run(run_name(server.config, wrk_threads), "trivial", "ceiling", CONNS, pool,
                               signed_at=t, port=server.port, threads=wrk_threads, duration=self.seconds,
                               note=f"minimal nginx on port {server.port}")
        res["ceiling"] = {"responder_threads": server.config.responder_threads,
                          "upstream_keepalive": server.config.upstream_keepalive,
                          "wrk_threads": wrk_threads, "config": server.config.label, "port": server.port}
        return res

    def run(self):
        bench, stack = self.bench, self.bench.stack
        log(f"honest ceiling: sweeping {len(SERVER_CONFIGS)} nginx/responder configurations × wrk -t1/-t2, "
            f"{CONNS} connections, {self.seconds}s each")
        points = []
        for i, config in enumerate(SERVER_CONFIGS):
            server = CeilingServer(self.cfg.work, self.first_port + i, config,
                                   os.path.join(self.cfg.repo, "nginx", "fastcgi_params"))
            server.start()
            try:
                stack.extra["ceiling"] = server.pids()
                for wrk_threads in WRK_THREADS:
                    points.append(self.measure(server, wrk_threads))
            finally:
                stack.extra.pop("ceiling", None)
                server.stop()
        # The targets set Encrypt against the ceiling: measured beside it unless an earlier phase did.
        from report import ENCRYPT
        if not bench.best(ENCRYPT, CONNS):
            bench.encrypt_run("kms", CONNS)
        winner = fastest_clean(points)
        bench.facts["honest_ceiling"] = {"points": [p["name"] for p in points],
                                         "winner": winner["name"] if winner else None,
                                         "seconds_per_point": self.seconds}
        if winner:
            log(f"honest ceiling: {winner['rps']:,.0f} req/s ({winner['name']})")
        else:
            bench.runner.failures.append("honest ceiling: no sweep point ran without errors")


def fastest_clean(points):
    """The fastest run without errors (or other flags), or None."""
    clean = [p for p in points if not p["flags"]]
    return max(clean, key=lambda p: p["rps"]) if clean else None
