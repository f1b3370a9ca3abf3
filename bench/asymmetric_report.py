"""The asymmetric-key part of the bench's report (bench/asymmetric_phase.py's runs): a table per
algorithm of the service's Sign and Verify rates against ``openssl speed`` × cores, next to
Encrypt and the HTTP stack's ceiling of the same run, and the issue's two targets with, for a
target that is missed, the one-line reason the run's own figures give.

Pure functions of the results (bench/results/results.json), tested in
Tests/e2e/test_bench_asymmetric_report.py.
"""

from asymmetric_phase import ALGORITHMS, VERIFIED
from report import ENCRYPT, TRIVIAL, md_table, verdict

CONNS = 32
P99_LIMIT_MS = 10.0
SHARE = 0.5                  # of openssl's single-core rate × cores
TARGETS = (("ECC_P256_R1", "ECDSA P-256"), ("SM2DSA", "SM2"))


def find(results, name, conns=CONNS):
    for r in results:
        if r["name"] == name and r["conns"] == conns:
            return r
    return None


def algorithm(name):
    return next(a for a in ALGORITHMS if a.name == name)


def cores(data):
    return data["machine"]["nproc"]


def openssl_rates(data, alg):
    """openssl speed's single-core {"sign_per_s", "verify_per_s"} for the algorithm, or None."""
    return (data["facts"].get("openssl_speed") or {}).get("rates", {}).get(alg.openssl)


def measured(data):
    """True when the run has any of the phase's rows or facts."""
    names = {a.sign_run for a in ALGORITHMS} | {a.verify_run for a in ALGORITHMS}
    return "openssl_speed" in data["facts"] or any(r["name"] in names for r in data["results"])


def rows(data):
    """One dict per algorithm: the service's Sign and Verify runs at 32 connections, openssl's
    single-core rates and the machine limit (× cores), and the ratios (None where missing)."""
    n = cores(data)
    out = []
    for alg in ALGORITHMS:
        sign, verify = find(data["results"], alg.sign_run), find(data["results"], alg.verify_run)
        speed = openssl_rates(data, alg)
        sign_limit = speed["sign_per_s"] * n if speed else None
        verify_limit = speed["verify_per_s"] * n if speed else None
        out.append({
            "alg": alg, "sign": sign, "verify": verify, "openssl": speed,
            "sign_limit": sign_limit, "verify_limit": verify_limit,
            "sign_ratio": sign["rps"] / sign_limit if sign and sign_limit else None,
            "verify_ratio": verify["rps"] / verify_limit if verify and verify_limit else None,
        })
    return out


def why_missed(data, row):
    """The reason, in one line, that the run's own figures give for a missed target ("" if met)."""
    sign, limit = row["sign"], row["sign_limit"]
    res = data["results"]
    reasons = []
    need = SHARE * limit
    if sign["rps"] < need:
        trivial, enc = find(res, TRIVIAL), find(res, ENCRYPT)
        if trivial and need > trivial["rps"]:
            reasons.append(f"{SHARE:g} × openssl × cores = {need:,.0f}/s is above the HTTP stack's ceiling measured in this "
                           f"run (nginx + a trivial FastCGI responder: {trivial['rps']:,.0f}/s at {CONNS} connections)")
        elif enc and need > enc["rps"]:
            reasons.append(f"{need:,.0f}/s is above what Encrypt (no public-key work) reaches in this run "
                           f"({enc['rps']:,.0f}/s): the service's cost per request, not signing, is the limit")
        else:
            cpu = (sign.get("cpu") or {}).get("responder")
            per_sign = f"the responder spends {cpu / sign['rps'] * 1000:.2f} ms of CPU per Sign" if cpu and sign["rps"] else \
                "signing costs the service more than openssl"
            reasons.append(f"{per_sign} where openssl's sign alone takes {1000 / row['openssl']['sign_per_s']:.2f} ms"
                           + (f" and Encrypt reaches {enc['rps']:,.0f}/s" if enc else ""))
    if sign["p99_ms"] > P99_LIMIT_MS:
        floor_ms = CONNS / limit * 1000
        if floor_ms > P99_LIMIT_MS:
            reasons.append(f"Little's law: {CONNS} connections kept busy at no more than openssl × cores = {limit:,.0f} "
                           f"signs/s wait {floor_ms:.1f} ms each on average, so p99 ≤ {P99_LIMIT_MS:g} ms is out of reach on "
                           f"{cores(data)} cores whatever the service does")
        elif sign["rps"] and CONNS / sign["rps"] * 1000 > P99_LIMIT_MS:
            reasons.append(f"queueing at the service's rate: {CONNS} connections at {sign['rps']:,.0f}/s wait "
                           f"{CONNS / sign['rps'] * 1000:.1f} ms each on average")
        else:
            reasons.append(f"a latency tail: p50 {sign['p50_ms']:.2f} ms, p99 {sign['p99_ms']:.2f} ms")
    return "; ".join(reasons)


