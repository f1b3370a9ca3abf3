"""The table on stdout, BENCHMARKS.md and the chart, from the results of one run."""

import os
import shutil

from stack import serving_group

TRIVIAL = "ceiling: trivial FastCGI"
STATIC = "ceiling: nginx static"
ENCRYPT = "Encrypt (1 key)"


def find(results, name, conns):
    for r in results:
        if r["name"] == name and r["conns"] == conns:
            return r
    return None


def ratio_to_trivial(results, r):
    t = find(results, TRIVIAL, r["conns"])
    if not t or r["target"] == "trivial" or not t["rps"]:
        return None
    return r["rps"] / t["rps"]


def fmt_ms(x):
    return f"{x:.2f}" if x < 10 else f"{x:.1f}" if x < 1000 else f"{x:,.0f}"


def rows(data):
    out = []
    for r in data["results"]:
        ratio = ratio_to_trivial(data["results"], r)
        cpu = r["cpu"]
        out.append({
            "run": r["name"], "conns": r["conns"], "rps": f"{r['rps']:,.0f}", "p50": fmt_ms(r["p50_ms"]),
            "p99": fmt_ms(r["p99_ms"]), "errors": str(r["errors"]) + (" (exhausted)" if r["exhausted"] else ""),
            "ratio": f"{ratio:.2f}" if ratio is not None else "",
            "cpu": f"{cpu.get(serving_group(r['target']), 0):.2f} / {cpu['postgres']:.2f} / {cpu['nginx'] + cpu['trivial']:.2f} / "
                   f"{cpu['wrk']:.2f} / {cpu['other']:.2f}" if cpu else "",
            "flags": "; ".join(r["flags"] + ([r["note"]] if r["note"] else [])),
            "pg": (f"{r['pg_per_request']['commits']:.2f} / {r['pg_per_request']['wal_syncs']:.2f} / "
                   f"{r['pg_per_request']['inserted']:.2f} / {r['pg_per_request']['fetched']:.1f}"
                   if r.get("pg_per_request") else ""),
        })
    return out


def verdict(ok, *runs):
    """A target's verdict from whether it is met and the runs it rests on."""
    if not all(runs):
        return "NOT MEASURED"
    if any(r["flags"] for r in runs):
        return "FAIL (run had errors)"
    return "PASS" if ok else "FAIL"


