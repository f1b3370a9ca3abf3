"""The asymmetric-key phase of ``scripts/kms bench`` (issue 15, SPEC §9).

One key per kind (ECC P-256, P-384 and RSA-2048 in the FIPS region, SM2 in the SM region), then,
for every signature algorithm, SignByAsymmetricKey and VerifyByAsymmetricKey (MessageType RAW,
a 32-byte message) driven by wrk at 32 connections, each run checked like every other run of
the bench (a sample sent once first; every answer checked by bench/pool.lua, and a Verify answer
counts only with ``"SignatureValid":true``). Encrypt and the trivial FastCGI responder at 32
connections are measured in the same run when the earlier phases have not measured them (their
rows are what the report sets the Sign rows next to). Then ``openssl speed`` for the same
algorithms on this machine, one process (one core): the physical limit of each algorithm, which
the report multiplies by the cores.

Environment: KMS_BENCH_OPENSSL_SECONDS (seconds per openssl speed test, default 5; 2 in --quick).
"""

import base64
import os
import re
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from stack import BenchFailure, log, wait_quiet

FIPS_REGION = "ap-guangzhou"
SM_REGION = "ap-shanghai-fsi"
MESSAGE_BYTES = 32          # "a short message", signed RAW (the service hashes it)
SIGN_POOL = 2000            # distinct messages per Sign pool, as the Encrypt pools
VERIFY_POOL = 256           # distinct (message, signature) pairs per Verify pool, signed by the service
VERIFIED = '"SignatureValid":true'   # what bench/pool.lua requires in every Verify answer


@dataclass(frozen=True)
class Algorithm:
    """A SignByAsymmetricKey ``Algorithm``, the key usage and region that hold its keys, and the
    ``openssl speed`` test of the same operation."""
    name: str
    key_usage: str
    region: str
    openssl: str

    @property
    def sign_run(self):
        return f"Sign {self.name}"

    @property
    def verify_run(self):
        return f"Verify {self.name}"


ALGORITHMS = (
    Algorithm("ECC_P256_R1", "ASYMMETRIC_SIGN_VERIFY_ECC", FIPS_REGION, "ecdsap256"),
    Algorithm("SM2DSA", "ASYMMETRIC_SIGN_VERIFY_SM2", SM_REGION, "sm2"),
    Algorithm("RSA_PSS_SHA_256", "ASYMMETRIC_SIGN_VERIFY_RSA_2048", FIPS_REGION, "rsa2048"),
    Algorithm("RSA_PKCS1_SHA_256", "ASYMMETRIC_SIGN_VERIFY_RSA_2048", FIPS_REGION, "rsa2048"),
    Algorithm("ECDSA384_SHA384", "ASYMMETRIC_SIGN_VERIFY_ECDSA384", FIPS_REGION, "ecdsap384"),
)

# `openssl speed`'s summary lines (OpenSSL 3.0), e.g.
#   rsa 2048 bits 0.000971s 0.000026s   1029.8  38354.2
#    256 bits ecdsa (nistp256)   0.0000s   0.0001s  34556.8  11175.0
#    256 bits SM2 (CurveSM2)   0.0007s   0.0006s   1479.7   1581.1
_RSA_LINE = re.compile(r"^\s*rsa\s+(\d+)\s+bits\s+[\d.]+s\s+[\d.]+s\s+([\d.]+)\s+([\d.]+)\s*$", re.M)
_EC_LINE = re.compile(r"^\s*\d+\s+bits\s+(ecdsa|SM2)\s+\((\w+)\)\s+[\d.]+s\s+[\d.]+s\s+([\d.]+)\s+([\d.]+)\s*$", re.M)
_EC_NAMES = {("ecdsa", "nistp256"): "ecdsap256", ("ecdsa", "nistp384"): "ecdsap384", ("SM2", "CurveSM2"): "sm2"}


def parse_openssl_speed(output):
    """{speed test name: {"sign_per_s", "verify_per_s"}} from the summary of ``openssl speed``
    (rates per second of the process's CPU time, as openssl computes them)."""
    out = {}
    for bits, sign, verify in _RSA_LINE.findall(output):
        out[f"rsa{bits}"] = {"sign_per_s": float(sign), "verify_per_s": float(verify)}
    for kind, curve, sign, verify in _EC_LINE.findall(output):
        name = _EC_NAMES.get((kind, curve))
        if name:
            out[name] = {"sign_per_s": float(sign), "verify_per_s": float(verify)}
    return out


def openssl_speed(tests, seconds):
    """Runs ``openssl speed -seconds N TESTS`` (one process: one core) and returns
    {"version", "command", "seconds", "wall_s", "output", "rates": {test: rates}}; BenchFailure
    when it fails or a test has no summary line."""
    cmd = ["openssl", "speed", "-seconds", str(seconds), *tests]
    t0 = time.time()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd="/", timeout=60 + 4 * seconds * len(tests))
    wall = time.time() - t0
    if proc.returncode != 0:
        raise BenchFailure(f"{' '.join(cmd)} failed (exit {proc.returncode}): {proc.stderr[-500:]}")
    rates = parse_openssl_speed(proc.stdout)
    missing = [t for t in tests if t not in rates]
    if missing:
        raise BenchFailure(f"{' '.join(cmd)}: no result for {', '.join(missing)} in:\n{proc.stdout[-1500:]}")
    version = subprocess.run(["openssl", "version"], capture_output=True, text=True).stdout.strip()
    return {"version": version, "command": " ".join(cmd), "seconds": seconds, "wall_s": round(wall, 1),
            "output": proc.stdout + proc.stderr, "rates": rates}


