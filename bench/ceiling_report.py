"""The honest ceiling's part of the report (bench/ceiling_phase.py's sweep): the table of every
sweep point, the one that won, and the targets set against it — Encrypt ≥ 0.7 × the honest ceiling
with p99 ≤ 5 ms at 32 connections (one verdict), Decrypt ≥ 0.7 × the honest ceiling — with the old
ratio to the bench's trivial responder kept as a row of its own for continuity.

Pure functions of the results (bench/results/results.json), tested in
Tests/e2e/test_bench_honest_ceiling.py.
"""

from ceiling_phase import CONNS, fastest_clean
from report import ENCRYPT, TRIVIAL, find, fmt_ms, md_table, verdict

RATIO = 0.7
P99_LIMIT_MS = 5.0
DECRYPT = "Decrypt"


def points(data):
    """The sweep's runs, in the order they ran."""
    return [r for r in data["results"] if "ceiling" in r]


def ceiling(data):
    """The honest ceiling: the fastest sweep point without errors, or None."""
    return fastest_clean(points(data))


def describe(point):
    c = point["ceiling"]
    return f"{c['config']}, wrk -t{c['wrk_threads']} -c{point['conns']}"


def ratio_target(data, action, top):
    """[(name, measured, verdict, parts)] for ``action`` ≥ RATIO × the honest ceiling (for Encrypt
    with p99 ≤ 5 ms as well, in one verdict)."""
    r = find(data["results"], action, CONNS)
    word = action.split(" ")[0]
    with_p99 = action == ENCRYPT
    name = (f"{word} ≥ {RATIO:g} × the honest ceiling" + (f" and p99 ≤ {P99_LIMIT_MS:g} ms" if with_p99 else "")
            + f", {CONNS} connections")
    if not r or not top:
        return (name, "—", verdict(False, r, top))
    ratio = r["rps"] / top["rps"]
    measured = f"{ratio:.2f} × ({r['rps']:,.0f} vs {top['rps']:,.0f} req/s)"
    parts = [(f"{word} ÷ honest ceiling, {CONNS} connections", ratio, RATIO, "≥")]
    ok = ratio >= RATIO
    if with_p99:
        measured += f"; p99 {fmt_ms(r['p99_ms'])} ms (p50 {fmt_ms(r['p50_ms'])} ms)"
        parts.append((f"{word} p99 at {CONNS} connections, ms", r["p99_ms"], P99_LIMIT_MS, "≤"))
        ok = ok and r["p99_ms"] <= P99_LIMIT_MS
    return (name, measured, verdict(ok, r, top), parts)


def targets(data):
    """The honest ceiling's row, the Encrypt and Decrypt targets against it, and the continuity row."""
    top = ceiling(data)
    out = [("Honest ceiling: the fastest trivial FastCGI responder this machine runs (every ratio below is against it)",
            f"{top['rps']:,.0f} req/s, p50 {fmt_ms(top['p50_ms'])} ms, p99 {fmt_ms(top['p99_ms'])} ms — {describe(top)}"
            if top else "—", "—" if top else "NOT MEASURED")]
    out += [ratio_target(data, ENCRYPT, top), ratio_target(data, DECRYPT, top)]
    enc, trivial = find(data["results"], ENCRYPT, CONNS), find(data["results"], TRIVIAL, CONNS)
    out.append(("(continuity, no target) Encrypt ÷ the bench's trivial responder behind the product's nginx settings, "
                f"{CONNS} connections",
                f"{enc['rps'] / trivial['rps']:.2f} × ({enc['rps']:,.0f} vs {trivial['rps']:,.0f} req/s)"
                if enc and trivial else "—", "—"))
    return out


def section(data, chart_path):
    """The "Honest ceiling" section of BENCHMARKS.md (nothing when the sweep did not run)."""
    runs = points(data)
    if not runs:
        return []
    top = ceiling(data)
    seconds = data["facts"].get("honest_ceiling", {}).get("seconds_per_point", "")
    body = []
    for r in runs:
        c = r["ceiling"]
        body.append((c["config"], f"-t{c['wrk_threads']} -c{r['conns']}", f"{r['rps']:,.0f}", fmt_ms(r["p50_ms"]),
                     fmt_ms(r["p99_ms"]), r["errors"], "; ".join(r["flags"] + ([r["note"]] if r["note"] else [])),
                     "**honest ceiling**" if r is top else ""))
    lines = ["## Honest ceiling", "",
             "The fastest trivial responder this machine can run, which the Encrypt and Decrypt targets are set against "
             "(issue 17). The same C responder as the bench's other ceiling (`bench/trivial_fcgi.c`: read the request, "
             "answer a fixed 30-byte JSON document) behind a minimal nginx of its own (`worker_processes auto`, "
             "`access_log off`, `keepalive_requests 1000000`, no TLS, the product's `fastcgi_params`, its conf rendered "
             "into the bench home), one "
             "configuration per port (28183–28187). The sweep: no upstream keep-alive (a FastCGI connection per "
             "request) with 4, 8 and 16 responder threads; `upstream { keepalive 16; }` + `fastcgi_keep_conn on` with "
             "32 and 48 threads (libfcgi binds a thread to a kept connection, so threads ≥ kept connections × nginx "
             f"workers); each driven by wrk `-t1` and `-t2` with {CONNS} connections for {seconds} s, with the same "
             "Encrypt request bytes as every other run. The fastest point without errors wins. The machine is shared: "
             "the *Notes* column says how many cores other processes took during a point, and a point they slowed "
             "is slower here than this machine can go.", "",
             md_table(["Configuration", "wrk", "req/s", "p50 ms", "p99 ms", "Errors", "Notes", ""], body), ""]
    if top:
        lines += [f"**Honest ceiling: {top['rps']:,.0f} req/s** (p50 {fmt_ms(top['p50_ms'])} ms, p99 "
                  f"{fmt_ms(top['p99_ms'])} ms) — {describe(top)}.", ""]
    else:
        lines += ["**No sweep point ran without errors: there is no honest ceiling in this run.**", ""]
    if chart_path:
        lines += ["![The honest-ceiling sweep](docs/bench-ceiling.png)", ""]
    return lines
