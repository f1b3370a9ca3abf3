"""The feature-cost part of the report (bench/feature_cost_phase.py's A/B pairs): for each safety
feature, Encrypt with it on and off (mean of the alternated runs and each run's figure), the
difference in %, and the target "costs ≤ 5 % of Encrypt throughput".

The cost is the throughput the feature takes from Encrypt: 1 − (mean with it) ÷ (mean without it).
A negative cost is noise (the runs with the feature happened to be faster), and passes.

Pure functions of the results (bench/results/results.json), tested in
Tests/e2e/test_bench_feature_costs.py.
"""

from feature_cost_phase import CONNS, FEATURES, LIMIT_PCT
from report import fmt_ms, md_table, verdict


def runs(data, feature, state):
    """The feature's A/B runs with it ``state`` ("on" or "off"), in the order they ran."""
    return [r for r in data["results"]
            if r.get("feature_cost", {}).get("feature") == feature.name and r["feature_cost"]["state"] == state]


def mean(rs):
    return sum(r["rps"] for r in rs) / len(rs)


def pairs(data):
    """One dict per feature: its runs on and off, their means and the cost in % (None where a
    side was not measured)."""
    out = []
    for feature in FEATURES:
        on, off = runs(data, feature, "on"), runs(data, feature, "off")
        cost = 100 * (1 - mean(on) / mean(off)) if on and off and mean(off) else None
        out.append({"feature": feature, "on": on, "off": off, "on_mean": mean(on) if on else None,
                    "off_mean": mean(off) if off else None, "cost_pct": cost})
    return out


def each(rs):
    return ", ".join(f"{r['rps']:,.0f}" for r in rs)


def targets(data):
    """[(target, measured, verdict, parts)], one per feature."""
    out = []
    for p in pairs(data):
        name = (f"Cost of the {p['feature'].name} ≤ {LIMIT_PCT:g} % of Encrypt throughput "
                f"(A/B in one run, {CONNS} connections)")
        if p["cost_pct"] is None:
            out.append((name, "—", "NOT MEASURED"))
            continue
        measured = (f"{p['cost_pct']:+.1f} % ({p['on_mean']:,.0f} req/s with it vs {p['off_mean']:,.0f} without; "
                    f"mean of {len(p['on'])} and {len(p['off'])} runs, ABBA)")
        out.append((name, measured, verdict(p["cost_pct"] <= LIMIT_PCT, *p["on"], *p["off"]),
                    [(f"Encrypt with the {p['feature'].name} ÷ without", p["on_mean"] / p["off_mean"], 1 - LIMIT_PCT / 100, "≥")]))
    return out


def section(data, chart_path):
    """The "Cost of the safety features" section of BENCHMARKS.md (nothing when it did not run)."""
    rows = [p for p in pairs(data) if p["on"] or p["off"]]
    if not rows:
        return []
    facts = data["facts"].get("feature_costs", {})
    body = []
    for p in rows:
        flags = "; ".join(f for r in p["on"] + p["off"] for f in r["flags"])
        p99 = lambda rs: (sum(r["p99_ms"] for r in rs) / len(rs)) if rs else None  # noqa: E731
        body.append((p["feature"].name, f"`{' '.join(' '.join(o) for o in p['feature'].off)}`",
                     f"{p['on_mean']:,.0f} ({each(p['on'])})" if p["on"] else "—",
                     f"{p['off_mean']:,.0f} ({each(p['off'])})" if p["off"] else "—",
                     f"{p['cost_pct']:+.1f} %" if p["cost_pct"] is not None else "—",
                     f"{fmt_ms(p99(p['on']))} / {fmt_ms(p99(p['off']))}" if p["on"] and p["off"] else "—",
                     flags or "0"))
    lines = ["## Cost of the safety features", "",
             "Each feature added since the first bench, measured as an A/B pair in this run: responder A has every "
             f"feature on (`{facts.get('on', '')}`), responder B the same flags with one feature off; both are this "
             "checkout's binary with the stack's own settings, against the same database, each behind a copy of the "
             "product's `location /` on a port of its own (28188 for A, 28189–28192 for the B of each feature). Each "
             f"pair runs {facts.get('order', 'ABBA')} (so that a drift of the machine's load touches A and B alike) with "
             f"the Encrypt pool of the other Encrypt runs, {CONNS} connections. *Cost* = 1 − A ÷ B; a negative cost is "
             "noise. The replay memory and the metrics are switched off with the responder's `--bench-off`, which "
             "exists for this alone (`scripts/kms up` refuses it; docs/SECURITY.md). With budgets *on* the rate "
             "limit is 1,000,000/s per account, so that every request goes through the limiter's bucket and none is "
             "refused, and the CPU budget is the default (it charges public-key work, so Encrypt pays only its check). "
             "The pool cycles 2,000 signatures, so after the first round the replay memory finds them (a lookup); "
             "its insert on every request is in the run \"Encrypt (1 key, every signature new)\". The machine is "
             "shared: two runs of the same responder differ by several per cent here, so a cost of a few per cent is "
             "within the noise.", "",
             md_table(["Feature", "Switched off with", "req/s with it: mean (each run)", "req/s without: mean (each run)",
                       "Cost", "p99 ms with / without", "Errors"], body), ""]
    if chart_path:
        lines += ["![Encrypt with and without each safety feature](docs/bench-features.png)", ""]
    return lines