def targets(data):
    """[(target, measured, verdict[, parts])] for the issue's targets, from this run only. ``parts``
    (where a target has figures to chart): [(what, value, goal, "≥" or "≤")], drawn normalised in
    docs/bench-targets.png (bench/charts.py)."""
    import ceiling_report  # imports this module: here, not at the top
    import feature_cost_report
    res, facts = data["results"], data["facts"]
    out = ceiling_report.targets(data)
    baseline = data["config"].get("baseline")
    if baseline:
        out.append(baseline_target(data, baseline))
    roots = [x for x in res if x["name"] == "Encrypt (1 key, as the root)"]
    subs = [x for x in res if x["name"] == "Encrypt (1 key, as the sub-user)"]
    if roots and subs:
        root = sum(x["rps"] for x in roots) / len(roots)
        sub = sum(x["rps"] for x in subs) / len(subs)
        p99 = lambda rs: sum(x["p99_ms"] for x in rs) / len(rs)  # noqa: E731
        out.append(("Encrypt as a CAM sub-user within 5 % of the account's root (same key, same load)",
                    f"{sub / root:.3f} × ({sub:,.0f} vs {root:,.0f} req/s, mean of {len(subs)} and {len(roots)} alternated "
                    f"runs; p99 {p99(subs):.2f} vs {p99(roots):.2f} ms)",
                    verdict(sub / root >= 0.95, *roots, *subs), [("Encrypt as a sub-user ÷ as the root", sub / root, 0.95, "≥")]))
    else:
        out.append(("Encrypt as a CAM sub-user within 5 % of the account's root", "—", "NOT MEASURED"))
    out += feature_cost_report.targets(data)
    r = find(res, "CreateKey", 32)
    d = facts.get("createkey_durability")
    if r and d:
        measured = (f"{r['rps']:,.0f}/s; {d['acknowledged']:,} acknowledged, {d['committed_after_crash']:,} in the "
                    f"database after a crash restart (fsync={d['settings'].get('fsync')}, "
                    f"synchronous_commit={d['settings'].get('synchronous_commit')})")
    else:
        measured = "—"
    out.append(("CreateKey ≥ 2,500/s, every acknowledged key durably committed", measured,
                verdict(bool(r and d and r["rps"] >= 2500 and d["durable"]), r),
                [("CreateKey per second", r["rps"], 2500, "≥")] if r else None))
    r = find(res, "GetParametersForImport", 32)
    r1 = find(res, "GetParametersForImport", 1)
    paced = next((x for x in res if x["name"].startswith("GetParametersForImport,") and "during Encrypt load" in x["name"]), None)
    saturated = (f"p50 {fmt_ms(r['p50_ms'])} ms at {r['rps']:.1f}/s" + (f", 1 connection p50 {fmt_ms(r1['p50_ms'])} ms" if r1 else "")
                 if r else "")
    if paced:
        out.append(("GetParametersForImport p50 ≤ 5 ms under load (a steady caller while Encrypt saturates the service)",
                    f"p50 {fmt_ms(paced['p50_ms'])} ms, p99 {fmt_ms(paced['p99_ms'])} ms at {paced['rps']:.1f}/s"
                    + (f"; saturated with 32 connections of its own: {saturated} (bound by RSA-2048 generation)" if r else ""),
                    verdict(paced["p50_ms"] <= 5, paced), [("GetParametersForImport p50 under load, ms", paced["p50_ms"], 5, "≤")]))
    else:
        out.append(("GetParametersForImport p50 ≤ 5 ms under load", saturated or "—", verdict(r and r["p50_ms"] <= 5, r)))
    ones = [x for x in res if x["name"] == "Encrypt (1 key, A/B)"]
    manys = [x for x in res if x["name"].startswith("Encrypt (") and x["name"].endswith("keys, A/B)")]
    cold1 = [x for x in res if x["name"] == "Encrypt (1 key, cold)"]
    coldn = [x for x in res if x["name"].startswith("Encrypt (") and x["name"].endswith("keys, cold)")]
    if ones and manys:
        one = sum(x["rps"] for x in ones) / len(ones)
        many = sum(x["rps"] for x in manys) / len(manys)
        ratio = many / one
        mk = facts.get("many_keys", {})
        cold = (f"; cold cache, right after creating the keys: {coldn[0]['rps'] / cold1[0]['rps']:.2f} × "
                f"({coldn[0]['rps']:,.0f} vs {cold1[0]['rps']:,.0f})") if cold1 and coldn else ""
        out.append((f"Encrypt with {mk.get('keys', 0):,} keys in {mk.get('accounts', 0)} accounts within 10 % of one key",
                    f"{ratio:.2f} × with every key in use ({many:,.0f} vs {one:,.0f} req/s, mean of 2 alternated runs each){cold}",
                    verdict(ratio >= 0.9, *ones, *manys), [("Encrypt over many keys ÷ one key", ratio, 0.9, "≥")]))
    else:
        out.append(("Encrypt with 100,000 keys within 10 % of one key", "—", "NOT MEASURED"))
    mem = facts.get("responder_memory", {})
    rss = mem.get("VmRSS", "")
    try:
        mib = int(rss.split()[0]) / 1024
        out.append(("Responder resident memory ≤ 100 MiB at the end of the run",
                    f"{mib:.1f} MiB (peak {int(mem.get('VmHWM', '0 kB').split()[0]) / 1024:.1f} MiB, "
                    f"{mem.get('Threads', '?')} threads)", "PASS" if mib <= 100 else "FAIL", [("responder resident memory, MiB", mib, 100, "≤")]))
    except (ValueError, IndexError):
        out.append(("Responder resident memory ≤ 100 MiB", "—", "NOT MEASURED"))
    fair = next((x for x in res if x.get("mode") == "fairness"), None)
    if fair:
        f = fair["fairness"]
        answers = ", ".join(f"{k} {v}" for k, v in sorted(f["hammer_codes"].items()))
        out.append(("Tenant B's Encrypt p50 ≤ 1.5 × quiet while tenant A hammers GetParametersForImport",
                    f"{f['ratio']:.2f} × ({fmt_ms(f['loaded_p50_ms'])} vs {fmt_ms(f['quiet_p50_ms'])} ms quiet; "
                    f"A's {f['hammer_processes']} processes got {answers}; KMS_CPU_BUDGET={f['cpu_budget_ms_per_s']})",
                    verdict(f["ratio"] <= 1.5, fair), [("tenant B Encrypt p50, loaded ÷ quiet", f["ratio"], 1.5, "≤")]))
    else:
        out.append(("Tenant B's Encrypt p50 ≤ 1.5 × quiet while tenant A hammers GetParametersForImport", "—",
                    "NOT MEASURED"))
    r = find(res, "ImportKeyMaterial", 32)
    name = "ImportKeyMaterial ≥ 1,000/s, 32 connections (RSA-2048 private decryption is the floor)"
    if r:
        # openssl speed's rsa2048 private-key operations per second of one core (the asymmetric
        # phase measures it), when this run has it.
        rsa = ((data["facts"].get("openssl_speed") or {}).get("rates", {}).get("rsa2048") or {}).get("sign_per_s")
        floor = f"; openssl speed rsa2048: {rsa:,.0f} private-key operations/s per core, so {r['rps'] / rsa:.2f} × one core's" if rsa else ""
        out.append((name, f"{r['rps']:,.0f}/s, p50 {fmt_ms(r['p50_ms'])} ms, p99 {fmt_ms(r['p99_ms'])} ms over {r['requests']} imports{floor}",
                    verdict(r["rps"] >= 1000, r), [("ImportKeyMaterial per second", r["rps"], 1000, "≥")]))
    else:
        out.append((name, "—", "NOT MEASURED"))
    import asymmetric_report  # imports this module: here, not at the top
    out += asymmetric_report.targets(data)
    return out


