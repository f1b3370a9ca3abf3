"""Fixtures of the cluster fault suite (issue 13, SPEC §8).

The suite brings up a cluster of its own with ``scripts/kms cluster up`` (namespaces ``kt-*`` on
``10.214.0.0/24``, load balancer on 127.0.0.1:29480/29843, state in a fresh directory under /tmp)
and takes it down again at the end. It needs root. Not part of ``scripts/kms test`` yet; run it as

    KMS_SKIP_BUILD=1 KMS_RESPONDER_BIN=$PWD/.build/debug/kms-responder \\
    KMS_CTL_BIN=$PWD/.build/debug/kmsctl python3 -m pytest -q -s Tests/cluster

Settings: KMS_TEST_CLUSTER_HTTP_PORT, KMS_TEST_CLUSTER_HTTPS_PORT, KMS_TEST_CLUSTER_SUBNET,
KMS_TEST_CLUSTER_NAME (prefix of namespaces and links, default kt: two suites side by side),
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
    home = tempfile.mkdtemp(prefix="kms-cluster-test.")
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
        c.up()
        yield c
    finally:
        if os.environ.get("KMS_TEST_CLUSTER_KEEP") != "1":
            c.down()
            shutil.rmtree(home, ignore_errors=True)
