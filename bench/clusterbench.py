#!/usr/bin/env python3
"""The measuring half of ``scripts/kms bench --cluster`` (scripts/lib/bench_cluster.sh brings the
cluster up and takes it down).

Encrypt through the load balancer with 1, 2 … N responder hosts in HAProxy's pool (hosts leave
and join through HAProxy's runtime socket: ``set server BACKEND/respI state maint|ready``), and
straight to one host's nginx (*direct*, no load balancer), at a few concurrencies. For every run:
req/s, p50/p99 (wrk + bench/pool.lua, every answer checked), the answers each host gave (HAProxy
``show stat``), PostgreSQL's commits and inserted rows per request on the primary, and the CPU
time of every process group from /proc (bench/cluster_report.py names them). Then the
projection for N hosts on separate machines, the table on stdout, bench/results/cluster-results.json
and the cluster section of BENCHMARKS.md.

Inputs (environment, set by bench_cluster.sh): KMS_BENCH_REPO, KMS_BENCH_SELF (scripts/kms),
KMS_CLUSTER_HOME / _NAME / _SUBNET / _HTTP_PORT / _HTTPS_PORT (the bench's cluster),
KMS_BENCH_CLUSTER_RESPONDERS, KMS_BENCH_HOST_HTTP_PORT, KMS_BENCH_QUICK, KMS_BENCH_DURATION,
KMS_BENCH_PG_BIN, KMS_BENCH_CONCURRENCIES (e.g. "8,32,64"), KMS_BENCH_CLUSTER_REPORT (the file to
write the section into, default the repository's BENCHMARKS.md; docs/bench-failover.png goes beside
it), KMS_BENCH_CLUSTER_PHASES (throughput,failover: which phases run; the section keeps the last
text of a phase not run).

The failover phase (bench/failover_phase.py) runs last: it kills the PostgreSQL primary under load
and reports what that cost the requests (bench/failover_report.py), into
bench/results/cluster-failover.json (the whole timeline) and cluster-failover-staleN.json (the
figures, N the responders' KMS_CACHE_STALE_SECONDS: a run with 0 is the comparison the section shows).
Exit status: 0 when every run was clean (no error, no request to a host out of the pool, no
acknowledged CreateKey lost), 1 otherwise.
"""

import json
import os
import random
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import cluster_report  # noqa: E402
import failover_report  # noqa: E402
from failover_phase import FailoverPhase  # noqa: E402
from kmsbench import b64, machine_facts, precheck, write_pool, wrk_result  # noqa: E402
from stack import CLK, BenchFailure, CpuMeter, children, log, proc_cpu, report_failures  # noqa: E402
from tc3 import Account, Api, Signer  # noqa: E402


class Config:
    def __init__(self):
        e = os.environ
        self.repo = e["KMS_BENCH_REPO"]
        self.kms = e["KMS_BENCH_SELF"]
        self.home = e["KMS_CLUSTER_HOME"]
        self.lb_port = int(e["KMS_CLUSTER_HTTP_PORT"])
        self.host_port = int(e.get("KMS_BENCH_HOST_HTTP_PORT", "8080"))
        self.responders = int(e.get("KMS_BENCH_CLUSTER_RESPONDERS", "3"))
        self.quick = e.get("KMS_BENCH_QUICK", "0") == "1"
        self.duration = int(e.get("KMS_BENCH_DURATION", "3" if self.quick else "10"))
        default = "32" if self.quick else "8,32,64"
        self.concurrencies = [int(c) for c in e.get("KMS_BENCH_CONCURRENCIES", default).split(",")]
        self.pg_bin = e.get("KMS_BENCH_PG_BIN", "/usr/lib/postgresql/15/bin")
        self.accounts = 12
        self.threads = 2
        self.timeout = "30s"
        self.haproxy_socket = os.path.join(self.home, "run", "haproxy.sock")
        self.lua = os.path.join(self.repo, "bench", "pool.lua")
        self.results = os.path.join(self.repo, "bench", "results")
        self.pools = os.path.join(self.results, "cluster-pools")
        # KMS_BENCH_CLUSTER_REPORT: another file than the repository's BENCHMARKS.md (tests).
        self.report = e.get("KMS_BENCH_CLUSTER_REPORT") or os.path.join(self.repo, "BENCHMARKS.md")
        self.failover_chart = os.path.join(os.path.dirname(os.path.abspath(self.report)), "docs", "bench-failover.png")
        self.phases = [p.strip() for p in e.get("KMS_BENCH_CLUSTER_PHASES", "throughput,failover").split(",") if p.strip()]
        unknown = set(self.phases) - {"throughput", "failover"}
        if unknown or not self.phases:
            raise SystemExit(f"KMS_BENCH_CLUSTER_PHASES takes throughput and/or failover, not {sorted(unknown) or 'nothing'}")
        os.makedirs(self.pools, exist_ok=True)