def baseline_runs(data, baseline):
    """This checkout's and the baseline's Encrypt runs at the load point (same pool, same run)."""
    conns = data["config"].get("load_conns", 32)
    res = data["results"]
    after = [r for r in res if r["name"] == ENCRYPT and r["conns"] == conns]
    before = [r for r in res if r["name"] == f"Encrypt (1 key, baseline {baseline})" and r["conns"] == conns]
    return conns, before, after


def baseline_target(data, baseline):
    """Encrypt no slower than the baseline: the mean of the alternated runs of each. A difference
    under 3 % is within what two runs of the same binary differ by on this machine, so 0.97 passes."""
    conns, before, after = baseline_runs(data, baseline)
    name = f"Encrypt no slower than before (baseline `{baseline}`, same run, {conns} connections)"
    if not before or not after:
        return (name, "—", "NOT MEASURED")
    b = sum(r["rps"] for r in before) / len(before)
    a = sum(r["rps"] for r in after) / len(after)
    each_after = ", ".join(f"{r['rps']:,.0f}" for r in after)
    each_before = ", ".join(f"{r['rps']:,.0f}" for r in before)
    measured = (f"{a / b:.3f} × ({a:,.0f} vs {b:,.0f} req/s, mean of {len(after)} and {len(before)} alternated runs; "
                f"each run: {each_after} vs {each_before})")
    p = data.get("profile") or {}
    c, cb = p.get("callgrind"), p.get("callgrind_baseline")
    if c and cb and "error" not in c and "error" not in cb:
        measured += (f"; callgrind: {c['instructions_per_request']:,} vs {cb['instructions_per_request']:,} "
                     "instructions per Encrypt")
    return (name, measured, verdict(a / b >= 0.97, *before, *after))


def print_table(data):
    table = rows(data)
    print()
    head = f"{'run':<34} {'conns':>5} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'÷trivial':>8}  cpu resp/pg/nginx/wrk/other"
    print(head)
    print("-" * len(head))
    for r in table:
        print(f"{r['run']:<34} {r['conns']:>5} {r['rps']:>9} {r['p50']:>8} {r['p99']:>8} {r['errors']:>7} "
              f"{r['ratio']:>8}  {r['cpu']}" + (f"   ! {r['flags']}" if r["flags"] else ""))
    print()
    for target, measured, outcome, *_ in targets(data):
        print(f"{outcome:<22} {target}: {measured}")
    print()
    import asymmetric_report
    asymmetric_report.print_table(data)


