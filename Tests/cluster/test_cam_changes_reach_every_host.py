"""CAM changes hold on every responder host within a second (issue 14, SPEC §6): a policy attached
and detached, an access key deactivated and activated — each made through the load balancer — and
each host, asked directly, decides on the new state. Each host keeps its own caches (compiled
policies, credentials); the database's change notifications reach every host's cache invalidator."""

import os
import time

from cam_support import Cam, add_sub_user, allow, key_resource
from e2e_support import FIPS_REGION, Kms

HOSTS = ("resp1", "resp2")
HOST_HTTP_PORT = 8080   # scripts/lib/cluster.sh: every responder host's plain HTTP listener


def outcome(kms, key):
    try:
        kms.encrypt(key, os.urandom(16))
        return "ok"
    except Exception as exc:   # the SDK's TencentCloudSDKException carries .code
        return getattr(exc, "code", None) or type(exc).__name__


def every_host_says(direct, key, expected, limit=1.0):
    """Seconds until every host answers ``expected`` (asked in turn, ~every 20 ms); fails after ``limit``."""
    started = time.monotonic()
    while True:
        answers = {host: outcome(kms, key) for host, kms in direct.items()}
        if all(a == expected for a in answers.values()):
            return time.monotonic() - started
        assert time.monotonic() - started < limit, f"not every host answers {expected} after {limit} s: {answers}"
        time.sleep(0.02)


def test_policy_and_access_key_changes_hold_on_every_host_within_a_second(cluster, capsys):
    cluster.wait_for("a healthy cluster", cluster.healthy, 120)
    root = cluster.new_account("cam")
    key = cluster.client(root).new_key_id()
    cam = Cam(root, cluster.status()["endpoint"].split("://", 1)[1])   # through the load balancer
    added, app = add_sub_user(cam, root)
    direct = {host: Kms(app, FIPS_REGION, f"{cluster.addresses[host]}:{HOST_HTTP_PORT}", timeout=5) for host in HOSTS}

    # No policy yet: every host refuses (and has now cached the sub-user's empty policy set).
    every_host_says(direct, key, "UnauthorizedOperation")
    figures = {}
    policy = allow(cam, added.Uin, ["kms:Encrypt"], key_resource(FIPS_REGION, root.uin, key))
    figures["attach"] = every_host_says(direct, key, "ok")
    cam.DetachUserPolicy(PolicyId=policy, DetachUin=added.Uin)
    figures["detach"] = every_host_says(direct, key, "UnauthorizedOperation")
    cam.AttachUserPolicy(PolicyId=policy, AttachUin=added.Uin)
    every_host_says(direct, key, "ok")
    cam.UpdateAccessKey(AccessKeyId=app.secret_id, Status="Inactive", TargetUin=added.Uin)
    figures["deactivate"] = every_host_says(direct, key, "AuthFailure.SecretIdNotFound")
    cam.UpdateAccessKey(AccessKeyId=app.secret_id, Status="Active", TargetUin=added.Uin)
    figures["activate"] = every_host_says(direct, key, "ok")
    with capsys.disabled():
        print("\n[cluster] CAM changes on both hosts within: "
              + ", ".join(f"{what} {seconds * 1000:.0f} ms" for what, seconds in figures.items()))
