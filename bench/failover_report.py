"""The failover phase of `scripts/kms bench --cluster`: its timeline read into figures, its part of
the cluster section of BENCHMARKS.md, and docs/bench-failover.png. Pure functions (no I/O except
`chart`), shared by bench/failover_phase.py and the unit tests
(Tests/cluster/test_bench_failover_timeline.py).

A timeline (what failover_phase.py records) is a dict:
  "kill": Unix seconds of the kill -9, "killed": the old primary's host name,
  "records": FailoverLoad's records ({"action", "sent", "answered", "outcome", "key_id"}),
  "events": FailoverWatch's events ({"t", "what": "primary"|"readyz", "host"?, "value"}),
  "present": the acknowledged KeyIds DescribeKey found on the new primary afterwards,
  "unchecked": those DescribeKey could not answer for (counted as not shown present),
  "config": {"encrypt_rate", "create_rate", "timeout", "stale_seconds", …}.
"""

import statistics

import cluster_report
from cluster_report import md_table

HEADING = "## What a PostgreSQL failover costs the requests in flight (`scripts/kms bench --cluster`)"


def _latency(r):
    return r["answered"] - r["sent"]


def _percentile(values, q):
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def errors_by_code(records):
    """{action: {outcome: count}} of every request that did not succeed."""
    out = {}
    for r in records:
        if r["answered"] is not None and r["outcome"] != "OK":
            out.setdefault(r["action"], {})
            out[r["action"]][r["outcome"]] = out[r["action"]].get(r["outcome"], 0) + 1
    return {a: dict(sorted(c.items(), key=lambda x: -x[1])) for a, c in sorted(out.items())}


def promotion(timeline):
    """Seconds from the kill to the first moment another host was seen primary (None: never)."""
    kill, killed = timeline["kill"], timeline["killed"]
    for e in timeline["events"]:
        if e["what"] == "primary" and e["t"] >= kill and e["value"] not in (None, killed):
            return e["t"] - kill
    return None


def healthy_after(records, action, kill):
    """Seconds from the kill until `action` was healthy for good: the answer of the last failed
    request of that action answered after the kill (0.0 when none failed), or None when no
    request of it succeeded after that (never healthy within the run)."""
    answered = [r for r in records if r["action"] == action and r["answered"] is not None and r["answered"] >= kill]
    failed = [r["answered"] for r in answered if r["outcome"] != "OK"]
    last_failure = max(failed) if failed else kill
    if not any(r["outcome"] == "OK" and r["sent"] >= last_failure for r in answered) and failed:
        return None
    return last_failure - kill


def first_write_after(records, kill):
    """Seconds from the kill to the first acknowledged CreateKey sent after it (None: none)."""
    acked = [r["answered"] for r in records
             if r["action"] == "CreateKey" and r["outcome"] == "OK" and r["sent"] >= kill]
    return min(acked) - kill if acked else None


def in_flight(records, kill):
    """The requests sent before the kill and answered after it: {action: {"count", "outcomes":
    {outcome: n}, "p50_ms", "max_ms"}}."""
    out = {}
    for r in records:
        if r["sent"] <= kill and (r["answered"] is None or r["answered"] > kill):
            a = out.setdefault(r["action"], {"count": 0, "outcomes": {}, "ms": []})
            a["count"] += 1
            name = r["outcome"] if r["answered"] is not None else "unanswered"
            a["outcomes"][name] = a["outcomes"].get(name, 0) + 1
            if r["answered"] is not None:
                a["ms"].append(_latency(r) * 1000)
    for a in out.values():
        ms = a.pop("ms")
        a["p50_ms"], a["max_ms"] = (statistics.median(ms), max(ms)) if ms else (None, None)
    return out


def baseline(records, kill):
    """{action: {"p50_ms", "p99_ms", "count"}} of the requests answered (successfully) before the kill."""
    out = {}
    for action in sorted({r["action"] for r in records}):
        ms = [_latency(r) * 1000 for r in records
              if r["action"] == action and r["outcome"] == "OK" and r["answered"] is not None and r["answered"] <= kill]
        out[action] = {"count": len(ms), "p50_ms": _percentile(ms, 0.5), "p99_ms": _percentile(ms, 0.99)}
    return out


def during(records, kill, until):
    """{action: {"count", "p50_ms", "p99_ms", "max_ms"}} of the requests due between the kill and
    `until` (the promotion) that succeeded: what the failover adds to those that get through."""
    out = {}
    for action in sorted({r["action"] for r in records}):
        ms = [_latency(r) * 1000 for r in records if r["action"] == action and r["outcome"] == "OK"
              and r["answered"] is not None and kill < r["sent"] <= until]
        out[action] = {"count": len(ms), "p50_ms": _percentile(ms, 0.5), "p99_ms": _percentile(ms, 0.99),
                       "max_ms": max(ms) if ms else None}
    return out


