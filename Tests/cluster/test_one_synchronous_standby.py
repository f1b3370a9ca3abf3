"""`cluster up --standbys 2` (the suite's cluster): exactly one synchronous standby, the other
asynchronous (Patroni's synchronous_node_count: 1), as PostgreSQL itself reports; `cluster status
--json` gives SPEC §8's roles exactly. When the synchronous standby dies, Patroni makes the
asynchronous one synchronous (still exactly one), and the returning one streams asynchronously."""

import time


def replication(cluster, primary):
    rc, out = cluster.psql_on(primary, "SELECT application_name, sync_state FROM pg_stat_replication ORDER BY 1")
    assert rc == 0, out
    return dict(line.split("|") for line in out.splitlines() if line)


def standbys(cluster):
    members = cluster.patroni_members()
    return ({n for n, (r, s) in members.items() if r == "sync_standby" and s in ("running", "streaming")},
            {n for n, (r, s) in members.items() if r == "replica" and s in ("running", "streaming")})


def test_exactly_one_synchronous_standby_and_exact_roles(cluster, capsys):
    cluster.wait_for("a healthy cluster", cluster.healthy, 120)
    pg = sorted(n for n in cluster.addresses if n.startswith("pg"))
    assert len(pg) == 3, pg
    cluster.wait_for("every standby a replica", lambda: sum(map(len, standbys(cluster))) == 2, 60)
    primary = cluster.leader()
    (sync,), (asynchronous,) = standbys(cluster)
    cluster.wait_for("both streaming", lambda: len(replication(cluster, primary)) == 2, 60)
    assert replication(cluster, primary) == {sync: "sync", asynchronous: "async"}

    status = cluster.status()
    roles = {n["name"]: n["role"] for n in status["nodes"]}
    expected = {"lb": "lb", "etcd1": "etcd", "etcd2": "etcd", "etcd3": "etcd", primary: "postgres-primary",
                sync: "postgres-standby", asynchronous: "postgres-standby", "resp1": "responder", "resp2": "responder"}
    assert roles == expected, roles
    assert all(set(n) >= {"name", "role", "address", "pids"} for n in status["nodes"])

    killed_at = time.monotonic()
    cluster.run("kill", sync)
    cluster.wait_for(f"{asynchronous} to become the synchronous standby",
                     lambda: standbys(cluster)[0] == {asynchronous}, 60)
    took = time.monotonic() - killed_at
    assert replication(cluster, primary) == {asynchronous: "sync"}
    cluster.run("start", sync)
    cluster.wait_for(f"{sync} back as a replica", lambda: standbys(cluster) == ({asynchronous}, {sync}), 120)
    # Patroni calls it running before its WAL receiver has connected.
    cluster.wait_for(f"{sync} streaming asynchronously",
                     lambda: replication(cluster, primary) == {asynchronous: "sync", sync: "async"}, 60)
    assert cluster.leader() == primary
    with capsys.disabled():
        print(f"\n[cluster] synchronous standby {sync} killed: {asynchronous} synchronous after {took:.1f} s; "
              f"{sync} back as asynchronous")
