"""The bench's asymmetric-key report (bench/asymmetric_report.py) and its reading of `openssl
speed` (bench/asymmetric_phase.py): the ratios to openssl × cores, the two targets' verdicts
computed from the run (never asserted), the one-line reason of a missed target, and the section
and target rows in BENCHMARKS.md.

Pure functions, except one real `openssl speed` run; no stack needed (no fixture of conftest.py):
    python3 -m pytest -q Tests/e2e/test_bench_asymmetric_report.py
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir, "bench"))

import asymmetric_phase as ap  # noqa: E402
import asymmetric_report as ar  # noqa: E402
import report  # noqa: E402

# OpenSSL 3.0.19's summary of `openssl speed -seconds 1 rsa2048 ecdsap256 ecdsap384 sm2` on this
# machine, verbatim (stdout; the "Doing ..." lines go to stderr).
SPEED_OUTPUT = """version: 3.0.19
built on: Fri Apr  3 12:29:32 2026 UTC
options: bn(64,64)
CPUINFO: OPENSSL_ia32cap=0xfffa3203078bffff:0x40069c219c07ab
                  sign    verify    sign/s verify/s
rsa 2048 bits 0.000971s 0.000026s   1029.8  38354.2
                              sign    verify    sign/s verify/s
 256 bits ecdsa (nistp256)   0.0000s   0.0001s  34556.8  11175.0
 384 bits ecdsa (nistp384)   0.0011s   0.0009s    916.4   1161.8
                              sign    verify    sign/s verify/s
 256 bits SM2 (CurveSM2)   0.0007s   0.0006s   1479.7   1581.1