def b64(data):
    return base64.b64encode(data).decode()


class AsymmetricPhase:
    """The phase, run by ``Bench.asymmetric`` with the bench's stack, signer and runner, and
    kmsbench's ``precheck`` and ``sample_of``."""

    def __init__(self, bench, precheck, sample_of):
        self.bench = bench
        self.precheck = precheck
        self.sample_of = sample_of
        self.cfg = bench.cfg
        self.api = bench.api
        self.account = bench.main
        default = "2" if self.cfg.quick else "5"
        self.openssl_seconds = int(os.environ.get("KMS_BENCH_OPENSSL_SECONDS", default))

    def request(self, action, params, region, t):
        return self.bench.signer.request(self.account, action, params, timestamp=t, region=region)

    def create_keys(self):
        """One key per key usage, in the region that holds that kind; {key usage: key id}."""
        keys = {}
        for alg in ALGORITHMS:
            if alg.key_usage not in keys:
                keys[alg.key_usage] = self.api.call(
                    self.account, "CreateKey", {"Alias": f"bench-{alg.key_usage.lower().replace('_', '-')}",
                                                "KeyUsage": alg.key_usage}, region=alg.region)["KeyId"]
        return keys

    def signatures(self, alg, key, n):
        """n (message, signature) pairs signed by the service (the Verify pool's material)."""
        messages = [os.urandom(MESSAGE_BYTES) for _ in range(n)]

        def sign(message):
            r = self.api.call(self.account, "SignByAsymmetricKey",
                              {"KeyId": key, "Algorithm": alg.name, "MessageType": "RAW", "Message": b64(message)},
                              region=alg.region)
            return message, r["Signature"]
        with ThreadPoolExecutor(4) as ex:
            return list(ex.map(sign, messages))

    def sign_pool(self, alg, key, n):
        """(n SignByAsymmetricKey requests, each of its own random RAW message; signing time)."""
        t = time.time()
        return [self.request("SignByAsymmetricKey", {"KeyId": key, "Algorithm": alg.name, "MessageType": "RAW",
                                                     "Message": b64(os.urandom(MESSAGE_BYTES))}, alg.region, t)
                for _ in range(n)], t

    def verify_pool(self, alg, key, pairs):
        """(a VerifyByAsymmetricKey request for each (message, signature); signing time)."""
        t = time.time()
        return [self.request("VerifyByAsymmetricKey", {"KeyId": key, "Algorithm": alg.name, "MessageType": "RAW",
                                                       "Message": b64(m), "SignatureValue": s}, alg.region, t)
                for m, s in pairs], t

    def reference_rows(self):
        """The rows the Sign rows stand next to, measured now unless an earlier phase did."""
        from report import ENCRYPT, TRIVIAL
        bench, c = self.bench, self.cfg.load_conns
        if not bench.best(TRIVIAL, c):
            pool, t = bench.encrypt_pool([(bench.main, bench.key)], 2000)
            self.precheck(self.cfg.ceiling_port, self.sample_of(pool), "trivial responder")
            bench.runner.run(TRIVIAL, "trivial", "trivial", c, pool, signed_at=t)
        if not bench.best(ENCRYPT, c):
            bench.encrypt_run("kms", c)

    def run(self):
        cfg, bench, c = self.cfg, self.bench, self.cfg.load_conns
        log("asymmetric keys: creating one key per kind")
        keys = self.create_keys()
        self.reference_rows()
        for alg in ALGORITHMS:
            key = keys[alg.key_usage]
            pool, t = self.sign_pool(alg, key, SIGN_POOL)
            self.precheck(cfg.port, self.sample_of(pool), f"Sign {alg.name}", "SignByAsymmetricKey")
            bench.runner.run(alg.sign_run, "SignByAsymmetricKey", "kms", c, pool, signed_at=t,
                             note=f"{alg.key_usage} in {alg.region}, RAW {MESSAGE_BYTES}-byte messages")

            pairs = self.signatures(alg, key, VERIFY_POOL)
            pool, t = self.verify_pool(alg, key, pairs)
            self.precheck(cfg.port, self.sample_of(pool), f"Verify {alg.name}", "VerifyByAsymmetricKey")
            bench.runner.run(alg.verify_run, "VerifyByAsymmetricKey", "kms", c, pool, signed_at=t,
                             must_contain=VERIFIED,
                             note=f"{len(pairs)} signatures made by the service; success = {VERIFIED}")

        tests = sorted({alg.openssl for alg in ALGORITHMS})
        wait_quiet(bench.stack)
        log(f"openssl speed -seconds {self.openssl_seconds} {' '.join(tests)} (one process)")
        speed = openssl_speed(tests, self.openssl_seconds)
        with open(os.path.join(cfg.results, "openssl-speed.txt"), "w") as f:
            f.write(f"$ {speed['command']}\n{speed['output']}")
        del speed["output"]
        for test, r in speed["rates"].items():
            log(f"openssl speed {test}: {r['sign_per_s']:,.1f} sign/s, {r['verify_per_s']:,.1f} verify/s (one core)")
        bench.facts["openssl_speed"] = speed
        bench.facts["asymmetric"] = {
            "keys": keys, "message_bytes": MESSAGE_BYTES, "sign_pool": SIGN_POOL, "verify_pool": VERIFY_POOL,
            "algorithms": [{"name": a.name, "key_usage": a.key_usage, "region": a.region, "openssl": a.openssl}
                           for a in ALGORITHMS],
        }
