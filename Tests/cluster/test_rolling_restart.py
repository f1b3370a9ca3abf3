"""Issue 13, fault 5: a rolling restart of every responder host (`cluster restart NAME`, one after
the other) under SDK load through the load balancer: not one request fails."""

import time

from cluster_support import Load


def test_rolling_restart_of_every_responder_host_fails_no_request(cluster, capsys):
    cluster.wait_for("a healthy cluster", cluster.healthy, 120)
    account = cluster.new_account("rolling")
    seed = [cluster.client(account).new_key_id() for _ in range(3)]
    hosts = [n["name"] for n in cluster.nodes("responder")]
    before = {n["name"]: n["pids"]["responder"] for n in cluster.nodes("responder")}

    load = Load(lambda: cluster.client(account), seed).start()
    try:
        cluster.wait_for("the load to get going", lambda: len(load.successes) >= 20, 30)
        started = time.monotonic()
        for host in hosts:
            cluster.run("restart", host)
            time.sleep(1)
        took = time.monotonic() - started
        time.sleep(2)
    finally:
        load.stop()

    after = {n["name"]: n["pids"]["responder"] for n in cluster.nodes("responder")}
    with capsys.disabled():
        print(f"\n[cluster] rolling restart of {', '.join(hosts)} in {took:.1f} s: "
              f"{len(load.failures)} failed requests, {len(load.successes)} succeeded")
    assert all(after[h] and after[h] != before[h] for h in hosts), (before, after)
    assert not load.failures, f"requests failed during the rolling restart: {load.failures[:5]}"
