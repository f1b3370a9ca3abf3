"""The report's charts besides docs/bench-encrypt.png (bench/report.py): the honest-ceiling sweep
(docs/bench-ceiling.png), Encrypt with and without each safety feature (docs/bench-features.png)
and every target's measured figure against its goal (docs/bench-targets.png). Each is drawn with
matplotlib into bench/results/ and copied into docs/, as bench-encrypt.png is.

Tested in Tests/e2e/test_bench_charts.py.
"""

import os
import shutil

import ceiling_report
import feature_cost_report
from ceiling_phase import SERVER_CONFIGS, WRK_THREADS
from report import ENCRYPT, find

NORMALISED_CAP = 3.0     # a target met many times over is drawn at 3 × its goal


def pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def save(cfg, fig, name):
    """Writes the figure to bench/results/NAME and docs/NAME; returns the docs/ path."""
    plt = pyplot()
    fig.tight_layout()
    path = os.path.join(cfg.results, name)
    fig.savefig(path)
    plt.close(fig)
    copy = os.path.join(cfg.repo, "docs", name)
    os.makedirs(os.path.dirname(copy), exist_ok=True)
    shutil.copyfile(path, copy)
    return copy


def subtitle(data):
    m = data["machine"]
    return f"{m['nproc']} cores shared with wrk and other work — {m['date']}, commit {m['commit']}"


def normalised(value, goal, sense):
    """A figure as a multiple of its goal, oriented so that ≥ 1 meets it: value ÷ goal for a
    "≥" goal, goal ÷ value for a "≤" one; capped at NORMALISED_CAP."""
    if sense == "≥":
        score = value / goal
    else:
        score = goal / value if value > 0 else NORMALISED_CAP
    return min(score, NORMALISED_CAP)


def ceiling_chart(cfg, data):
    """Grouped bars: req/s of every sweep point by configuration and wrk threads, the winner
    marked, Encrypt's req/s and the 0.7 × ceiling goal as lines. None when the sweep did not run."""
    points = ceiling_report.points(data)
    if not points:
        return None
    plt = pyplot()
    top = ceiling_report.ceiling(data)
    fig, ax = plt.subplots(figsize=(9, 5.2), dpi=110)
    width = 0.38
    for j, wrk in enumerate(WRK_THREADS):
        for i, config in enumerate(SERVER_CONFIGS):
            r = next((p for p in points if p["ceiling"]["config"] == config.label and p["ceiling"]["wrk_threads"] == wrk), None)
            if not r:
                continue
            x = i + (j - 0.5) * width
            colour = "tab:red" if r["flags"] else ("tab:blue" if wrk == 1 else "tab:cyan")
            ax.bar(x, r["rps"], width, color=colour, edgecolor="black" if r is top else colour,
                   linewidth=2 if r is top else 0.5, label=f"wrk -t{wrk}" if i == 0 else None)
            ax.annotate(f"{r['rps'] / 1000:.1f}k\np99 {r['p99_ms']:.1f} ms", (x, r["rps"]), ha="center", va="bottom",
                        fontsize=7, xytext=(0, 2), textcoords="offset points")
    if top:
        ax.axhline(top["rps"] * ceiling_report.RATIO, color="tab:green", linestyle="--", linewidth=1.5,
                   label=f"Encrypt goal: {ceiling_report.RATIO:g} × honest ceiling ({top['rps'] * ceiling_report.RATIO:,.0f}/s)")
    enc = find(data["results"], ENCRYPT, ceiling_report.CONNS)
    if enc:
        ax.axhline(enc["rps"], color="tab:orange", linewidth=1.5, label=f"Encrypt measured ({enc['rps']:,.0f}/s)")
    ax.set_xticks(range(len(SERVER_CONFIGS)))
    ax.set_xticklabels([c.label.replace(" + fastcgi_keep_conn", "\n+ keep_conn").replace(", ", "\n")
                        for c in SERVER_CONFIGS], fontsize=8)
    ax.set_xlabel("nginx upstream and trivial responder threads (wrk -c32; bold outline: the honest ceiling)")
    ax.set_ylabel("requests / s")
    ax.set_ylim(0, max(p["rps"] for p in points) * 1.2)
    ax.grid(True, axis="y", alpha=0.3)
    ax.set_title(f"The honest ceiling: the fastest trivial FastCGI responder\n{subtitle(data)}", fontsize=10)
    ax.legend(fontsize=8, loc="upper left")
    return save(cfg, fig, "bench-ceiling.png")


