"""Issue 13, fault 2: power loss of a responder host under SDK load through the load balancer.
Clients see errors for at most 5 s (the requests in flight on the dead host, until HAProxy's
check marks it down); the host comes back with `cluster start` and takes traffic again with no
failed request."""

import time

from cluster_support import Load

WINDOW_TARGET_SECONDS = 5


def test_responder_host_power_loss_costs_clients_at_most_five_seconds(cluster, capsys):
    cluster.wait_for("a healthy cluster", cluster.healthy, 120)
    account = cluster.new_account("resploss")
    seed = [cluster.client(account).new_key_id() for _ in range(3)]
    victim = "resp1"

    load = Load(lambda: cluster.client(account), seed).start()
    try:
        load.warm_up(cluster)
        killed_at = time.monotonic()
        cluster.run("kill", victim)
        time.sleep(10)
        assert [n["state"] for n in cluster.nodes() if n["name"] == victim] == ["stopped"]
        gap, gap_start, failures = load.window(killed_at)
        settled = len(load.failures)

        cluster.run("start", victim)
        time.sleep(5)   # HAProxy's check: up after 2 successes 1 s apart
        restart_failures = load.failures[settled:]
    finally:
        load.stop()

    with capsys.disabled():
        print(f"\n[cluster] {victim} killed: error window seen by clients {gap:.1f} s "
              f"(from {gap_start - killed_at:+.1f} s), {len(failures)} failed requests, "
              f"{len(load.successes)} succeeded")
        for f in failures[:3]:
            print(f"[cluster]   failure at {f[0] - killed_at:+.1f} s: {f[2]} {f[3]}")
    assert gap <= WINDOW_TARGET_SECONDS, f"clients saw {gap:.1f} s of errors (target ≤ {WINDOW_TARGET_SECONDS} s)"
    assert not restart_failures, f"requests failed while {victim} came back: {restart_failures[:5]}"
    assert [n["state"] for n in cluster.nodes() if n["name"] == victim] == ["running"]