def summarize(timeline):
    """The figures of one failover: what the section, the chart and the bench's verdict use."""
    records, kill = timeline["records"], timeline["kill"]
    acked = sorted({r["key_id"] for r in records if r["action"] == "CreateKey" and r["outcome"] == "OK" and r["key_id"]})
    present = set(timeline.get("present", ()))
    unchecked = set(timeline.get("unchecked", ()))
    lost = [k for k in acked if k not in present and k not in unchecked]
    after = [r for r in records if r["answered"] is not None and r["answered"] > kill]
    s = {
        "killed": timeline["killed"],
        "promoted_s": promotion(timeline),
        "first_write_s": first_write_after(records, kill),
        "encrypt_healthy_s": healthy_after(records, "Encrypt", kill),
        "create_healthy_s": healthy_after(records, "CreateKey", kill),
        "in_flight": in_flight(records, kill),
        "baseline": baseline(records, kill),
        "during": during(records, kill, kill + (promotion(timeline) or 0.0)),
        "errors": errors_by_code(records),
        "requests": {a: sum(1 for r in records if r["action"] == a) for a in sorted({r["action"] for r in records})},
        "encrypt_ok_after_kill": sum(1 for r in after if r["action"] == "Encrypt" and r["outcome"] == "OK"),
        "encrypt_failed_after_kill": sum(1 for r in after if r["action"] == "Encrypt" and r["outcome"] != "OK"),
        "acknowledged": len(acked),
        "lost": lost,
        "unchecked": sorted(unchecked & set(acked)),
    }
    s["verdict"] = "PASS" if not lost and not s["unchecked"] and acked else "FAIL"
    s["failures"] = failures(s)
    return s


def failures(s):
    """What makes the failover phase not clean (the bench exits 1)."""
    out = []
    if not s["acknowledged"]:
        out.append("failover: no CreateKey was acknowledged")
    if s["lost"]:
        out.append(f"failover: {len(s['lost'])} acknowledged CreateKeys LOST (not found by DescribeKey on the new "
                   f"primary): {', '.join(s['lost'][:5])}")
    if s["unchecked"]:
        out.append(f"failover: {len(s['unchecked'])} acknowledged CreateKeys could not be checked")
    if s["promoted_s"] is None:
        out.append("failover: no standby was seen promoted")
    if s["first_write_s"] is None:
        out.append("failover: no write was acknowledged after the kill")
    if s["encrypt_healthy_s"] is None:
        out.append("failover: Encrypt never recovered within the run")
    return out


# --------------------------------------------------------------------------------------------------
# BENCHMARKS.md
# --------------------------------------------------------------------------------------------------

def _s(x):
    return "—" if x is None else f"{x:.1f} s"


def _ms(x):
    return "—" if x is None else f"{x:,.0f} ms" if x >= 10 else f"{x:.1f} ms"


def _counts(d):
    return ", ".join(f"{k} {v}" for k, v in d.items()) or "none"


def section(run):
    """The failover part of the cluster section. `run`: {"summary", "config", "before"?: an earlier
    summary to compare with (the same phase with KMS_CACHE_STALE_SECONDS=0)}."""
    s, conf = run["summary"], run["config"]
    lines = cluster_report.heading_lines(HEADING, conf["date"], conf["commit"], conf.get("quick"), s["failures"])
    lines += [f"**Acknowledged CreateKeys lost: {len(s['lost'])} of {s['acknowledged']} — {s['verdict']}** "
              "(every KeyId a CreateKey answer gave, looked up with DescribeKey on the new primary afterwards"
              + (f"; {len(s['unchecked'])} could not be checked" if s["unchecked"] else "") + ").", ""]
    lines += [f"Load through HAProxy during the whole phase, open loop (each request due at a fixed instant, its "
              f"latency counted from then): Encrypt at {conf['encrypt_rate']:.0f}/s with {conf['keys']} keys every "
              f"responder host had cached, and CreateKey at {conf['create_rate']:.0f}/s; {conf['timeout']:.0f} s "
              f"client timeout. Then `cluster kill {s['killed']}` (the primary: postgres and Patroni, SIGKILL) "
              f"{conf['before_kill']:.0f} s in. Responders with `KMS_CACHE_STALE_SECONDS={conf['stale_seconds']}`. "
              "Patroni: ttl 20 s, loop_wait 2 s (scripts/lib/cluster.sh).", "",
              md_table(["From the kill to …", "Seconds"], [
                  ("a standby promoted (its Patroni says primary)", _s(s["promoted_s"])),
                  ("the first acknowledged CreateKey sent after the kill", _s(s["first_write_s"])),
                  ("CreateKey succeeding for good (its last failure answered)", _s(s["create_healthy_s"])),
                  ("Encrypt succeeding for good (its last failure answered)",
                   "0 (no Encrypt failed)" if s["encrypt_healthy_s"] == 0 and not s["encrypt_failed_after_kill"]
                   else _s(s["encrypt_healthy_s"])),
              ]), ""]
    body = []
    for action, b in s["baseline"].items():
        f = s["in_flight"].get(action, {"count": 0, "outcomes": {}, "p50_ms": None, "max_ms": None})
        d = s["during"].get(action, {"count": 0, "p50_ms": None, "p99_ms": None, "max_ms": None})
        body.append((action, f"{_ms(b['p50_ms'])} / {_ms(b['p99_ms'])}", f["count"], _ms(f["p50_ms"]), _ms(f["max_ms"]),
                     _counts(f["outcomes"]), d["count"], f"{_ms(d['p50_ms'])} / {_ms(d['p99_ms'])} / {_ms(d['max_ms'])}"))
    lines += ["The latency the failover adds: the requests in flight at the kill (sent before it, answered after) — "
              "how long they took and how they ended — and the ones due between the kill and the promotion that "
              "succeeded, against the same action before the kill:", "",
              md_table(["Action", "Before the kill p50 / p99", "In flight at the kill", "their latency p50", "max",
                        "how they ended", "Succeeded before the promotion", "their p50 / p99 / max"], body), ""]
    err = [(a, sum(c.values()), _counts(c)) for a, c in s["errors"].items()]
    lines += [f"Errors over the phase ({_counts(s['requests'])} requests sent); Encrypt after the kill: "
              f"{s['encrypt_ok_after_kill']} succeeded, {s['encrypt_failed_after_kill']} failed:", "",
              md_table(["Action", "Failed", "By code"], err or [("—", 0, "none")]), ""]
    before = run.get("before")
    if before:
        lines += [f"The same phase with `KMS_CACHE_STALE_SECONDS=0` ({before['date']}; the caches emptied when the "
                  f"invalidation connection breaks, the rule before the staleness window, the upper chart): Encrypt "
                  f"succeeding for good after "
                  f"{_s(before['encrypt_healthy_s'])}, {before['encrypt_failed_after_kill']} Encrypts failed after the "
                  f"kill ({before['encrypt_ok_after_kill']} succeeded), errors: "
                  + "; ".join(f"{a} {_counts(c)}" for a, c in before["errors"].items()) + ".", ""]
    lines += ["![Request latency through the failover](docs/bench-failover.png)", ""]
    return lines


