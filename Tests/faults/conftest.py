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

import os
import sys
import uuid

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "e2e"))

from e2e_support import Account, ctl_json, run_ctl, stack_env  # noqa: E402
from faults_support import Stack  # noqa: E402



def ctl_output(stack, *args):
    """``scripts/kms ctl ARGS`` against the stack; its stdout."""
    return run_ctl(stack.repo, args, env={**os.environ, "KMS_HOME": stack.home})


def ctl_json_of(stack, *args):
    """``scripts/kms ctl ARGS --json``; the parsed JSON object."""
    return ctl_json(ctl_output(stack, *args, "--json"), "scripts/kms ctl " + " ".join(args) + " --json")


@pytest.fixture(scope="session")
def stack():
    s = Stack(**stack_env("faults"))
    pids = s.pids()   # `scripts/kms status --json`
    if None in pids.values() or s.problems():
        pytest.fail(f"the stack in {s.home} is not running: {pids} {s.problems()}", pytrace=False)
    s.probe_account = new_account(s, "probe")
    return s


def new_account(stack, label):
    name = f"faults-{label}-{uuid.uuid4().hex[:8]}"
    return Account.from_ctl(name, ctl_json_of(stack, "account", "create", "--name", name))


@pytest.fixture(scope="session")
def make_account(stack):
    """``make_account("label")`` -> a brand-new account (no keys)."""
    return lambda label="acct": new_account(stack, label)


@pytest.fixture(scope="session")
def make_credential(stack):
    """``make_credential(account)`` -> the same account with a further SecretId/SecretKey."""
    def make(account):
        data = ctl_json_of(stack, "credential", "create", "--app-id", account.app_id)
        return Account.from_ctl(account.name, data)
    return make


@pytest.fixture(scope="session")
def disable_credential(stack):
    """``disable_credential(account)``: `kms ctl credential disable` of its SecretId (another process
    than the responder changes the database, as an operator would)."""
    return lambda account: ctl_output(stack, "credential", "disable", "--secret-id", account.secret_id)


@pytest.fixture(autouse=True)
def healthy_stack(stack):
    """Each test starts on a healthy stack and leaves one behind, even when it fails halfway
    (PostgreSQL stopped, responder killed): the next test must not pay for it."""
    stack.wait_healthy()
    yield stack
    stack.restore()