"""


def test_openssl_speed_summary_gives_sign_and_verify_rates_per_test():
    rates = ap.parse_openssl_speed(SPEED_OUTPUT)
    assert rates == {
        "rsa2048": {"sign_per_s": 1029.8, "verify_per_s": 38354.2},
        "ecdsap256": {"sign_per_s": 34556.8, "verify_per_s": 11175.0},
        "ecdsap384": {"sign_per_s": 916.4, "verify_per_s": 1161.8},
        "sm2": {"sign_per_s": 1479.7, "verify_per_s": 1581.1},
    }
    # Every algorithm the phase drives has its openssl figure.
    assert {a.openssl for a in ap.ALGORITHMS} == set(rates)


def test_openssl_speed_lines_of_other_curves_are_not_taken_for_ours():
    out = " 256 bits ecdsa (brainpoolP256r1)   0.0003s   0.0003s   3100.0   3300.0\n"
    assert ap.parse_openssl_speed(out) == {}


def test_real_openssl_speed_is_read():
    speed = ap.openssl_speed(["ecdsap256", "sm2"], 1)
    assert set(speed["rates"]) == {"ecdsap256", "sm2"}
    for r in speed["rates"].values():
        assert r["sign_per_s"] > 0 and r["verify_per_s"] > 0
    assert speed["version"].startswith("OpenSSL 3.")
    assert "-seconds 1 ecdsap256 sm2" in speed["command"]


def test_openssl_speed_of_an_unknown_test_is_a_bench_failure():
    try:
        ap.openssl_speed(["nosuchalgorithm"], 1)
    except ap.BenchFailure as exc:
        assert "nosuchalgorithm" in str(exc)
        return
    raise AssertionError("an openssl speed run without results was accepted")


# --------------------------------------------------------------------------------------------------
# results as kmsbench.py records them
# --------------------------------------------------------------------------------------------------

def run(name, rps, p50=1.0, p99=3.0, flags=(), responder_cpu=1.2):
    return {"name": name, "conns": 32, "rps": rps, "p50_ms": p50, "p99_ms": p99, "flags": list(flags),
            "note": "", "cpu": {"responder": responder_cpu}}


def data(results, rates=None, nproc=2):
    facts = {"openssl_speed": {"command": "openssl speed -seconds 5 ecdsap256 ecdsap384 rsa2048 sm2",
                               "version": "OpenSSL 3.0.19", "rates": rates if rates is not None
                               else ap.parse_openssl_speed(SPEED_OUTPUT)},
             "asymmetric": {"message_bytes": 32, "sign_pool": 2000, "verify_pool": 256}}
    return {"machine": {"nproc": nproc}, "results": results, "facts": facts}


def full_results(p256=(9000, 3.0), sm2=(2500, 12.0), trivial=15000, encrypt=11000):
    out = [run(report.TRIVIAL, trivial), run(report.ENCRYPT, encrypt)]
    for alg in ap.ALGORITHMS:
        sign = {"ECC_P256_R1": p256, "SM2DSA": sm2}.get(alg.name, (800, 40.0))
        out.append(run(alg.sign_run, sign[0], p99=sign[1]))
        out.append(run(alg.verify_run, sign[0] / 2, p99=sign[1] * 2))
    return out


def target(d, name):
    return next(t[:3] for t in ar.targets(d) if f"({name})" in t[0])   # (target, measured, verdict)


def test_ratios_are_service_rate_over_openssl_single_core_rate_times_cores():
    rows = {r["alg"].name: r for r in ar.rows(data(full_results()))}
    p256 = rows["ECC_P256_R1"]
    assert p256["sign_limit"] == 34556.8 * 2
    assert abs(p256["sign_ratio"] - 9000 / (34556.8 * 2)) < 1e-9
    assert abs(p256["verify_ratio"] - 4500 / (11175.0 * 2)) < 1e-9
    # Both RSA algorithms are set against openssl's rsa2048.
    assert rows["RSA_PSS_SHA_256"]["sign_limit"] == rows["RSA_PKCS1_SHA_256"]["sign_limit"] == 1029.8 * 2
    four = {r["alg"].name: r for r in ar.rows(data(full_results(), nproc=4))}
    assert four["SM2DSA"]["sign_limit"] == 1479.7 * 4


def test_p256_target_missed_above_the_http_ceiling_says_so():
    verdict_row = target(data(full_results(p256=(9000, 3.0), trivial=15000)), "ECC_P256_R1")
    name, measured, verdict = verdict_row
    assert verdict == "FAIL"
    assert "0.5 × openssl's single-core rate × 2 cores, p99 ≤ 10 ms at 32 connections" in name
    assert measured.startswith("0.13 × (9,000 vs 34,557 × 2 = 69,114 signs/s); p99 3.00 ms")
    assert "above the HTTP stack's ceiling measured in this run" in measured and "15,000/s" in measured
    assert "Little's law" not in measured     # p99 was met
    assert "\n" not in measured


def test_sm2_p99_that_no_service_can_meet_on_these_cores_is_explained_by_littles_law():
    # 2 × 1,479.7 signs/s at most: 32 connections wait ≥ 32 / 2,959.4 s = 10.8 ms on average.
    name, measured, verdict = target(data(full_results(sm2=(1600, 22.0))), "SM2DSA")
    assert verdict == "FAIL"
    assert measured.startswith("0.54 × (1,600 vs 1,480 × 2 = 2,959 signs/s); p99 22.00 ms")
    assert "Little's law" in measured and "10.8 ms" in measured
    assert "HTTP stack" not in measured       # the rate part was met


def test_target_met_passes_and_gives_no_reason():
    rates = {**ap.parse_openssl_speed(SPEED_OUTPUT), "sm2": {"sign_per_s": 500.0, "verify_per_s": 500.0}}
    name, measured, verdict = target(data(full_results(sm2=(600, 8.0)), rates), "SM2DSA")
    assert verdict == "PASS"
    assert "not met" not in measured


def test_rate_below_encrypt_names_the_signing_cost():
    # Needed 0.5 × 2,959 = 1,480/s; HTTP and Encrypt reach far more: the signing path is the limit.
    name, measured, verdict = target(data(full_results(sm2=(1000, 5.0))), "SM2DSA")
    assert verdict == "FAIL"
    assert "ms of CPU per Sign where openssl's sign alone takes 0.68 ms" in measured


def test_a_run_with_errors_is_never_a_pass():
    results = full_results()
    sm2 = next(r for r in results if r["name"] == "Sign SM2DSA")
    sm2.update(rps=100000, p99_ms=1.0, flags=["12 errors"])
    assert target(data(results), "SM2DSA")[2] == "FAIL (run had errors)"


def test_without_the_phase_both_targets_are_not_measured():
    d = data([run(report.ENCRYPT, 11000)])
    d["facts"] = {}
    assert [t[2] for t in ar.targets(d)] == ["NOT MEASURED", "NOT MEASURED"]
    assert ar.section(d) == []
    d = data(full_results(), rates={})        # openssl speed did not run
    assert [t[2] for t in ar.targets(d)] == ["NOT MEASURED", "NOT MEASURED"]


def test_section_has_a_row_per_algorithm_next_to_encrypt_and_the_ceiling():
    lines = ar.section(data(full_results()))
    text = "\n".join(lines)
    assert lines[0] == "## Asymmetric keys: Sign and Verify against `openssl speed`"
    table = [line for line in text.splitlines() if line.startswith("| ")]
    assert len(table) == 1 + len(ap.ALGORITHMS) + 2
    p256 = next(line for line in table if "`ECC_P256_R1`" in line)
    assert "| 9,000 | 1.00 / 3.00 | 34,557 | 69,114 | 0.13 | 4,500 |" in p256
    assert any(line.startswith("| Encrypt, one key") and "11,000" in line for line in table)
    assert any(line.startswith("| ceiling: nginx + trivial FastCGI responder") and "15,000" in line for line in table)
    assert '`"SignatureValid":true`' in text
    # The responder's CPU per Sign against openssl's time per sign: 1.2 cores at 9,000/s.
    assert "Sign ECC_P256_R1 0.13 (openssl's sign alone 0.029)" in text
    assert "Encrypt 0.11" in text


def test_the_general_report_lists_the_two_targets_and_the_section(tmp_path):
    d = data(full_results())
    d.update(config={"quick": True, "duration": 3, "timeout": "30s", "workers": 8, "concurrencies": [32]},
             failures=[], profile=None)
    d["machine"].update(cpu_model="test", memory_gib=1, kernel="k", date="today", commit="abc", dirty_sources="",
                        nginx="nginx", postgres="pg", wrk="wrk", background_cores_before=0.0, loadavg_before=["0", "0", "0"])
    for r in d["results"]:
        r.update(target="kms", errors=0, exhausted=False, cpu={"responder": 1.0, "postgres": 0.1, "nginx": 0.3,
                                                                   "trivial": 0.0, "wrk": 0.5, "other": 0.0})
    names = [t[0] for t in report.targets(d)]
    assert sum("sign (ECC_P256_R1)" in n for n in names) == 1 and sum("sign (SM2DSA)" in n for n in names) == 1
    cfg = type("Cfg", (), {"repo": str(tmp_path), "results": str(tmp_path), "report": str(tmp_path / "BENCHMARKS.md"),
                           "chart_copy": str(tmp_path / "docs" / "bench-encrypt.png")})()
    report.write(cfg, d)
    text = (tmp_path / "BENCHMARKS.md").read_text()
    assert text.index("## Targets") < text.index("## Asymmetric keys") < text.index("## Results")
    assert "Sign SM2DSA" in text      # the runs are rows of the results table too