def chart(cfg, data):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    res = data["results"]
    fig, ax = plt.subplots(figsize=(8, 5), dpi=110)
    for name, label, style in ((STATIC, "nginx alone (return 200)", "s--"),
                               (TRIVIAL, "trivial FastCGI responder (C, libfcgi)", "o--"),
                               (ENCRYPT, "Encrypt, one key", "D-")):
        pts = sorted((r["conns"], r["rps"]) for r in res if r["name"] == name)
        if pts:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], style, label=label, linewidth=2, markersize=6)
    many = [r for r in res if r["name"].endswith("keys, A/B)")]
    if many:
        mean = sum(r["rps"] for r in many) / len(many)
        ax.plot([many[0]["conns"]], [mean], "*", markersize=14, color="tab:red",
                label=f"Encrypt, {data['facts'].get('many_keys', {}).get('keys', 0):,} keys (mean of {len(many)})")
    ax.set_xscale("log", base=2)
    concs = sorted({r["conns"] for r in res if r["name"] == ENCRYPT})
    ax.set_xticks(concs)
    ax.set_xticklabels([str(c) for c in concs])
    ax.set_xlabel("wrk connections (2 threads)")
    ax.set_ylabel("requests / s")
    ax.set_ylim(bottom=0)
    ax.grid(True, alpha=0.3)
    m = data["machine"]
    ax.set_title(f"Throughput against concurrency — {m['nproc']} cores, wrk on the same cores\n"
                 f"{m['date']}, commit {m['commit']}", fontsize=10)
    ax.legend(fontsize=9)
    fig.tight_layout()
    path = os.path.join(cfg.results, "encrypt-throughput.png")
    fig.savefig(path)
    plt.close(fig)
    os.makedirs(os.path.dirname(cfg.chart_copy), exist_ok=True)
    shutil.copyfile(path, cfg.chart_copy)
    return path


def md_table(header, body):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for row in body:
        out.append("| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |")
    return "\n".join(out)


