"""Fixtures of the cluster fault suite (issue 13, SPEC §8).

The suite brings up a cluster of its own in the production shape with ``scripts/kms cluster up
--standbys 2`` (3 etcd members, a primary, a synchronous and an asynchronous standby, 2 responder
hosts; namespaces ``kt-*`` on ``10.214.0.0/24``, load balancer on 127.0.0.1:29480/29843, state in
a fresh directory under /tmp) and takes it down again at the end. It needs root. ``scripts/kms
test`` runs it as its suite ``cluster`` (scripts/lib/test_cluster.sh); alone:

    KMS_SKIP_BUILD=1 KMS_RESPONDER_BIN=$PWD/.build/debug/kms-responder \\
    KMS_CTL_BIN=$PWD/.build/debug/kmsctl python3 -m pytest -q -s Tests/cluster

Settings: KMS_TEST_CLUSTER_HTTP_PORT, KMS_TEST_CLUSTER_HTTPS_PORT, KMS_TEST_CLUSTER_SUBNET,
KMS_TEST_CLUSTER_NAME (prefix of namespaces and links, default kt), KMS_TEST_CLUSTER_HOME (the
cluster's directory, which the caller owns: kept; default a fresh one, removed at the end),
KMS_TEST_CLUSTER_KEEP=1 (leave the cluster running and its directory in place, for a post-mortem).
"""

import os
import shutil
import sys
import tempfile

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "e2e"))

from cluster_support import Cluster  # noqa: E402


@pytest.fixture(scope="session")
def cluster():
    repo = os.path.dirname(os.path.dirname(HERE))
    given = os.environ.get("KMS_TEST_CLUSTER_HOME")
    home = given or tempfile.mkdtemp(prefix="kms-cluster-test.")
    os.makedirs(home, exist_ok=True)
    os.chmod(home, 0o755)   # the service users walk down to their files
    env = {
        **os.environ,
        "KMS_HOME": home,
        "KMS_CLUSTER_HOME": os.path.join(home, "cluster"),
        "KMS_CLUSTER_NAME": os.environ.get("KMS_TEST_CLUSTER_NAME", "kt"),
        "KMS_CLUSTER_SUBNET": os.environ.get("KMS_TEST_CLUSTER_SUBNET", "10.214.0"),
        "KMS_CLUSTER_HTTP_PORT": os.environ.get("KMS_TEST_CLUSTER_HTTP_PORT", "29480"),
        "KMS_CLUSTER_HTTPS_PORT": os.environ.get("KMS_TEST_CLUSTER_HTTPS_PORT", "29843"),
    }
    c = Cluster(repo, env)
    try:
        c.up("--standbys", "2")
        yield c
    finally:
        if os.environ.get("KMS_TEST_CLUSTER_KEEP") != "1":
            c.down()
            if not given:
                shutil.rmtree(home, ignore_errors=True)
