"""A second, throw-away stack for tests that must run `scripts/kms up` themselves (other listen
addresses, an operator certificate, settings that must or must not stick), so the shared test
stack is never reconfigured. It uses the ports KMS_TEST_SPARE_HTTP_PORT / KMS_TEST_SPARE_HTTPS_PORT
(default 18081 / 18444; `scripts/kms test` exports them) and the binaries the suite runs with
(KMS_SKIP_BUILD=1; KMS_RESPONDER_BIN / KMS_CTL_BIN when set). Also: a throw-away CA made with
`openssl`, and certificates it issues.
"""

import json
import os
import shutil
import subprocess
import tempfile

import pytest

# Settings a spare stack must not inherit from the caller's environment.
STACK_SETTINGS = ("KMS_HTTP_PORT", "KMS_HTTPS_PORT", "KMS_REGIONS", "KMS_WORKERS", "KMS_FRONT_WORKERS", "KMS_LOG_LEVEL",
                  "KMS_RATE_LIMIT", "KMS_CPU_BUDGET", "KMS_DATA_KEY_LIMIT", "KMS_CACHE_STALE_SECONDS", "KMS_TLS_CERT", "KMS_TLS_KEY",
                  "KMS_TLS_CA", "KMS_LISTEN", "KMS_HTTP_LISTEN")


class SpareStack:
    def __init__(self, label):
        repo = os.environ.get("KMS_REPO")
        if not repo:
            pytest.fail("KMS_REPO is not set: run this suite with `scripts/kms test`", pytrace=False)
        self.repo = repo
        self.dir = tempfile.mkdtemp(prefix=f"kms-{label}.", dir="/tmp")
        os.chmod(self.dir, 0o755)   # postgres, kms and www-data must get in (as in scripts/lib/test.sh)
        self.home = os.path.join(self.dir, "home")
        self.http_port = int(os.environ.get("KMS_TEST_SPARE_HTTP_PORT", "18081"))
        self.https_port = int(os.environ.get("KMS_TEST_SPARE_HTTPS_PORT", "18444"))

    def env(self, settings):
        """The environment for scripts/kms: this stack's home and ports; ``settings`` on top (a
        value of None leaves the variable out, "" sets it empty)."""
        env = {k: v for k, v in os.environ.items() if k not in STACK_SETTINGS}
        env.update(KMS_HOME=self.home, KMS_HTTP_PORT=str(self.http_port), KMS_HTTPS_PORT=str(self.https_port),
                   KMS_SKIP_BUILD="1", KMS_READY_TIMEOUT="60")
        for key, value in settings.items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        return env

    def kms(self, *args, **settings):
        return subprocess.run([os.path.join(self.repo, "scripts", "kms"), *args], env=self.env(settings),
                              capture_output=True, text=True, timeout=300, cwd=self.repo)

    def up(self, **settings):
        proc = self.kms("up", **settings)
        assert proc.returncode == 0, f"`scripts/kms up` failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
        return proc

    def status(self):
        proc = self.kms("status", "--json")
        return json.loads(proc.stdout)

    def stack_env(self):
        """stack.env as a dict."""
        with open(os.path.join(self.home, "stack.env")) as fh:
            return dict(line.rstrip("\n").split("=", 1) for line in fh if "=" in line)

    def demo_account(self):
        with open(os.path.join(self.home, "demo-account.json")) as fh:
            return json.load(fh)

    def close(self):
        if os.path.isdir(self.home):
            self.kms("down")
        if self.dir.startswith("/tmp/kms-"):
            shutil.rmtree(self.dir, ignore_errors=True)


def openssl(*args):
    proc = subprocess.run(["openssl", *args], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, f"openssl {' '.join(args)}: {proc.stderr}"
    return proc.stdout


class ThrowAwayCA:
    """A CA of the test's own (P-256), issuing server certificates for given names, the way an
    operator's PKI would: CA:FALSE, serverAuth, subjectAltName, authorityKeyIdentifier."""

    def __init__(self, directory):
        self.dir = directory
        os.makedirs(directory, exist_ok=True)
        self.cert = os.path.join(directory, "ca.pem")
        self.key = os.path.join(directory, "ca.key")
        openssl("req", "-x509", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", self.key, "-out", self.cert, "-days", "90", "-subj", "/O=kms tests/CN=throw-away CA",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")

    def issue(self, name, san, days=60):
        """(cert, key) for subjectAltName ``san`` (e.g. "IP:10.0.0.1"); the key mode 0600."""
        cert, key, csr = (os.path.join(self.dir, f"{name}.{ext}") for ext in ("pem", "key", "csr"))
        ext = os.path.join(self.dir, f"{name}.ext")
        with open(ext, "w") as fh:
            fh.write("basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
                     f"extendedKeyUsage=serverAuth\nsubjectAltName={san}\n"
                     "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid,issuer\n")
        openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", key, "-out", csr, "-subj", f"/CN={name}")
        openssl("x509", "-req", "-in", csr, "-CA", self.cert, "-CAkey", self.key, "-set_serial",
                str(int.from_bytes(os.urandom(8), "big")), "-days", str(days), "-sha256", "-extfile", ext, "-out", cert)
        os.chmod(key, 0o600)
        return cert, key
