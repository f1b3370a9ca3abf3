"""`scripts/kms up` makes the operator's account on a new stack and prints its credential once: on
the first run only, never on the next, and written to no file under KMS_HOME (unlike the demo
account's). The credential printed works (the Organization API answers it) and is the operator's.
"""

import os
import re
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "e2e"))

from e2e_support import Account  # noqa: E402
from organization_support import Organization  # noqa: E402
from spare_stack import SpareStack  # noqa: E402

SECRET_ID_RE = re.compile(r"Operator SecretId\s+(AKID[A-Za-z0-9]{32})\b")
SECRET_KEY_RE = re.compile(r"Operator SecretKey\s+([A-Za-z0-9]{32})\b")


@pytest.fixture
def spare():
    stack = SpareStack("operator")
    yield stack
    stack.close()


def files_holding(root, needle):
    """Every regular file under ``root`` whose bytes contain ``needle``."""
    found = []
    for directory, _, names in os.walk(root):
        for name in names:
            path = os.path.join(directory, name)
            if os.path.islink(path) or not os.path.isfile(path):
                continue
            try:
                with open(path, "rb") as fh:
                    if needle in fh.read():
                        found.append(path)
            except OSError:
                continue  # sockets, files gone meanwhile
    return found


def test_up_prints_the_operator_credential_on_the_first_run_only_and_stores_it_nowhere(spare):
    first = spare.up()
    shown = first.stdout + first.stderr
    secret_ids, secret_keys = SECRET_ID_RE.findall(shown), SECRET_KEY_RE.findall(shown)
    assert len(secret_ids) == 1 and len(secret_keys) == 1, f"the first up must print the operator credential once:\n{shown}"
    secret_id, secret_key = secret_ids[0], secret_keys[0]
    assert "written to no file" in shown

    operator = Account("operator", "", "", secret_id, secret_key)
    org = Organization(operator, f"127.0.0.1:{spare.http_port}")
    assert org.DescribeOrganization().IsManager is True
    assert secret_key != spare.demo_account()["SecretKey"]

    second = spare.up()
    again = second.stdout + second.stderr
    assert not SECRET_KEY_RE.search(again) and secret_key not in again and secret_id not in again, again
    # The same operator, still working: the second up made no new one.
    assert org.DescribeOrganization().IsManager is True

    assert files_holding(spare.home, secret_key.encode()) == []