def targets(data):
    """[(target, measured, verdict)]: "<algorithm> sign ≥ 0.5 × openssl × cores, p99 ≤ 10 ms at 32
    connections" for ECDSA P-256 and SM2, computed from this run."""
    n = cores(data)
    by_name = {r["alg"].name: r for r in rows(data)}
    out = []
    for name, label in TARGETS:
        row = by_name[name]
        target = (f"{label} sign ({name}) ≥ {SHARE:g} × openssl's single-core rate × {n} cores, "
                  f"p99 ≤ {P99_LIMIT_MS:g} ms at {CONNS} connections")
        sign = row["sign"]
        if not sign or not row["openssl"]:
            out.append((target, "—", "NOT MEASURED"))
            continue
        ok = row["sign_ratio"] >= SHARE and sign["p99_ms"] <= P99_LIMIT_MS
        text = (f"{row['sign_ratio']:.2f} × ({sign['rps']:,.0f} vs {row['openssl']['sign_per_s']:,.0f} × {n} = "
                f"{row['sign_limit']:,.0f} signs/s); p99 {sign['p99_ms']:.2f} ms (p50 {sign['p50_ms']:.2f} ms)")
        v = verdict(ok, sign)
        if v == "FAIL":
            text += f" — not met: {why_missed(data, row)}"
        out.append((target, text, v, [(f"{label} sign ÷ openssl × cores", row["sign_ratio"], SHARE, "≥"),
                                      (f"{label} sign p99, ms", sign["p99_ms"], P99_LIMIT_MS, "≤")]))
    return out


def _rate(r):
    return f"{r['rps']:,.0f}" if r else "—"


def _lat(r):
    return f"{r['p50_ms']:.2f} / {r['p99_ms']:.2f}" if r else "—"


def _ratio(x):
    return f"{x:.2f}" if x is not None else "—"


def _errors(*runs):
    runs = [r for r in runs if r]
    return ", ".join(f for r in runs for f in r["flags"]) or ("0" if runs else "—")


def table(data):
    """(header, body) of the per-algorithm table, Encrypt and the trivial ceiling below it."""
    n = cores(data)
    header = ["Algorithm", "Key usage (region)", "Sign req/s", "Sign p50 / p99 ms", "openssl sign/s, 1 core",
              f"× {n} cores", "Sign ÷ (openssl × cores)", "Verify req/s", "Verify p50 / p99 ms",
              "openssl verify/s, 1 core", f"× {n} cores", "Verify ÷ (openssl × cores)", "Errors"]
    body = []
    for r in rows(data):
        alg, sp = r["alg"], r["openssl"]
        body.append((f"`{alg.name}`", f"{alg.key_usage} ({alg.region})", _rate(r["sign"]), _lat(r["sign"]),
                     f"{sp['sign_per_s']:,.0f}" if sp else "—", f"{r['sign_limit']:,.0f}" if sp else "—",
                     _ratio(r["sign_ratio"]), _rate(r["verify"]), _lat(r["verify"]),
                     f"{sp['verify_per_s']:,.0f}" if sp else "—", f"{r['verify_limit']:,.0f}" if sp else "—",
                     _ratio(r["verify_ratio"]), _errors(r["sign"], r["verify"])))
    for name, label in ((ENCRYPT, "Encrypt, one key (no public-key work)"),
                        (TRIVIAL, "ceiling: nginx + trivial FastCGI responder")):
        r = find(data["results"], name)
        body.append((label, "", _rate(r), _lat(r), "", "", "", "", "", "", "", "", _errors(r)))
    return header, body


