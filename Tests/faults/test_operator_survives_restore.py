"""The operator is a row like any other (issue 14): after ``scripts/kms backup`` / ``restore`` into a
new KMS_HOME, the credential the first ``up`` printed still works, the tenant accounts it made are
there with their state (a disabled one stays disabled), and the restored stack's ``up`` prints no
new operator credential (the operator exists).

Ports: KMS_OPERATOR_RESTORE_TEST_PORT (default 18590) and the three above it.
"""

import os
import re
import shutil
import tempfile

import pytest

from e2e_support import Account
from organization_support import FINANCIAL, Organization
from test_backup_restore import kms, new_home, ok

BASE_PORT = int(os.environ.get("KMS_OPERATOR_RESTORE_TEST_PORT", "18590"))
SECRET_ID_RE = re.compile(r"Operator SecretId\s+(AKID[A-Za-z0-9]{32})\b")
SECRET_KEY_RE = re.compile(r"Operator SecretKey\s+([A-Za-z0-9]{32})\b")


@pytest.fixture(scope="module")
def homes():
    src, dst = new_home("op-src"), new_home("op-dst")
    backup = tempfile.mkdtemp(prefix="kms-op-bk.", dir="/tmp")
    os.rmdir(backup)  # `backup DIR` makes it
    yield src, dst, backup
    for home in (src, dst):
        if os.path.exists(os.path.join(home, "pg", "postmaster.pid")):
            kms(home, "down")
    for path in (src, dst, backup):
        shutil.rmtree(path, ignore_errors=True)


def test_the_operator_and_its_members_survive_a_restore(homes):
    src, dst, backup = homes
    src_ports, dst_ports = (BASE_PORT, BASE_PORT + 1), (BASE_PORT + 2, BASE_PORT + 3)
    first = ok(src, "up", ports=src_ports)
    operator = Account("operator", "", "", SECRET_ID_RE.search(first).group(1), SECRET_KEY_RE.search(first).group(1))
    org = Organization(operator, f"127.0.0.1:{src_ports[0]}")
    kept = org.CreateOrganizationMember(Name="restore-kept", AccountName="restore-kept", **FINANCIAL).Uin
    off = org.CreateOrganizationMember(Name="restore-off", AccountName="restore-off", **FINANCIAL).Uin
    org.DeleteOrganizationMembers(MemberUin=[off])

    ok(src, "backup", backup)
    ok(src, "down")
    ok(dst, "restore", backup, ports=dst_ports)
    again = ok(dst, "up", ports=dst_ports)
    assert not SECRET_KEY_RE.search(again) and operator.secret_key not in again, again

    restored = Organization(operator, f"127.0.0.1:{dst_ports[0]}")
    members = {m.MemberUin: m.PermissionStatus for m in restored.DescribeOrganizationMembers(Offset=0, Limit=50).Items}
    assert members.get(kept) == "Confirmed" and members.get(off) == "UnConfirmed", members