# --------------------------------------------------------------------------------------------------
# the cluster: status, HAProxy's runtime socket, PostgreSQL's counters, process groups
# --------------------------------------------------------------------------------------------------

class Cluster:
    def __init__(self, cfg):
        self.cfg = cfg
        self.refresh()

    def kms(self, *args, check=True):
        return subprocess.run([self.cfg.kms, *args], capture_output=True, text=True, check=check, cwd="/",
                              env=getattr(self.cfg, "env", None))

    def refresh(self):
        out = self.kms("cluster", "status", "--json", check=False)
        if out.returncode not in (0, 3):
            raise BenchFailure(f"cluster status failed: {out.stderr[-500:]}")
        self.status = json.loads(out.stdout)
        self.nodes = {n["name"]: n for n in self.status["nodes"]}
        self.responders = sorted((n for n in self.nodes if n.startswith("resp")), key=lambda h: int(h[4:]))
        primaries = [n for n, v in self.nodes.items() if v["role"] == "postgres-primary"]
        if not primaries:
            raise BenchFailure(f"no PostgreSQL primary in cluster status: {self.status}")
        self.primary = primaries[0]

    def address(self, host):
        return self.nodes[host]["address"]

    # HAProxy ---------------------------------------------------------------------------------
    def haproxy(self, command):
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(5)
            s.connect(self.cfg.haproxy_socket)
            s.sendall(command.encode() + b"\n")
            out = b""
            while chunk := s.recv(65536):
                out += chunk
        return out.decode()

    def stat(self):
        return cluster_report.parse_show_stat(self.haproxy("show stat"))

    def set_pool(self, hosts):
        """Exactly `hosts` in every backend's pool (the others in maintenance); waits until
        HAProxy's checks see the ones in the pool UP."""
        wanted = set(hosts)
        for backend, server, _ in cluster_report.server_rows(self.stat()):
            answer = self.haproxy(f"set server {backend}/{server} state {'ready' if server in wanted else 'maint'}")
            if answer.strip():
                raise BenchFailure(f"HAProxy refused `set server {backend}/{server}`: {answer.strip()}")
        deadline = time.time() + 30
        while True:
            states = {(b, s): r["status"] for b, s, r in cluster_report.server_rows(self.stat())}
            if all((st == "UP") if s in wanted else st.startswith("MAINT") for (b, s), st in states.items()):
                return
            if time.time() > deadline:
                raise BenchFailure(f"the pool did not become {sorted(wanted)} within 30 s: {states}")
            time.sleep(0.2)

    # PostgreSQL ------------------------------------------------------------------------------
    PG = ("SELECT 'commits', d.xact_commit FROM pg_stat_database d WHERE d.datname = 'kms' "
          "UNION ALL SELECT 'inserted', d.tup_inserted FROM pg_stat_database d WHERE d.datname = 'kms' "
          "UNION ALL SELECT 'fetched', d.tup_fetched FROM pg_stat_database d WHERE d.datname = 'kms' "
          "UNION ALL SELECT 'wal_records', wal_records FROM pg_stat_wal "
          "UNION ALL SELECT 'table:' || relname, n_tup_ins FROM pg_stat_user_tables")

    def pg_counters(self):
        """The primary's counters for the kms database ({"commits":, "inserted":, "fetched":,
        "wal_records":, "table:NAME": rows inserted}), None if they cannot be read."""
        run_dir = os.path.join(self.cfg.home, "hosts", self.primary, "run")
        try:
            out = subprocess.run(["runuser", "-u", "postgres", "--", os.path.join(self.cfg.pg_bin, "psql"),
                                  "-X", "-At", "-F", "\t", "-h", run_dir, "-d", "kms", "-c", self.PG],
                                 capture_output=True, text=True, check=True, cwd="/", timeout=30).stdout
            return {k: float(v) for k, v in (line.split("\t") for line in out.splitlines() if line)}
        except (subprocess.SubprocessError, ValueError):
            return None

    # process groups --------------------------------------------------------------------------
    def groups(self):
        """{"HOST/group": [pids]} for CpuMeter (each pid in exactly one group)."""
        g = {}
        for name, node in self.nodes.items():
            pids = node.get("pids") or {}
            if name == "lb":
                g["lb/haproxy"] = [pids.get("haproxy")]
            elif name.startswith("etcd"):
                g[f"{name}/etcd"] = [pids.get("etcd")]
            elif name.startswith("pg"):
                g[f"{name}/patroni"] = [pids.get("patroni")]
                p = pids.get("postgres")
                g[f"{name}/{'postgres' if name == self.primary else 'standby'}"] = [p] + children(p) if p else []
            elif name.startswith("resp"):
                n = pids.get("nginx")
                g[f"{name}/nginx"] = [n] + children(n) if n else []
                g[f"{name}/responder"] = [pids.get("responder"), pids.get("supervisor")]
        return {k: [p for p in v if p] for k, v in g.items()}


