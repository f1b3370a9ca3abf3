"""Three etcd members (issue 13's production shape): losing one, even etcd's leader, costs clients
nothing, and the PostgreSQL primary can still fail over while that member is down (two of three
are a quorum, so Patroni's leader lock still moves). Nothing acknowledged is lost; the member
rejoins with `cluster start`."""

import json
import os
import ssl
import time
import urllib.request

from cluster_support import Load
from e2e_support import b64

FAILOVER_TARGET_SECONDS = 30


def etcd_get(cluster, address, path):
    tls = os.path.join(cluster.env["KMS_CLUSTER_HOME"], "tls")
    ctx = ssl.create_default_context(cafile=os.path.join(tls, "ca.pem"))
    ctx.load_cert_chain(os.path.join(tls, "admin.pem"), os.path.join(tls, "admin.key"))
    with urllib.request.urlopen(f"https://{address}:2379{path}", timeout=2, context=ctx) as r:
        return json.load(r)


def etcd_members(cluster):
    return sorted(n for n in cluster.addresses if n.startswith("etcd"))


def etcd_leader(cluster):
    for name in etcd_members(cluster):
        try:
            if etcd_get(cluster, cluster.addresses[name], "/v2/stats/self").get("state") == "StateLeader":
                return name
        except OSError:
            continue
    return None


def etcd_healthy(cluster, name):
    try:
        return etcd_get(cluster, cluster.addresses[name], "/health").get("health") == "true"
    except (OSError, ValueError):
        return False


def test_one_etcd_member_down_costs_nothing_and_a_failover_still_happens(cluster, capsys):
    cluster.wait_for("a healthy cluster", cluster.healthy, 120)
    assert len(etcd_members(cluster)) == 3
    assert [n["role"] for n in cluster.nodes() if n["name"].startswith("etcd")] == ["etcd"] * 3
    victim = cluster.wait_for("an etcd leader", lambda: etcd_leader(cluster), 30)
    primary = cluster.leader()
    account = cluster.new_account("etcdloss")
    seed = [cluster.client(account).new_key_id() for _ in range(3)]

    load = Load(lambda: cluster.client(account), seed).start()
    try:
        load.warm_up(cluster)
        etcd_killed_at = time.monotonic()
        cluster.run("kill", victim)
        new_etcd_leader = cluster.wait_for("a new etcd leader", lambda: etcd_leader(cluster), 30)
        etcd_election = time.monotonic() - etcd_killed_at
        # Longer than Patroni's retry_timeout (9 s): had it lost etcd, the primary would demote.
        time.sleep(12)
        etcd_gap, _, etcd_failures = load.window(etcd_killed_at)
        primary_kept = cluster.leader()

        # The primary fails over while only two etcd members run.
        pg_killed_at = time.monotonic()
        cluster.run("kill", primary)
        new_primary = cluster.wait_for("a standby to become primary",
                                       lambda: cluster.leader(exclude={primary}), 60)
        promoted_after = time.monotonic() - pg_killed_at
        cluster.wait_for("writes through the new primary",
                         lambda: load.successes and load.successes[-1] > pg_killed_at + promoted_after, 30)
        time.sleep(3)
        gap, gap_start, failures = load.window(pg_killed_at)
    finally:
        load.stop()

    cluster.run("start", victim)
    cluster.wait_for(f"{victim} to rejoin etcd", lambda: etcd_healthy(cluster, victim), 60)
    cluster.run("start", primary)
    cluster.wait_for(f"{primary} to rejoin as a standby", cluster.healthy, 180)
    roles = sorted(n["role"] for n in cluster.nodes() if n["name"].startswith("pg"))

    with capsys.disabled():
        print(f"\n[cluster] etcd leader {victim} killed: new etcd leader {new_etcd_leader} after "
              f"{etcd_election:.1f} s; clients: longest gap {etcd_gap:.1f} s, {len(etcd_failures)} failed requests")
        print(f"[cluster] then primary {primary} killed with 2 of 3 etcd members: {new_primary} promoted after "
              f"{promoted_after:.1f} s; error window {gap:.1f} s (from {gap_start - pg_killed_at:+.1f} s), "
              f"{len(failures)} failed requests; {len(load.created)} keys, {len(load.encrypted)} ciphertexts acknowledged")
    assert primary_kept == primary, f"the primary changed to {primary_kept} when one etcd member died"
    assert not etcd_failures, f"requests failed while an etcd member was down: {etcd_failures[:5]}"
    assert new_primary != primary
    assert gap <= FAILOVER_TARGET_SECONDS, f"clients saw {gap:.1f} s of errors (target ≤ {FAILOVER_TARGET_SECONDS} s)"
    assert roles == ["postgres-primary"] + ["postgres-standby"] * (len(roles) - 1), roles
    assert all(etcd_healthy(cluster, n) for n in etcd_members(cluster))

    check = cluster.client(account, timeout=15)
    missing = [k for k in set(load.created) if check.DescribeKey(KeyId=k).KeyMetadata.KeyId != k]
    assert not missing, f"{len(missing)} acknowledged keys lost: {missing[:5]}"
    wrong = [b for k, p, b in load.encrypted if check.Decrypt(CiphertextBlob=b).Plaintext != b64(p)]
    assert not wrong, f"{len(wrong)} acknowledged ciphertexts do not decrypt"
