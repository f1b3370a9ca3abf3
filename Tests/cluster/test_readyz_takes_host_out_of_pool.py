"""The load balancer checks each responder host's /readyz (issue 13, SPEC §8): a host whose
responder cannot reach PostgreSQL leaves the pool within seconds, clients through the load
balancer see errors only until then (measured), and the host returns once healed.

The cut: blackhole routes to every PostgreSQL host inside the responder host's namespace (its
packets to them go nowhere; its established connections hang until keepalives and
tcp_user_timeout end them, as behind a broken switch). Its nginx and responder keep running and
its /healthz stays 200: only /readyz can tell the load balancer."""

import subprocess
import time
import urllib.error
import urllib.request

from cluster_support import Load
from haproxy_support import server_sessions, server_status

# /readyz turns 503 once the readiness monitor's last good check is 5 s old (Readiness.
# staleAfterMilliseconds) or its next check fails; HAProxy then needs 2 failed checks 1 s apart.
DOWN_TARGET_SECONDS = 12
UP_TARGET_SECONDS = 10


def probe(address, path):
    try:
        with urllib.request.urlopen(f"http://{address}:8080{path}", timeout=3) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def routes(cluster, host, verb):
    ns = f"{cluster.env['KMS_CLUSTER_NAME']}-{host}"
    for name, address in cluster.addresses.items():
        if name.startswith("pg"):
            subprocess.run(["ip", "-n", ns, "route", verb, "blackhole", f"{address}/32"],
                           check=verb == "add", capture_output=True)


def wait_status(cluster, host, wanted, timeout):
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        if server_status(cluster, host) == {wanted}:
            return time.monotonic()
        time.sleep(0.1)
    raise AssertionError(f"{host} not {wanted} in HAProxy after {timeout} s: {server_status(cluster, host)}")


def test_host_cut_off_from_postgresql_leaves_the_pool_and_returns(cluster, capsys):
    cluster.wait_for("a healthy cluster", cluster.healthy, 120)
    victim = "resp1"
    address = cluster.addresses[victim]
    assert probe(address, "/readyz")[0] == 200
    assert server_status(cluster, victim) == {"UP"}
    account = cluster.new_account("readyz")
    seed = [cluster.client(account).new_key_id() for _ in range(3)]

    load = Load(lambda: cluster.client(account), seed).start()
    try:
        load.warm_up(cluster)
        cut_at = time.monotonic()
        routes(cluster, victim, "add")
        down_at = wait_status(cluster, victim, "DOWN", DOWN_TARGET_SECONDS + 10)
        ready_status, ready_body = probe(address, "/readyz")
        live_status = probe(address, "/healthz")[0]
        time.sleep(5)   # out of the pool: nothing should fail any more
        sessions_out = server_sessions(cluster, victim)
        out_failures = [f for f in load.failures if f[1] >= cut_at]
        successes_while_out = len([t for t in load.successes if t > down_at])
        time.sleep(2)
        sessions_out_later = server_sessions(cluster, victim)

        healed_at = time.monotonic()
        routes(cluster, victim, "del")
        up_at = wait_status(cluster, victim, "UP", UP_TARGET_SECONDS + 10)
        settled = len(load.failures)
        time.sleep(4)
        sessions_back = server_sessions(cluster, victim)
        back_failures = load.failures[settled:]
    finally:
        routes(cluster, victim, "del")
        load.stop()

    last_failure = max((f[1] for f in out_failures), default=cut_at)
    with capsys.disabled():
        print(f"\n[cluster] {victim} cut off from PostgreSQL: /readyz {ready_status} ({ready_body.strip()}), "
              f"/healthz {live_status}; out of the pool after {down_at - cut_at:.1f} s; "
              f"{len(out_failures)} failed requests, the last ending {last_failure - cut_at:.1f} s after the cut; "
              f"healed: back in the pool after {up_at - healed_at:.1f} s; "
              f"{len(load.successes)} requests succeeded")
        for f in out_failures[:3]:
            print(f"[cluster]   failure {f[0] - cut_at:+.1f} s .. {f[1] - cut_at:+.1f} s: {f[2]} {f[3]}")
    assert ready_status == 503 and "postgresql" in ready_body, (ready_status, ready_body)
    assert live_status == 200, "the host is alive, only not ready"
    assert down_at - cut_at <= DOWN_TARGET_SECONDS, f"left the pool only after {down_at - cut_at:.1f} s"
    # Errors only for requests HAProxy sent to the host before it left the pool.
    late = [f for f in out_failures if f[0] > down_at + 0.2]
    assert not late, f"requests started after {victim} left the pool failed: {late[:5]}"
    assert successes_while_out > 0, "the other host did not serve while this one was out"
    assert sessions_out_later == sessions_out, "HAProxy still sent requests to the host out of the pool"
    assert up_at - healed_at <= UP_TARGET_SECONDS, f"back in the pool only after {up_at - healed_at:.1f} s"
    assert sessions_back > sessions_out_later, "no request reached the host after it came back"
    assert not back_failures, f"requests failed after the heal: {back_failures[:5]}"
