"""`scripts/kms bench --cluster`: the arithmetic and the BENCHMARKS.md section (pure functions,
no I/O except `write_section`), shared by bench/clusterbench.py, bench/report.py (which keeps
the section when the single-host bench rewrites BENCHMARKS.md) and the unit tests.

Process groups whose CPU is measured (from /proc, see clusterbench.py):
  responder, nginx  — on every responder host: the part that scales out with hosts
  haproxy           — the load balancer: one per cluster, does not scale out
  postgres          — every PostgreSQL process on the primary
  standby           — every PostgreSQL process on the synchronous standby (applies the WAL)
  patroni, etcd     — the HA machinery: time-driven (loops, heartbeats), not per request
  wrk               — the load generator (a client: not part of the service)
  softirq           — the kernel's interrupt and softirq time, machine-wide (/proc/stat): mostly the
                      packets between the hosts (veths, bridge, loopback)
  other             — everything else on the machine: the other work of a shared machine
"""

import re

BEGIN = "<!-- bench --cluster: begin (written by scripts/kms bench --cluster; the single-host bench keeps it) -->"
END = "<!-- bench --cluster: end -->"

HOST_GROUPS = ("responder", "nginx")            # scale out: one set per responder host
SHARED_GROUPS = ("haproxy", "postgres", "standby")   # one per cluster, busy in proportion to requests
FIXED_GROUPS = ("patroni", "etcd")              # busy in proportion to time
GROUPS = HOST_GROUPS + SHARED_GROUPS + FIXED_GROUPS + ("wrk", "softirq", "other")


# --------------------------------------------------------------------------------------------------
# HAProxy's runtime socket
# --------------------------------------------------------------------------------------------------

def parse_show_stat(text):
    """HAProxy `show stat` CSV -> [{field: value}] (one dict per proxy/server line)."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines or not lines[0].startswith("# "):
        raise ValueError(f"not the output of `show stat`: {text[:200]!r}")
    header = lines[0][2:].split(",")
    return [dict(zip(header, line.split(","))) for line in lines[1:]]


def server_rows(rows, prefix="resp"):
    """The server lines of responder hosts: [(backend, server, row)]."""
    return [(r["pxname"], r["svname"], r) for r in rows
            if r.get("svname", "").startswith(prefix) and r.get("type") == "2"]


def answers_by_server(rows, prefix="resp"):
    """{server: HTTP answers it gave (all backends, every status class)}."""
    out = {}
    for _, server, r in server_rows(rows, prefix):
        n = sum(int(r.get(f"hrsp_{c}") or 0) for c in ("1xx", "2xx", "3xx", "4xx", "5xx", "other"))
        out[server] = out.get(server, 0) + n
    return out


def delta(after, before):
    return {k: after.get(k, 0) - before.get(k, 0) for k in set(after) | set(before)}


# --------------------------------------------------------------------------------------------------
# CPU per request and the projection
# --------------------------------------------------------------------------------------------------

def cpu_ms_per_request(cpu_seconds, requests):
    """{group: CPU seconds over the run} -> {group: CPU milliseconds per request}."""
    if not requests:
        return {k: 0.0 for k in cpu_seconds}
    return {k: v * 1000.0 / requests for k, v in cpu_seconds.items()}


def efficiency(rps_n, hosts, rps_1):
    """Per-host efficiency: throughput with N hosts ÷ (N × throughput with 1 host)."""
    if not rps_1 or not hosts:
        return None
    return rps_n / (hosts * rps_1)


def projection(ms_per_request, cores_per_machine, hosts_list=(1, 2, 3, 4, 6, 8, 12, 16)):
    """Throughput of N responder hosts on separate machines of `cores_per_machine` cores each,
    with the load balancer and the PostgreSQL primary on machines of their own of the same size.

    From the measured CPU per request: a responder host spends responder + nginx on each request
    it serves (scales with N); the load balancer spends haproxy on every request and PostgreSQL
    spends postgres (the primary's processes) on every request (neither scales with N; the standby
    applies the same WAL on a machine of its own, for less). Each machine's cores can be kept
    busy at most 100 %. Returns {"per_host": req/s, "lb": req/s, "db": req/s, "rows":
    [(N, req/s, the limiting part)]}; a part that costs nothing per request has no limit (None)."""
    host_ms = sum(ms_per_request.get(g, 0.0) for g in HOST_GROUPS)
    lb_ms = ms_per_request.get("haproxy", 0.0)
    db_ms = ms_per_request.get("postgres", 0.0)

    def cap(ms):
        return cores_per_machine * 1000.0 / ms if ms > 0 else None

    per_host, lb, db = cap(host_ms), cap(lb_ms), cap(db_ms)
    rows = []
    for n in hosts_list:
        limits = [(n * per_host, "responder hosts")] if per_host else []
        if lb:
            limits.append((lb, "load balancer"))
        if db:
            limits.append((db, "PostgreSQL"))
        rate, limit = min(limits) if limits else (0.0, "—")
        rows.append((n, rate, limit))
    return {"host_ms": host_ms, "lb_ms": lb_ms, "db_ms": db_ms,
            "per_host": per_host, "lb": lb, "db": db, "rows": rows}


# --------------------------------------------------------------------------------------------------
# BENCHMARKS.md
# --------------------------------------------------------------------------------------------------

def splice(document, section):
    """`document` with its cluster section (between BEGIN and END) replaced by `section`, or
    `section` appended when it has none. `section` is the text between the markers."""
    block = f"{BEGIN}\n{section.strip()}\n{END}\n"
    start, end = document.find(BEGIN), document.find(END)
    if start >= 0 and end > start:
        return document[:start] + block + document[end + len(END):].lstrip("\n")
    return document.rstrip("\n") + "\n\n" + block


def extract(document):
    """The cluster section of `document` with its markers ("" when it has none)."""
    start, end = document.find(BEGIN), document.find(END)
    if start >= 0 and end > start:
        return document[start:end + len(END)] + "\n"
    return ""


def committed_single_host_encrypt(document, conns=32):
    """req/s of "Encrypt (1 key)" at `conns` connections in a BENCHMARKS.md written by the
    single-host bench (None when it has no such row)."""
    m = re.search(rf"^\| Encrypt \(1 key\) \| {conns} \| ([0-9,]+) \|", document, re.M)
    return float(m.group(1).replace(",", "")) if m else None


def fmt(x, digits=0):
    return "—" if x is None else f"{x:,.{digits}f}"


def md_table(header, body):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in body]
    return "\n".join(out)


def heading_lines(heading, date, commit, quick, failures):
    """A part's heading, when and from what it was generated, and what made the run not clean."""
    lines = [heading, "", f"_Generated on {date}, commit `{commit}`"
             + (" — **quick mode**: short runs, not the reference figures" if quick else "") + "._", ""]
    if failures:
        lines += ["> **This run is not clean:**", ""] + [f"> - {f}" for f in failures] + [""]
    return lines