def profile_section(data, cfg):
    p = data.get("profile")
    lines = ["## Profile", ""]
    findings = os.path.join(cfg.repo, "bench", "profile-findings.md")
    if os.path.exists(findings):
        with open(findings) as f:
            lines += [f.read().strip(), ""]
    if not p:
        lines += ["_The profiling step did not run (`--no-profile`, or the run failed before it)._", ""]
        return lines
    if "error" in p and len(p) == 1:
        lines += [f"_The profiling step failed: {p['error']}_", ""]
        return lines
    lines += ["### Profile data of this run", "",
              f"- `perf stat -e instructions true`: hardware counters "
              f"{'available' if p.get('hardware_counters') else '**not available** (`<not supported>`)'} → main profiler: "
              f"**{p.get('main_profiler')}**; perf with the software clock (`-e cpu-clock`, sampling at 499 Hz, `-g`) "
              "for the whole machine.", ""]
    for key, title in (("encrypt", "Encrypt"), ("createkey", "CreateKey")):
        e = p.get(key)
        if not e or "error" in e:
            continue
        lines += [f"**{title} at 32 connections** ({e['rps']:,.0f} req/s while profiled, p50 {e['p50_ms']:.2f} ms)", ""]
        if e.get("process_split_pct"):
            lines += ["CPU samples by process (perf -a, cpu-clock; 100 % = both cores): "
                      + ", ".join(f"{k} {v:.1f} %" for k, v in e["process_split_pct"].items()), ""]
        pr = e["per_request"]
        lines += [f"PostgreSQL per request: {pr['xact_commit']:.2f} commits, {pr['xact_rollback']:.2f} rollbacks, "
                  f"{pr['tup_inserted']:.2f} rows inserted, {pr['tup_updated']:.2f} updated, {pr['tup_fetched']:.2f} fetched, "
                  f"{pr['wal_records']:.2f} WAL records, {pr['wal_bytes']:.0f} WAL bytes, {pr['wal_sync']:.3f} WAL syncs (fsync).", ""]
        w = e["waits"]
        if w["avg_backends"]:
            lines += [f"Backends busy, by wait event (mean over {w['samples']} samples of pg_stat_activity): "
                      + ", ".join(f"`{k}` {v}" for k, v in list(w["avg_backends"].items())[:8]), ""]
        if e.get("responder_dso_pct"):
            lines += ["The responder's own samples by library (100 % = the responder's samples, kernel included): "
                      + ", ".join(f"{d} {p_:.1f} %" for p_, d in e["responder_dso_pct"][:8]), ""]
        if e.get("responder_top_symbols") and key == "encrypt":
            lines += ["<details><summary>Responder's top symbols under perf (self, % of the responder's samples)</summary>", "",
                      md_table(["%", "symbol"], [(f"{p_:.2f}", f"`{s[:150]}`") for p_, s in e["responder_top_symbols"][:25]]),
                      "", "</details>", ""]
    for name in ("encrypt", "createkey", "strace", "callgrind", "callgrind_baseline"):
        if isinstance(p.get(name), dict) and "error" in p[name]:
            lines += [f"_Profiling step {name} failed: {p[name]['error']}_", ""]
    s = p.get("strace")
    if s and "error" not in s:
        lines += [f"**System calls per Encrypt** (strace -f on the responder, {s['requests']} sequential requests; "
                  f"worker threads: {s['worker_threads_seen']} seen)", "",
                  "- worker thread: " + ", ".join(f"`{k}` {v}" for k, v in s["worker_syscalls_per_request"].items()),
                  "- other threads (audit writer, cache invalidation, pools): "
                  + (", ".join(f"`{k}` {v}" for k, v in s["other_threads_syscalls_per_request"].items()) or "none"), ""]
    cb = p.get("callgrind_baseline")
    if cb and "error" not in cb:
        lines += [f"**callgrind of the baseline** (`{data['config'].get('baseline')}`, same flags, same stack, same load): "
                  f"**{cb['instructions_per_request']:,} instructions per Encrypt** over {cb['requests']:,} Encrypts; "
                  "self cost by category: " + ", ".join(f"{cat} {pct:.1f} %" for pct, cat in cb["categories_pct"][:8]), ""]
    c = p.get("callgrind")
    if c and "error" not in c:
        lines += [f"**callgrind**: {c['requests']:,} Encrypts (4 connections), collecting in "
                  + ", ".join(f"`{t}`" for t in c["toggles"])
                  + f" — **{c['instructions_per_request']:,} instructions per Encrypt** in the responder "
                  "(user space only: system calls and waiting are not instructions; the audit writer's batched "
                  "flush is included, the key-generation and master-key threads are not). Valgrind does not "
                  "emulate SHA-NI or AVX-512, so OpenSSL takes slower paths under it than natively: libcrypto's "
                  "share here is an upper bound (perf's figure above is the native one).", "",
                  "Self cost by category:", "",
                  md_table(["% of Ir", "category"], [(f"{pct:.1f}", cat) for pct, cat in c["categories_pct"]]), "",
                  "Inclusive cost of the request's phases (callgrind, % of all collected instructions; instructions per request):", "",
                  md_table(["phase", "% Ir", "Ir / request"], [(lab, f"{pct:.1f}", f"{n:,}") for lab, pct, n in c["inclusive"] if n]), "",
                  "Calls per request: " + ", ".join(f"`{k}` {v}" for k, v in c["calls_per_request"].items()), ""]
        if c.get("callees"):
            lines += ["Where the biggest phases spend it (direct callees, inclusive instructions per request):", ""]
            for fn, n, kids in c["callees"]:
                lines += [f"- `{fn[:120]}` — {n:,}/request"]
                lines += [f"  - `{k[:120]}` {kn:,} ({kc:g} calls)" for k, kn, kc in kids]
            lines += [""]
        lines += [
                  "<details><summary>Top 30 functions by self cost (callgrind)</summary>", "",
                  md_table(["% Ir", "function", "object"], [(f"{pct:.2f}", f"`{fn[:140]}`", ob) for pct, fn, ob in c["top_self"]]),
                  "", "</details>", ""]
    lines += ["Raw data: `bench/results/profile/` (callgrind.out for `callgrind_annotate`/kcachegrind, perf data, "
              "strace log; not committed).", ""]
    return lines


def asymmetric_section(data):
    import asymmetric_report  # imports this module: here, not at the top
    return asymmetric_report.section(data)