def cpu_ms(run):
    """The responder's CPU milliseconds per request of a run (None without the figure)."""
    cpu = (run or {}).get("cpu") or {}
    return cpu["responder"] / run["rps"] * 1000 if cpu.get("responder") and run["rps"] else None


def cpu_line(data):
    """One line: the responder's CPU per Sign of each algorithm against openssl's time per sign
    (one core), and per Encrypt — where a Sign's cost goes beyond the signature itself."""
    parts = []
    enc = cpu_ms(find(data["results"], ENCRYPT))
    if enc is not None:
        parts.append(f"Encrypt {enc:.2f}")
    for r in rows(data):
        ms = cpu_ms(r["sign"])
        if ms is not None:
            parts.append(f"Sign {r['alg'].name} {ms:.2f}"
                         + (f" (openssl's sign alone {1000 / r['openssl']['sign_per_s']:.3f})" if r["openssl"] else ""))
    return ("Responder CPU per request in these runs, ms (from /proc, all its threads): " + "; ".join(parts) + ".") if parts else ""


def section(data):
    """The report's section (markdown lines); empty when the run did not measure the phase."""
    if not measured(data):
        return []
    speed = data["facts"].get("openssl_speed") or {}
    facts = data["facts"].get("asymmetric") or {}
    header, body = table(data)
    return [
        "## Asymmetric keys: Sign and Verify against `openssl speed`", "",
        f"SignByAsymmetricKey and VerifyByAsymmetricKey at {CONNS} connections for every signature algorithm, one key "
        f"per kind (RSA-2048, P-256 and P-384 in a FIPS region, SM2 in the SM region), `MessageType` RAW, "
        f"{facts.get('message_bytes', 32)}-byte messages: each Sign pool has {facts.get('sign_pool', '')} distinct "
        f"messages, each Verify pool {facts.get('verify_pool', '')} signatures the service made just before, and a "
        f"Verify answer counts as a success only with `{VERIFIED}`. Encrypt and the trivial FastCGI responder are "
        "from the same run and the same load.", "",
        f"*openssl* is `{speed.get('command', 'openssl speed')}` ({speed.get('version', '')}, the library the responder "
        "links) on this machine: one process, so one core, its rates per second of its own CPU time; × cores is what "
        "the machine's cores would do if they only signed (no HTTP, no wrk, no service) — the physical limit. "
        "RSA_PSS_SHA_256 and RSA_PKCS1_SHA_256 are both set against `rsa2048` (openssl speed signs PKCS#1 v1.5; PSS "
        "costs the same private-key operation). openssl signs a digest it already has; the service also parses, "
        "authenticates, hashes the message and answers over HTTP, and wrk and nginx share the same cores.", "",
        md_table(header, body), "",
        *([cpu_line(data), ""] if cpu_line(data) else []),
    ]


def print_table(data):
    """The per-algorithm figures on stdout (one line each)."""
    if not measured(data):
        return
    for r in rows(data):
        print(f"{r['alg'].name:<18} sign {_rate(r['sign']):>8}/s p50/p99 {_lat(r['sign']):>13} ms "
              f"÷ openssl×cores {_ratio(r['sign_ratio']):>5}   verify {_rate(r['verify']):>8}/s "
              f"p50/p99 {_lat(r['verify']):>13} ms ÷ openssl×cores {_ratio(r['verify_ratio']):>5}")
    print()
