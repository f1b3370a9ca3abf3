"""Fixtures of the fault-injection suite.

It runs against the stack that ``scripts/kms test`` starts, after the end-to-end suite (it kills
the responder, stops PostgreSQL and reloads nginx), with the same environment: KMS_HOME,
KMS_ENDPOINT, KMS_HTTPS_ENDPOINT, KMS_CA_FILE, KMS_REPO. Without them every test fails (never skips).
Run it alone against a stack of your own with, e.g.:

    KMS_HOME=/tmp/kmsfault KMS_ENDPOINT=127.0.0.1:28080 KMS_HTTPS_ENDPOINT=127.0.0.1:28443 \\
    KMS_CA_FILE=/tmp/kmsfault/tls/ca.pem KMS_REPO=$PWD python3 -m pytest -q Tests/faults

Every test starts on a healthy stack and, whatever happens, leaves it healthy for the next one:
PostgreSQL running, a responder up, and a burst of requests reaching every worker answered.
"""

import json
import os
import subprocess
import sys
import uuid

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "e2e"))

from e2e_support import Account, strip_scheme  # noqa: E402
from faults_support import Stack  # noqa: E402

REQUIRED_ENV = ("KMS_HOME", "KMS_ENDPOINT", "KMS_HTTPS_ENDPOINT", "KMS_CA_FILE", "KMS_REPO")


def run_ctl(stack, *args):
    """``scripts/kms ctl ARGS`` against the stack; its stdout."""
    cmd = [stack.kms_script, "ctl", *args]
    try:
        proc = subprocess.run(cmd, env={**os.environ, "KMS_HOME": stack.home}, capture_output=True,
                              text=True, timeout=180, cwd=stack.repo)
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.fail(f"`{' '.join(cmd)}` could not run: {exc}", pytrace=False)
    if proc.returncode != 0:
        pytest.fail(f"`{' '.join(cmd)}` exited {proc.returncode}\nstdout: {proc.stdout}\nstderr: {proc.stderr}",
                    pytrace=False)
    return proc.stdout


def ctl_json(stack, *args):
    """``scripts/kms ctl ARGS --json``; the parsed JSON object."""
    out = run_ctl(stack, *args, "--json")
    for line in reversed(out.strip().splitlines()):  # tolerate log lines before the JSON
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                break
    pytest.fail(f"`scripts/kms ctl {' '.join(args)} --json` did not print JSON: {out!r}", pytrace=False)


@pytest.fixture(scope="session")
def stack():
    missing = [name for name in REQUIRED_ENV if not os.environ.get(name)]
    if missing:
        pytest.fail("the faults suite needs a running stack: " + ", ".join(missing) +
                    " not set. Run it with `scripts/kms test` (which exports KMS_HOME, KMS_ENDPOINT, "
                    "KMS_HTTPS_ENDPOINT, KMS_CA_FILE and KMS_REPO).", pytrace=False)
    s = Stack(home=os.environ["KMS_HOME"], endpoint=strip_scheme(os.environ["KMS_ENDPOINT"]),
              https_endpoint=strip_scheme(os.environ["KMS_HTTPS_ENDPOINT"]),
              ca_file=os.environ["KMS_CA_FILE"], repo=os.environ["KMS_REPO"])
    if not os.path.isfile(s.ca_file):
        pytest.fail(f"KMS_CA_FILE={s.ca_file} does not exist", pytrace=False)
    if not os.access(s.kms_script, os.X_OK):
        pytest.fail(f"{s.kms_script} is missing or not executable (KMS_REPO={s.repo})", pytrace=False)
    pids = s.pids()   # `scripts/kms status --json`
    if None in pids.values() or s.problems():
        pytest.fail(f"the stack in {s.home} is not running: {pids} {s.problems()}", pytrace=False)
    s.probe_account = new_account(s, "probe")
    return s


def new_account(stack, label):
    name = f"faults-{label}-{uuid.uuid4().hex[:8]}"
    return Account.from_ctl(name, ctl_json(stack, "account", "create", "--name", name))


@pytest.fixture(scope="session")
def make_account(stack):
    """``make_account("label")`` -> a brand-new account (no keys)."""
    return lambda label="acct": new_account(stack, label)


@pytest.fixture(scope="session")
def make_credential(stack):
    """``make_credential(account)`` -> the same account with a further SecretId/SecretKey."""
    def make(account):
        data = ctl_json(stack, "credential", "create", "--app-id", account.app_id)
        return Account.from_ctl(account.name, data)
    return make


@pytest.fixture(scope="session")
def disable_credential(stack):
    """``disable_credential(account)``: `kms ctl credential disable` of its SecretId (another process
    than the responder changes the database, as an operator would)."""
    return lambda account: run_ctl(stack, "credential", "disable", "--secret-id", account.secret_id)


@pytest.fixture(autouse=True)
def healthy_stack(stack):
    """Each test starts on a healthy stack and leaves one behind, even when it fails halfway
    (PostgreSQL stopped, responder killed): the next test must not pay for it."""
    stack.wait_healthy()
    yield stack
    stack.restore()