def section(data, committed=None):
    """The Markdown of the cluster section from clusterbench.py's results."""
    m, conf, runs = data["machine"], data["config"], data["runs"]
    lines = heading_lines("## Throughput with 1, 2 and 3 responder hosts (`scripts/kms bench --cluster`)", m["date"],
                          m["commit"], conf["quick"], data["failures"])
    lines += [f"Set-up: `scripts/kms cluster up --responders {conf['responders']} --standbys 1` on this machine "
              f"({m['nproc']} cores, {m['cpu_model']}): every host a network namespace on one bridge, all sharing "
              f"the same {m['nproc']} cores with wrk. wrk (`-t2`, pre-signed TC3 Encrypt requests, 64 bytes, "
              f"{conf['accounts']} accounts with one key each, chosen at random per request) sends plain HTTP to "
              "HAProxy on 127.0.0.1, which sends each request to a responder host's nginx over the bridge. The "
              "number of hosts in the pool is set with HAProxy's runtime socket (`set server … state maint` / "
              "`ready`), not by rebuilding the cluster; *direct* is wrk straight to resp1's nginx, no load "
              f"balancer. {conf['duration']} s per run; rate limiting and CPU budget off; "
              + (f"responder `{conf['responder_bin']}` (KMS_RESPONDER_BIN: not the release build); " if conf.get("responder_bin") else "release build; ")
              + "other work on the "
              f"machine before the start: {m['background_cores_before']:.2f} cores.", ""]
    body = []
    for r in runs:
        hosts = ", ".join(f"{h} {v:,.0f}" for h, v in sorted(r["per_host_rps"].items())) if r["per_host_rps"] else "—"
        body.append((r["label"], r["conns"], f"{r['rps']:,.0f}", f"{r['p50_ms']:.2f}", f"{r['p99_ms']:.2f}",
                     r["errors"], fmt(r.get("efficiency"), 2) if r.get("efficiency") is not None else "",
                     hosts, f"{r['pg']['commits_per_request']:.3f} / {r['pg']['inserted_per_request']:.3f}"
                     if r.get("pg") else "—",
                     "; ".join(r["flags"])))
    lines += [md_table(["Run", "Conns", "req/s", "p50 ms", "p99 ms", "Errors", "Per-host efficiency",
                        "Per-host req/s (HAProxy)", "PG commits / rows inserted per request", "Notes"], body), ""]
    tables = data.get("pg_inserts_by_table")
    if tables:
        lines += ["Rows PostgreSQL inserted per request through the load balancer, by table (`pg_stat_user_tables`, "
                  "all load-balancer runs): " + ", ".join(f"`{t}` {v:.3f}" for t, v in tables.items()) + ".", ""]
    lines += ["*Per-host efficiency* = req/s with N hosts ÷ (N × req/s with 1 host through the load balancer, same "
              "connections). *Per-host req/s* from the HAProxy server counters (`show stat`, HTTP answers) over the "
              "run. *PG per request* from `pg_stat_database` on the primary around the run.", ""]
    cpu_body = []
    for r in runs:
        ms = r["cpu_ms_per_request"]
        cpu_body.append((r["label"], r["conns"], *(f"{ms.get(g, 0.0):.3f}" for g in GROUPS),
                         f"{sum(ms.values()):.3f}", f"{r['cpu_cores'].get('total', 0):.2f}"))
    lines += ["### Where the cores go", "",
              "CPU seconds per 1,000 requests (= CPU milliseconds per request) by process group, from /proc: utime + "
              "stime of every process of the group (*responder* includes its supervisor; *nginx*, *responder* "
              "summed over the hosts in the pool); *wrk* from the bench's child rusage; *softirq* the machine's "
              "interrupt and softirq time (/proc/stat: mostly the packets over loopback, veths and the bridge); "
              "*other* the machine's remaining busy time in no group — other people's work on a shared machine. "
              "*cores busy*: the whole machine during the run.", "",
              md_table(["Run", "Conns", *GROUPS, "sum", "cores busy"], cpu_body), ""]
    proj = data.get("projection")
    if proj:
        p = proj["model"]
        src = proj["source"]
        lines += ["### Projection: N responder hosts on separate machines", "",
                  f"From the CPU per request of the run *{src['label']}, {src['conns']} connections*: a responder host "
                  f"spends {p['host_ms']:.3f} ms (responder + nginx) per request it serves, HAProxy "
                  f"{p['lb_ms']:.3f} ms and the PostgreSQL primary {p['db_ms']:.3f} ms per request of the whole "
                  f"cluster. With {proj['cores']} cores per machine and each part on machines of its own, one host "
                  f"serves at most {fmt(p['per_host'])} req/s, one HAProxy {fmt(p['lb'])} req/s, one PostgreSQL "
                  f"primary {fmt(p['db'])} req/s of Encrypt. Patroni and etcd cost time, not requests "
                  f"({proj['fixed_cores']:.2f} cores here, whatever the load).", "",
                  md_table(["Responder hosts", "Encrypt req/s (projected)", "Limited by"],
                           [(n, f"{rate:,.0f}", limit) for n, rate, limit in p["rows"]]), "",
                  "How far to trust it: it assumes every machine's cores can be kept 100 % busy and leaves out the "
                  "kernel's network work (*softirq* above) and the network itself — both make it optimistic. The "
                  "other way, the CPU per request was measured with every process waiting for one of the same two "
                  "cores (context switches, cold caches), which costs more than on machines of their own — that "
                  "makes it pessimistic per host. The load balancer's and PostgreSQL's limits are the ones that "
                  "matter for sizing: they do not grow with N (a second HAProxy, or fewer audit commits, does).", ""]
    if data.get("single_host"):
        s = data["single_host"]
        lines += [f"Compared with the single-host stack: **direct to one host** (same run, no load balancer) gave "
                  f"{fmt(s.get('direct_rps'))} req/s at {s['conns']} connections against {fmt(s.get('lb1_rps'))} "
                  f"through HAProxy with that one host in the pool ({fmt(s.get('lb_ratio'), 2)} × direct: the load "
                  "balancer's CPU and the second hop, on the same cores)"
                  + (f"; the committed single-host bench (`scripts/kms bench`, release build, quiet machine, plain "
                     f"loopback, PostgreSQL on the same host) has {fmt(committed)} req/s for Encrypt at 32 connections"
                     if committed else "") + ".", ""]
    if m.get("shared"):
        lines += ["> Measured on a machine shared with other work (see *other*): every figure here is noisy and "
                  "low. The committed figures are the lead's run on a quiet machine.", ""]
    return "\n".join(lines).rstrip() + "\n"


def write_section(path, data):
    """Replaces (or appends) the cluster section of BENCHMARKS.md at `path`: the throughput part
    from `data["runs"]` and the failover part from `data["failover"]`; a part this run did not
    measure (KMS_BENCH_CLUSTER_PHASES) keeps its text from the last run that did."""
    import failover_report
    try:
        with open(path) as f:
            document = f.read()
    except FileNotFoundError:
        document = "# Benchmarks\n"
    old = extract(document)[len(BEGIN):-len(END) - 1].strip("\n")
    old_throughput, heading, old_failover = old.partition(failover_report.HEADING)
    throughput = section(data, committed_single_host_encrypt(document)) if data.get("runs") else old_throughput
    failover = ("\n".join(failover_report.section(data["failover"])) if data.get("failover")
                else heading + old_failover)
    with open(path, "w") as f:
        f.write(splice(document, throughput.rstrip("\n") + "\n\n" + failover.strip("\n") + "\n"))