def features_chart(cfg, data):
    """Paired bars: Encrypt req/s with and without each feature (means, each run as a dot), the
    cost in % above each pair, and the 5 % goal as a tick under each "with" bar. None when the A/B did not run."""
    pairs = [p for p in feature_cost_report.pairs(data) if p["on"] and p["off"]]
    if not pairs:
        return None
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(9, 5), dpi=110)
    width = 0.38
    for i, p in enumerate(pairs):
        for j, (side, colour, label) in enumerate((("off", "tab:gray", "without the feature"),
                                                   ("on", "tab:blue", "with the feature (A)"))):
            x = i + (j - 0.5) * width
            rs = p[side]
            ax.bar(x, p[f"{side}_mean"], width, color=colour, label=label if i == 0 else None)
            ax.plot([x] * len(rs), [r["rps"] for r in rs], "k.", markersize=6, label="each run" if i == 0 and j == 0 else None)
        goal = p["off_mean"] * (1 - feature_cost_report.LIMIT_PCT / 100)
        ax.hlines(goal, i - width, i + width, colors="tab:green", linestyles="--", linewidth=1.5,
                  label=f"goal: with ≥ {100 - feature_cost_report.LIMIT_PCT:g} % of without" if i == 0 else None)
        ax.annotate(f"cost {p['cost_pct']:+.1f} %", (i, max(r["rps"] for r in p["on"] + p["off"])), ha="center", va="bottom",
                    fontsize=9, xytext=(0, 8), textcoords="offset points",
                    color="tab:red" if p["cost_pct"] > feature_cost_report.LIMIT_PCT else "black")
    ax.set_xticks(range(len(pairs)))
    ax.set_xticklabels([p["feature"].name for p in pairs])
    ax.set_xlabel(f"safety feature (A/B in one run, ABBA, {feature_cost_report.CONNS} connections)")
    ax.set_ylabel("Encrypt requests / s")
    ax.set_ylim(0, max(r["rps"] for p in pairs for r in p["on"] + p["off"]) * 1.2)
    ax.grid(True, axis="y", alpha=0.3)
    ax.set_title(f"What each safety feature costs Encrypt\n{subtitle(data)}", fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    return save(cfg, fig, "bench-features.png")


def figure(x):
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.2f}"


def target_bars(targets):
    """[(label, normalised score, verdict, caption)] for every part of every target that has figures
    (a target of two parts, e.g. throughput and p99, has two bars with its one verdict)."""
    return [(what, normalised(value, goal, sense), t[2], f"{figure(value)} (goal {sense} {figure(goal)})")
            for t in targets if len(t) > 3 and t[3] for what, value, goal, sense in t[3]]


def targets_chart(cfg, data, targets):
    """Horizontal bars: each target's figure as a multiple of its goal (≥ 1 meets it), green when
    the target passed, red when not. None when no target has figures."""
    bars = target_bars(targets)
    if not bars:
        return None
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(10, 0.42 * len(bars) + 1.8), dpi=110)
    ys = range(len(bars))[::-1]
    for y, (label, score, outcome, caption) in zip(ys, bars):
        ax.barh(y, score, color="tab:green" if outcome == "PASS" else "tab:red", height=0.6)
        ax.annotate(caption, (score, y), va="center", fontsize=7, xytext=(4, 0), textcoords="offset points")
    ax.axvline(1.0, color="black", linestyle="--", linewidth=1.2, label="goal (1 = exactly met)")
    ax.set_yticks(list(ys))
    ax.set_yticklabels([b[0] for b in bars], fontsize=8)
    ax.set_xlim(0, NORMALISED_CAP + 0.6)
    ax.set_xlabel(f"measured ÷ goal (goal ÷ measured for a \"≤\" goal): ≥ 1 meets it; drawn up to {NORMALISED_CAP:g}")
    ax.grid(True, axis="x", alpha=0.3)
    ax.set_title(f"Every target against its goal (green: PASS, red: not met)\n{subtitle(data)}", fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    return save(cfg, fig, "bench-targets.png")