def draw_charts(cfg, data):
    """{name: path} of the charts drawn (docs/bench-*.png); one that fails is left out, logged."""
    import charts  # imports this module: here, not at the top
    drawn = {}
    for name, draw in (("encrypt", lambda: chart(cfg, data)), ("ceiling", lambda: charts.ceiling_chart(cfg, data)),
                       ("features", lambda: charts.features_chart(cfg, data)),
                       ("targets", lambda: charts.targets_chart(cfg, data, targets(data)))):
        try:
            path = draw()
        except Exception as exc:  # the report without a chart is still worth having
            print(f"bench: chart {name} failed: {exc!r}")
            continue
        if path:
            drawn[name] = path
    return drawn


def write(cfg, data):
    import ceiling_report  # these import this module: here, not at the top
    import feature_cost_report
    print_table(data)
    charts = draw_charts(cfg, data)
    chart_path = charts.get("encrypt")
    m, conf = data["machine"], data["config"]
    res = data["results"]
    lines = ["# Benchmarks", "",
             f"_Generated by `scripts/kms bench` on {m['date']} — regenerate, do not edit; the findings in "
             "**Profile** come from `bench/profile-findings.md`._", ""]
    if conf["quick"]:
        lines += ["> **Quick mode** (`--quick`): short runs and fewer keys — not the reference figures.", ""]
    if data["failures"]:
        lines += ["> **This run is not clean** — its figures are flagged below:", ""]
        lines += [f"> - {f}" for f in data["failures"]] + [""]
    lines += ["## Machine and set-up", "",
              md_table(["", ""], [
                  ("CPU", f"{m['nproc']} × {m['cpu_model']} (`nproc` = {m['nproc']}), {m['memory_gib']} GiB RAM, kernel {m['kernel']}"),
                  ("Date", m["date"]),
                  ("Code", f"commit `{m['commit']}`" + (f"; uncommitted changes: `{' '.join(m['dirty_sources'].split())}`"
                                                          if m["dirty_sources"] else "; Sources/ and SQL/ clean")),
                  ("Stack", f"nginx ({m['nginx']}) → kms-responder, {conf['workers']} worker threads → {m['postgres']}; "
                            "rate limiting off; everything on these cores"),
                  ("Load", f"{m['wrk']}: `-t2 -cN -d{conf['duration']}s --timeout {conf['timeout']} --latency`, "
                           "plain HTTP on 127.0.0.1, kept-alive connections"),
                  ("Other work on the machine", f"{m['background_cores_before']:.2f} cores busy before the start"
                                               + (f" (after waiting {m['waited_for_quiet_s']} s for it to quieten)" if m.get("waited_for_quiet_s") else "")
                                               + f", load average {' '.join(m['loadavg_before'])}; during each run in the CPU column "
                                               "(*other*) — this machine is shared, and its neighbours' work lowers every figure"),
              ]), "",
              "## Targets", "",
              md_table(["Target", "Measured (this run)", "Verdict"], [t[:3] for t in targets(data)]), "",
              *(["![Each target's measured figure against its goal](docs/bench-targets.png)", ""] if charts.get("targets") else []),
              *ceiling_report.section(data, charts.get("ceiling")),
              *feature_cost_report.section(data, charts.get("features")),
              *asymmetric_section(data),
              "## Results", "",
              "Each row is one wrk run; *÷ trivial* is the run's requests/s divided by the trivial FastCGI responder's at the "
              "same number of connections. *CPU* is cores used during the run by the responder / PostgreSQL (all backends) / "
              "nginx + trivial responder / wrk / everything else on the machine (from /proc). *PG per request* is from "
              "`pg_stat_database` and `pg_stat_wal` around the run, divided by the run's requests: it includes the audit "
              "writer's batched inserts (which can lag a loaded run and drain in the next one) and the scheduled worker, "
              "so it is only meaningful for runs of many requests per second.", "",
              md_table(["Run", "Conns", "req/s", "p50 ms", "p99 ms", "Errors", "÷ trivial", "CPU resp/pg/nginx/wrk/other",
                        "PG per request: commits / WAL syncs / rows inserted / rows fetched", "Notes"],
                       [(r["run"], r["conns"], r["rps"], r["p50"], r["p99"], r["errors"], r["ratio"], r["cpu"], r["pg"], r["flags"])
                        for r in rows(data)]), ""]
    if chart_path:
        lines += ["![Throughput against concurrency](docs/bench-encrypt.png)", ""]
    f = data["facts"]
    tables = []
    for r in res:
        pr = r.get("pg_per_request") or {}
        per_table = {k: v for k, v in pr.items() if "." in k and v}
        if per_table and r["conns"] == 32 and (r["name"] in ("Encrypt (1 key)", "Decrypt", "GenerateDataKey", "DescribeKey", "GetDataKeyPlaintext",
                                                              "CreateKey", "GetParametersForImport", "ImportKeyMaterial")
                                               or r["name"].endswith("keys, A/B)")):
            tables.append((r["name"], ", ".join(f"`{k}` {v:g}" for k, v in sorted(per_table.items()))))
    if tables:
        lines += ["<details><summary>PostgreSQL table activity per request (pg_stat_user_tables, 32-connection runs)</summary>", "",
                  md_table(["Run", "per request"], tables), "", "</details>", ""]
    lines += ["### Details", ""]
    if "createkey_durability" in f:
        d = f["createkey_durability"]
        lines += [f"- **CreateKey durability**: wrk counted {d['acknowledged']:,} successful CreateKey answers; PostgreSQL was "
                  "then stopped like a crash (`pg_ctl stop -m immediate`: no shutdown checkpoint, WAL replay at start) and "
                  f"restarted; {d['committed_after_crash']:,} new keys were in the database "
                  f"({'every acknowledged key is there' if d['durable'] else '**acknowledged keys are missing**'}; up to "
                  f"{d['in_flight_allowance']} more can be requests in flight when wrk stopped). Settings: "
                  + ", ".join(f"`{k}={v}`" for k, v in d["settings"].items()) + "."]
    if "many_keys" in f:
        mk = f["many_keys"]
        lines += [f"- **Many keys**: {mk['accounts']} accounts with {mk['keys']:,} enabled keys, all created through the API "
                  f"(the CreateKey run plus {mk['fill_created']:,} more from concurrent Python clients in {mk['fill_seconds']:.0f} s). "
                  "The many-keys pools pick account and key uniformly at random for every request. *Cold*: measured right "
                  "after the keys were created, so most requests are a key's first use (a cache miss and a database "
                  "lookup); then one pass uses every key once (fixed work); *A/B*: one key and many keys alternated twice "
                  "with every key in the responder's cache (200,000 entries, 300 s lifetime) — the steady state, on which "
                  "the target is judged."]
    if "import_tokens" in f:
        it = f["import_tokens"]
        lines += [f"- **ImportKeyMaterial**: {it['tokens']} tokens from GetParametersForImport in {it['seconds']:.0f} s "
                  f"({it['per_second']}/s — each is an RSA-2048 key generation on the server), material wrapped with "
                  "RSAES_OAEP_SHA_256; measured as a fixed amount of work (each import sent once, the run ends when all are "
                  "answered) because a token pool for a fixed 10 s run would take minutes to make."]
    if "responder_memory" in f:
        mm = f["responder_memory"]
        lines += [f"- **Responder memory** at the end of the measured runs (before profiling): VmRSS {mm.get('VmRSS')}, "
                  f"VmHWM {mm.get('VmHWM')}, {mm.get('Threads')} threads."]
    lines += ["", "## Method", "",
              "- `scripts/kms bench` brings up its own stack (`KMS_HOME=/tmp/kms-bench.XXXXXX`, ports 28180/28543, "
              "`KMS_RATE_LIMIT=0`), builds `bench/trivial_fcgi.c` with gcc against libfcgi and restarts that stack's nginx "
              "with one more server block (port 28181): `location = /static { return 200 '{}'; }` and a `location /` that is "
              "a copy of the product's (every `fastcgi_*` setting, `fastcgi_keep_conn on`) passing to the trivial responder "
              "directly, not through a kept-alive upstream (libfcgi's accept loop binds a thread to a kept connection, so "
              "nginx closes the connection after each request here) "
              "(same worker count, fixed `{\"Response\":{\"RequestId\":\"x\"}}`, `Content-Type: application/json`). The "
              "product's nginx template is not changed; the ceilings share the product's `http {}` settings (2 workers, "
              "access log, keep-alive).",
              "- Requests are TC3-HMAC-SHA256-signed in Python seconds before each run (`bench/tc3.py`; wrk's LuaJIT has no "
              "HMAC) and replayed by `bench/pool.lua`; a run ends well within the 300 s validity and the bench checks it. "
              "Encrypt: 64 random bytes per request, no context; Decrypt: 512 distinct ciphertexts; GenerateDataKey: "
              "AES_256; GetDataKeyPlaintext: one hosted data key (AES_256); GetParametersForImport: RSA_2048 / RSAES_OAEP_SHA_256 over 64 EXTERNAL keys. The ceilings get the "
              "same Encrypt request bytes.",
              "- Checks: before every run a sample of its pool is sent once from Python and each answer must be HTTP 200, "
              "`Content-Type: application/json`, no `Error`, and carry the action's fields; for pools whose requests may "
              "only be used once (CreateKey aliases, import tokens) the checked requests are removed from the pool. During "
              "the run the Lua `response()` callback counts every non-200 status and every body containing `\"Error\"`; "
              "socket errors and timeouts count too. A pool that runs out makes the thread resend its first request (which "
              "the service must refuse) and is reported as a failure, never as throughput.",
              "- CreateKey's pool is sized at 1.5 × the Encrypt rate × the duration (nothing the responder does is cheaper "
              "than Encrypt); a run that exhausted it would be flagged.",
              "- Between runs the bench waits until the stack is idle (e.g. the RSA key generations that "
              "GetParametersForImport leaves behind).",
              "- **Honest ceiling** (`bench/ceiling_phase.py`): the same trivial responder behind a minimal nginx of its "
              "own (`worker_processes auto`, `access_log off`, no TLS, the product's `fastcgi_params`), one configuration "
              "per port 28183–28187: 4, 8 and 16 responder threads without upstream keep-alive, 32 and 48 with "
              "`keepalive 16` + `fastcgi_keep_conn on`, each driven by wrk `-t1` and `-t2` at 32 connections. The "
              "fastest point without errors is the ceiling every Encrypt/Decrypt ratio target is set against; the "
              "ratio to the trivial responder behind the product's settings stays as a row for continuity.",
              "- **Cost of the safety features** (`bench/feature_cost_phase.py`): for the replay memory, the per-account "
              "budgets, the metrics and the JSON request log, Encrypt on a responder with every feature on (port "
              "28188) against one with that feature off (28189–28192), alternated ABBA, same database, same nginx "
              "settings; the replay memory and the metrics are switched off with the responder's `--bench-off`, "
              "which `scripts/kms up` refuses.",
              "- p50/p99 are wrk's (`latency:percentile()`), i.e. per request including queueing in nginx; requests/s is "
              "answered requests ÷ wrk's run time.", ""]
    if conf.get("baseline"):
        lines[-1:] = ["- **Before/after** (`--baseline REV`): the responder built from `REV` (release, from `git archive`) ran "
                      "beside this checkout's, with the same flags against the same database, behind a copy of the product's "
                      "`location /` on port 28182. Its Encrypt runs alternate with this checkout's at every concurrency "
                      "(the order flips from one concurrency to the next) and three more pairs in ABBA order at 32 "
                      "connections; the target compares the means. With profiling, callgrind counts both binaries' "
                      "instructions per Encrypt under the same load.", ""]
    lines += profile_section(data, cfg)
    # The cluster bench's section (scripts/kms bench --cluster) is another run's: kept as it is.
    import cluster_report
    try:
        with open(cfg.report) as fh:
            kept = cluster_report.extract(fh.read())
    except FileNotFoundError:
        kept = ""
    with open(cfg.report, "w") as fh:
        fh.write("\n".join(lines).rstrip() + "\n" + ("\n" + kept if kept else ""))
    print(f"bench: wrote {cfg.report}" + (f" and {', '.join(sorted(charts.values()))}" if charts else ""))


if __name__ == "__main__":
    # Re-writes BENCHMARKS.md and the chart from bench/results/results.json without measuring
    # again (e.g. after editing bench/profile-findings.md): python3 bench/report.py
    import json
    import types

    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    cfg = types.SimpleNamespace(repo=repo, results=os.path.join(repo, "bench", "results"),
                                report=os.path.join(repo, "BENCHMARKS.md"),
                                chart_copy=os.path.join(repo, "docs", "bench-encrypt.png"))
    with open(os.path.join(cfg.results, "results.json")) as f:
        write(cfg, json.load(f))
