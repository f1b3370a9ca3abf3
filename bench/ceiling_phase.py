"""The honest ceiling of ``scripts/kms bench`` (issue 17): the fastest trivial FastCGI responder
this machine can run, which every Encrypt/Decrypt ratio target is set against.

The bench's other ceiling ("ceiling: trivial FastCGI") sits behind the product's nginx settings
(two workers, access log, no upstream keep-alive): a fair neighbour for the product, but not the
fastest a trivial responder gets here. This phase gives the same C responder (bench/trivial_fcgi.c,
built by bench.sh) a minimal nginx of its own — ``worker_processes auto``, ``access_log off``, no
TLS, its conf rendered into the bench home — and sweeps what changes its speed:

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


def nginx_conf(prefix, port, socket_path, config):
    """The minimal nginx in front of the trivial responder: nothing the product needs that a
    trivial answer does not (no TLS, no access log, no headers added), as many workers as cores."""
    if config.upstream_keepalive:
        upstream = (f"    upstream trivial {{\n        server unix:{socket_path};\n"
                    f"        keepalive {config.upstream_keepalive};\n    }}\n")
        passing = "            fastcgi_pass trivial;\n            fastcgi_keep_conn on;\n"
    else:
        upstream = ""
        passing = f"            fastcgi_pass unix:{socket_path};\n"
    return f"""# The honest ceiling's nginx (bench/ceiling_phase.py): {config.label}. Not the product's.
worker_processes auto;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{
    worker_connections 1024;
}}
http {{
    access_log off;
    keepalive_requests 1000000;
    client_body_temp_path {prefix}/tmp/body;
    fastcgi_temp_path {prefix}/tmp/fastcgi;
    proxy_temp_path {prefix}/tmp/proxy;
    uwsgi_temp_path {prefix}/tmp/uwsgi;
    scgi_temp_path {prefix}/tmp/scgi;
{upstream}    server {{
        listen 127.0.0.1:{port};
        location / {{
            include /etc/nginx/fastcgi_params;
{passing}        }}
    }}
}}
"""


class CeilingServer:
    """A trivial responder and its minimal nginx, started together, stopped together."""

    def __init__(self, work, port, config):
        self.config = config
        self.port = port
        self.prefix = os.path.join(work, "ceiling", config.slug)
        self.socket = os.path.join(self.prefix, "trivial.sock")
        self.binary = os.path.join(work, "trivial_fcgi")
        self.responder = None

    def start(self):
        shutil.rmtree(self.prefix, ignore_errors=True)
        os.makedirs(os.path.join(self.prefix, "tmp"))
        os.chmod(self.prefix, 0o755)   # nginx's workers (nobody / www-data) reach the socket
        with open(os.path.join(self.prefix, "trivial.log"), "w") as out:
            self.responder = subprocess.Popen([self.binary, self.socket, str(self.config.responder_threads)],
                                              stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                              start_new_session=True)
        self._wait(lambda: os.path.exists(self.socket), "the trivial responder did not open its socket")
        conf = os.path.join(self.prefix, "nginx.conf")
        with open(conf, "w") as f:
            f.write(nginx_conf(self.prefix, self.port, self.socket, self.config))
        nginx = ["nginx", "-e", os.path.join(self.prefix, "error.log"), "-p", self.prefix + "/", "-c", conf]
        proc = subprocess.run(nginx, capture_output=True, text=True)
        if proc.returncode != 0:
            self.stop()
            raise BenchFailure(f"the honest ceiling's nginx did not start ({conf}): {proc.stderr.strip()}")
        self._wait(lambda: self.nginx_pid() is not None, "the honest ceiling's nginx wrote no pid file")

    def _wait(self, ready, failure, limit=10):
        deadline = time.time() + limit
        while not ready():
            if time.time() > deadline or (self.responder and self.responder.poll() is not None):
                self.stop()
                raise BenchFailure(f"{failure} ({self.prefix})")
            time.sleep(0.05)

    def nginx_pid(self):
        return read_pid(os.path.join(self.prefix, "nginx.pid"))

    def pids(self):
        """The processes whose CPU the bench accounts to this ceiling."""
        nginx = self.nginx_pid()
        return [p for p in [self.responder.pid if self.responder else None, nginx]
                + (children(nginx) if nginx else []) if p]

    def stop(self):
        nginx = self.nginx_pid()
        if nginx:
            try:
                os.kill(nginx, signal.SIGQUIT)
            except ProcessLookupError:
                pass
            deadline = time.time() + 10
            while os.path.exists(f"/proc/{nginx}") and time.time() < deadline:
                time.sleep(0.05)
        if self.responder and self.responder.poll() is None:
            self.responder.terminate()
            self.responder.wait(10)


class CeilingPhase:
    """The sweep, run by ``Bench.ceiling`` with the bench's runner and Encrypt pools."""

    def __init__(self, bench, precheck, sample_of):
        self.bench = bench
        self.precheck = precheck
        self.sample_of = sample_of
        self.cfg = bench.cfg
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
            server = CeilingServer(self.cfg.work, self.first_port + i, config)
            server.start()
            try:
                stack.extra["ceiling"] = server.pids()
                for wrk_threads in WRK_THREADS:
                    points.append(self.measure(server, wrk_threads))
            finally:
                stack.extra.pop("ceiling", None)
                server.stop()
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