def aggregate(cores):
    """CpuMeter's {"HOST/group": cores, "wrk":, "other":, …} -> ({group: cores}, {host: cores})."""
    by_group, by_host = {}, {}
    for key, value in cores.items():
        host, _, group = key.partition("/")
        if not group:
            by_group[key] = value
            continue
        by_group[group] = by_group.get(group, 0.0) + value
        by_host[host] = by_host.get(host, 0.0) + value
    return by_group, by_host


def irq_ticks():
    """Interrupt + softirq ticks of all CPUs (/proc/stat)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return v[5] + v[6]


def wait_idle(cluster, limit=15.0, threshold=0.1):
    """Until the responders, nginx and HAProxy are idle (the previous run's tail is over)."""
    deadline = time.time() + limit
    while time.time() < deadline:
        pids = [p for k, v in cluster.groups().items() if k.split("/")[1] in ("responder", "nginx", "haproxy") for p in v]
        before = {p: proc_cpu(p) for p in pids}
        time.sleep(0.5)
        used = sum((proc_cpu(p) or 0) - (before[p] or 0) for p in pids if before[p] is not None)
        if used / (CLK * 0.5) < threshold:
            return
    log("warning: the responder hosts were still busy before the run")


# --------------------------------------------------------------------------------------------------
# the runs
# --------------------------------------------------------------------------------------------------

class ClusterBench:
    def __init__(self, cfg):
        self.cfg = cfg
        self.cluster = Cluster(cfg)
        self.runs = []
        self.failures = []

    def setup(self):
        cfg = self.cfg
        log(f"creating {cfg.accounts} accounts (cluster ctl) with one key each (CreateKey through the load balancer)")
        api = Api(cfg.lb_port, Signer(f"127.0.0.1:{cfg.lb_port}"))
        self.pairs = []
        for i in range(cfg.accounts):
            out = self.cluster.kms("cluster", "ctl", "account", "create", "--name", f"bench-cluster-{i:02d}", "--json")
            account = Account.from_json(f"bench-cluster-{i:02d}", json.loads(out.stdout))
            key = api.call(account, "CreateKey", {"Alias": f"bench-cluster-{i:02d}"})["KeyId"]
            self.pairs.append((account, key))

    def pool(self, host_header, n=2000):
        signer, t = Signer(host_header), time.time()
        return [signer.request(a, "Encrypt", {"KeyId": k, "Plaintext": b64(os.urandom(64))}, timestamp=t)
                for a, k in (random.choice(self.pairs) for _ in range(n))], t

    def run(self, hosts, conns):
        """hosts: N (that many hosts in HAProxy's pool, wrk to the load balancer) or "direct"."""
        cfg, c = self.cfg, self.cluster
        direct = hosts == "direct"
        if direct:
            address, port = c.address(c.responders[0]), cfg.host_port
            label = f"direct to {c.responders[0]} (no load balancer)"
            pool_hosts = c.responders[:1]
        else:
            address, port = "127.0.0.1", cfg.lb_port
            pool_hosts = c.responders[:hosts]
            label = f"{hosts} host{'s' if hosts > 1 else ''} via HAProxy"
        c.set_pool(pool_hosts)
        requests, signed_at = self.pool(f"{address}:{port}")
        precheck(port, random.sample(requests, 8), f"Encrypt at {address}:{port}", "Encrypt", host=address)
        prefix = write_pool(cfg.pools, "encrypt", requests, cfg.threads)
        c.refresh()
        wait_idle(c)
        meter = CpuMeter(c)
        pg0, stat0 = c.pg_counters(), cluster_report.answers_by_server(c.stat())
        cmd = ["wrk", f"-t{cfg.threads}", f"-c{conns}", f"-d{cfg.duration}s", "--timeout", cfg.timeout, "--latency",
               "-s", cfg.lua, f"http://{address}:{port}/", "--", prefix, "cycle"]
        meter.start()
        t0, irq0 = time.time(), irq_ticks()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        cores = meter.stop()
        wall, irq1 = time.time() - t0, irq_ticks()
        # CpuMeter counts interrupt time as "other": it is the cluster's network, shown apart.
        cores["softirq"] = min((irq1 - irq0) / (CLK * wall), cores["other"])
        cores["other"] -= cores["softirq"]
        stat1 = cluster_report.answers_by_server(c.stat())
        time.sleep(1.5)   # backends publish their statistics at most once a second
        pg1 = c.pg_counters()
        with open(os.path.join(cfg.results, "cluster-wrk.log"), "a") as f:
            f.write(f"==== {label}, {conns} connections ====\n$ {' '.join(cmd)}\n{proc.stdout}{proc.stderr}\n")
        r, errors = wrk_result(label, proc.returncode, proc.stdout + proc.stderr)
        seconds = r["duration_us"] / 1e6
        answers = cluster_report.delta(stat1, stat0)
        flags = []
        if errors:
            flags.append(f"{errors} errors (first: {r['sample_error'][:150]})")
        if time.time() - signed_at > 290:
            flags.append("signatures close to expiry")
        outside = {h: n for h, n in answers.items() if h not in pool_hosts and n}
        if outside:
            flags.append(f"hosts out of the pool answered: {outside}")
        if not direct:
            idle = [h for h in pool_hosts if not answers.get(h)]
            if idle:
                flags.append(f"hosts in the pool got no request: {idle}")
            if sum(answers.values()) < r["requests"]:
                flags.append(f"HAProxy counted {sum(answers.values())} answers for wrk's {r['requests']}")
        by_group, by_host = aggregate(cores)
        cpu_seconds = {g: by_group.get(g, 0.0) * wall for g in cluster_report.GROUPS}
        res = {
            "label": label, "hosts": hosts, "conns": conns, "requests": r["requests"], "seconds": round(seconds, 3),
            "rps": r["requests"] / seconds if seconds else 0.0,
            "p50_ms": r["p50_us"] / 1000, "p99_ms": r["p99_us"] / 1000, "errors": errors,
            "per_host_rps": {h: answers.get(h, 0) / seconds for h in pool_hosts} if not direct and seconds else {},
            "cpu_cores": {**{g: round(by_group.get(g, 0.0), 3) for g in cluster_report.GROUPS},
                          "total": cores.get("total", 0.0), "steal": cores.get("steal", 0.0)},
            "cpu_cores_by_host": {h: round(v, 3) for h, v in by_host.items()},
            "cpu_ms_per_request": cluster_report.cpu_ms_per_request(cpu_seconds, r["requests"]),
            "pg": ({"commits_per_request": (pg1["commits"] - pg0["commits"]) / r["requests"],
                    "inserted_per_request": (pg1["inserted"] - pg0["inserted"]) / r["requests"],
                    "fetched_per_request": (pg1["fetched"] - pg0["fetched"]) / r["requests"],
                    "wal_records_per_request": (pg1["wal_records"] - pg0["wal_records"]) / r["requests"],
                    "inserted_by_table": {k[6:]: pg1[k] - pg0.get(k, 0) for k in pg1
                                          if k.startswith("table:") and pg1[k] - pg0.get(k, 0)}}
                   if pg0 and pg1 and r["requests"] else None),
            "flags": flags,
        }
        self.runs.append(res)
        if flags:
            self.failures.append(f"{label}, {conns} connections: {'; '.join(flags)}")
        ms = res["cpu_ms_per_request"]
        log(f"{label:<34} c={conns:<3} {res['rps']:8.0f} req/s  p50 {res['p50_ms']:6.2f} ms  p99 {res['p99_ms']:7.2f} ms  "
            f"errors {errors}  per host {', '.join(f'{h} {v:.0f}' for h, v in res['per_host_rps'].items()) or '-'}  "
            f"µs/req: " + " ".join(f"{g} {ms[g] * 1000:.0f}" for g in cluster_report.GROUPS)
            + (f"  [{'; '.join(flags)}]" if flags else ""))
        return res

    def measure(self):
        cfg = self.cfg
        n = min(cfg.responders, len(self.cluster.responders))
        # Each responder fills its wrapping-key pool (RSA key generation) after it starts: wait
        # until that is over, so that the first run does not pay for it.
        wait_idle(self.cluster, limit=120)
        for i, conns in enumerate(cfg.concurrencies):
            order = ["direct"] + list(range(1, n + 1))
            for hosts in (order if i % 2 == 0 else order[::-1]):
                self.run(hosts, conns)
        self.cluster.set_pool(self.cluster.responders)   # leave the pool whole
        for r in self.runs:
            if r["hosts"] == "direct":
                continue
            one = next((x for x in self.runs if x["hosts"] == 1 and x["conns"] == r["conns"]), None)
            r["efficiency"] = cluster_report.efficiency(r["rps"], r["hosts"], one["rps"] if one else 0)


def summary(cfg, runs, machine):
    """The projection and the single-host comparison, from the runs."""
    lb_runs = [r for r in runs if r["hosts"] != "direct" and not r["flags"]]
    out = {}
    if lb_runs:
        # The CPU per request of every clean load-balancer run at the highest concurrency (1, 2
        # and 3 hosts), averaged: the per-request cost hardly depends on N, and the mean is less
        # noisy than any one run on a shared machine.
        conns = max(r["conns"] for r in lb_runs)
        src = [r for r in lb_runs if r["conns"] == conns]
        ms = {g: sum(r["cpu_ms_per_request"][g] for r in src) / len(src) for g in cluster_report.GROUPS}
        fixed = sum(r["cpu_cores"].get(g, 0.0) for r in src for g in cluster_report.FIXED_GROUPS) / len(src)
        out["projection"] = {"source": {"label": f"mean of the {len(src)} load-balancer runs", "conns": conns},
                             "cores": machine["nproc"], "fixed_cores": fixed,
                             "model": cluster_report.projection(ms, machine["nproc"])}
    conns = 32 if any(r["conns"] == 32 for r in runs) else runs[0]["conns"] if runs else None
    d = next((r for r in runs if r["hosts"] == "direct" and r["conns"] == conns), None)
    one = next((r for r in runs if r["hosts"] == 1 and r["conns"] == conns), None)
    if d and one:
        out["single_host"] = {"conns": conns, "direct_rps": d["rps"], "lb1_rps": one["rps"],
                              "lb_ratio": one["rps"] / d["rps"] if d["rps"] else None}
    # Encrypt's rows in PostgreSQL, by table, over every load-balancer run.
    rows, requests = {}, 0
    for r in runs:
        if r["hosts"] == "direct" or not r.get("pg"):
            continue
        requests += r["requests"]
        for table, n in r["pg"]["inserted_by_table"].items():
            rows[table] = rows.get(table, 0) + n
    if requests:
        out["pg_inserts_by_table"] = {t: n / requests for t, n in sorted(rows.items(), key=lambda x: -x[1])
                                      if n / requests >= 0.001}
    return out


def print_table(data):
    print()
    print(f"{'run':<36} {'conns':>5} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>8} {'eff':>5}  per-host req/s")
    for r in data["runs"]:
        eff = f"{r['efficiency']:.2f}" if r.get("efficiency") is not None else ""
        print(f"{r['label']:<36} {r['conns']:>5} {r['rps']:>8.0f} {r['p50_ms']:>7.2f} {r['p99_ms']:>8.2f} {eff:>5}  "
              + ", ".join(f"{h} {v:.0f}" for h, v in r["per_host_rps"].items()))
    p = data.get("projection")
    if p:
        print(f"\nprojection (separate machines of {p['cores']} cores; from {p['source']['label']}, c={p['source']['conns']}): "
              + ", ".join(f"{n} hosts {rate:,.0f}/s ({limit})" for n, rate, limit in p["model"]["rows"]))
    print()


def stale_seconds(cfg):
    """The responders' KMS_CACHE_STALE_SECONDS, as the bench cluster remembers it (cluster.env)."""
    try:
        with open(os.path.join(cfg.home, "cluster.env")) as f:
            for line in f:
                key, _, value = line.strip().partition("=")
                if key == "KMS_CACHE_STALE_SECONDS" and value:
                    return int(value)
    except (OSError, ValueError):
        pass
    return 30


def failover(cfg, cluster, machine):
    """The failover phase: {"summary", "config"} for the section (and "before": the last run with
    KMS_CACHE_STALE_SECONDS=0, when this one is not it), the chart written (that run above this one)."""
    phase = FailoverPhase(cfg, cluster)
    phase.setup()
    timeline = phase.run()
    timeline["config"].update(stale_seconds=stale_seconds(cfg), quick=cfg.quick, date=machine["date"],
                              commit=machine["commit"])
    summary = failover_report.summarize(timeline)
    stale = timeline["config"]["stale_seconds"]
    run = {"summary": summary, "config": timeline["config"]}
    with open(os.path.join(cfg.results, f"cluster-failover-stale{stale}.json"), "w") as f:
        json.dump({**run, "timeline": timeline}, f)
    panels = [(f"KMS_CACHE_STALE_SECONDS={stale}: {panel_line(summary)}", timeline, summary)]
    try:
        if stale:
            with open(os.path.join(cfg.results, "cluster-failover-stale0.json")) as f:
                before = json.load(f)
            run["before"] = {**before["summary"], "date": before["config"]["date"]}
            panels.insert(0, (f"before — KMS_CACHE_STALE_SECONDS=0: {panel_line(before['summary'])}",
                              before["timeline"], before["summary"]))
    except (OSError, ValueError, KeyError):
        pass
    os.makedirs(os.path.dirname(cfg.failover_chart), exist_ok=True)
    failover_report.chart(panels, cfg.failover_chart)
    s = summary
    log(f"failover: promoted after {s['promoted_s']}, first write after {s['first_write_s']}, Encrypt healthy after "
        f"{s['encrypt_healthy_s']} s; errors {s['errors']}; acknowledged keys lost {len(s['lost'])} of "
        f"{s['acknowledged']}: {s['verdict']}")
    return run


def panel_line(s):
    return (f"{s['encrypt_failed_after_kill']} Encrypts failed, "
            f"{sum(s['errors'].get('CreateKey', {}).values())} CreateKeys failed, "
            f"{len(s['lost'])} of {s['acknowledged']} acknowledged keys lost")


def main():
    import signal
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    cfg = Config()
    log(f"cluster bench: {cfg.home}; load balancer 127.0.0.1:{cfg.lb_port}; {cfg.duration}s per run; "
        f"concurrencies {cfg.concurrencies}; phases {', '.join(cfg.phases)}{' (QUICK MODE)' if cfg.quick else ''}")
    machine = machine_facts(cfg)
    bench = ClusterBench(cfg)
    error, failover_run = None, None
    try:
        if "throughput" in cfg.phases:
            bench.setup()
            bench.measure()
        if "failover" in cfg.phases:
            failover_run = failover(cfg, bench.cluster, machine)
            bench.failures += failover_run["summary"]["failures"]
    except (BenchFailure, AssertionError, OSError, subprocess.CalledProcessError) as exc:
        error = f"{type(exc).__name__}: {exc}"
        log(f"FAILED: {error}")
    machine["shared"] = machine["background_cores_before"] > 0.3 or any(r["cpu_cores"]["other"] > 0.25 for r in bench.runs)
    data = {"config": {"quick": cfg.quick, "duration": cfg.duration, "concurrencies": cfg.concurrencies,
                       "responder_bin": os.environ.get("KMS_RESPONDER_BIN", ""), "phases": cfg.phases,
                       "responders": cfg.responders, "accounts": cfg.accounts, "threads": cfg.threads},
            "machine": machine, "runs": bench.runs, "failures": bench.failures + ([error] if error else []),
            "failover": failover_run, **summary(cfg, bench.runs, machine)}
    with open(os.path.join(cfg.results, "cluster-results.json"), "w") as f:
        json.dump(data, f, indent=1)
    if bench.runs:
        print_table(data)
    if bench.runs or failover_run:
        cluster_report.write_section(cfg.report, data)
        log(f"wrote the cluster section of {cfg.report}")
    return report_failures(data["failures"])


if __name__ == "__main__":
    sys.exit(main())