# --------------------------------------------------------------------------------------------------
# docs/bench-failover.png
# --------------------------------------------------------------------------------------------------

def chart(panels, path):
    """One panel per run, stacked on one time axis (seconds from the kill): the latency of every
    request against the instant it was due, Encrypt and CreateKey successes in two colours,
    failures coloured by their code; the kill and the promotion marked. `panels`: [(title,
    timeline, summary)] — e.g. the run with KMS_CACHE_STALE_SECONDS=0 above this one's."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(panels), 1, figsize=(11, 4.4 * len(panels)), dpi=110, sharex=True, sharey=True,
                             squeeze=False)
    for ax, (title, timeline, summary) in zip(axes[:, 0], panels):
        _panel(ax, title, timeline, summary)
    axes[-1, 0].set_xlabel("seconds from the kill -9 of the primary (when the request was due)")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


FAILURE_COLOURS = ["#d62728", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22"]


def _panel(ax, title, timeline, summary):
    kill = timeline["kill"]
    ok_style = {"Encrypt": ("#1f77b4", "o", 7), "CreateKey": ("#2ca02c", "^", 16)}
    for action, (colour, marker, size) in ok_style.items():
        pts = [(r["sent"] - kill, max(_latency(r) * 1000, 0.1)) for r in timeline["records"]
               if r["action"] == action and r["outcome"] == "OK" and r["answered"] is not None]
        if pts:
            ax.scatter(*zip(*pts), s=size, c=colour, marker=marker, alpha=0.55, linewidths=0,
                       label=f"{action} OK ({len(pts)})")
    failed = {}
    for r in timeline["records"]:
        if r["answered"] is not None and r["outcome"] != "OK":
            failed.setdefault((r["action"], r["outcome"]), []).append((r["sent"] - kill, max(_latency(r) * 1000, 0.1)))
    for i, ((action, code), pts) in enumerate(sorted(failed.items(), key=lambda x: -len(x[1]))):
        ax.scatter(*zip(*pts), s=18, c=FAILURE_COLOURS[i % len(FAILURE_COLOURS)], marker="x" if action == "Encrypt" else "v",
                   linewidths=1.1, label=f"{action} {code} ({len(pts)})")
    ax.set_yscale("log")
    ax.axvline(0, color="#d62728", lw=2)
    ax.text(0, 1.01, " kill -9", color="#d62728", transform=ax.get_xaxis_transform(), fontsize=9, va="bottom")
    if summary["promoted_s"] is not None:
        ax.axvline(summary["promoted_s"], color="#6a3d9a", lw=2, ls="--")
        ax.text(summary["promoted_s"], 1.01, f" standby promoted ({summary['promoted_s']:.1f} s)", color="#6a3d9a",
                transform=ax.get_xaxis_transform(), fontsize=9, va="bottom")
        ax.axvspan(0, summary["promoted_s"], color="#d62728", alpha=0.06)
    ax.set_ylabel("latency, ms (log)")
    ax.set_title(title, fontsize=11, pad=16)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(loc="upper left", fontsize=8, framealpha=0.9, markerscale=1.5)
