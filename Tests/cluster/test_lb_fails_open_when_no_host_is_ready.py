"""When no responder host is ready (every one cut off from PostgreSQL, as during a primary
failover), the load balancer fails open: it sends requests to every live host (its /healthz),
which answer with their own Tencent error code or serve what needs no write, instead of every
client getting HAProxy's HTML 503 page. Once one host is ready again, only ready hosts serve."""

import time

from cluster_support import Load
from haproxy_support import server_sessions, server_status
from test_readyz_takes_host_out_of_pool import routes, wait_status

HAPROXY_PAGE = "HTTP 503 with Content-Type 'text/html'"


def test_no_host_ready_sends_requests_to_live_hosts_not_an_html_page(cluster, capsys):
    cluster.wait_for("a healthy cluster", cluster.healthy, 120)
    hosts = sorted(n for n in cluster.addresses if n.startswith("resp"))
    account = cluster.new_account("failopen")
    seed = [cluster.client(account).new_key_id() for _ in range(3)]

    load = Load(lambda: cluster.client(account), seed).start()
    try:
        load.warm_up(cluster, settle=0)
        cut_at = time.monotonic()
        for host in hosts:
            routes(cluster, host, "add")
        for host in hosts:
            wait_status(cluster, host, "DOWN", 25)
        none_ready_at = time.monotonic()
        sessions_before = sum(server_sessions(cluster, h) for h in hosts)
        # Requests the hosts took before they left the pool hang until their connections to
        # PostgreSQL time out (tcp_user_timeout 6 s, the client's 5 s): only later ones count.
        time.sleep(8)
        observed_from = time.monotonic()
        time.sleep(5)
        sessions_after = sum(server_sessions(cluster, h) for h in hosts)
        observed = [f for f in load.failures if f[0] >= observed_from]
        answered = len([t for t in load.successes if t >= observed_from])

        healed_at = time.monotonic()
        for host in hosts:
            routes(cluster, host, "del")
        for host in hosts:
            wait_status(cluster, host, "UP", 20)
        settled = len(load.failures)
        time.sleep(3)
        after_heal = load.failures[settled:]
    finally:
        for host in hosts:
            routes(cluster, host, "del")
        load.stop()

    codes = {}
    for f in observed:
        code = f[3].split("code:", 1)[-1].split(" ", 1)[0] if "code:" in f[3] else f[2]
        codes[code] = codes.get(code, 0) + 1
    with capsys.disabled():
        print(f"\n[cluster] every responder host cut off from PostgreSQL: none ready after "
              f"{none_ready_at - cut_at:.1f} s; over the next 5 s (from +{observed_from - cut_at:.1f} s) "
              f"{sessions_after - sessions_before} requests went to the live hosts: {answered} succeeded, "
              f"failures by code {codes}; healed: every host ready after {time.monotonic() - healed_at:.1f} s")
    assert sessions_after > sessions_before, "no request reached a host while none was ready"
    page = [f for f in observed if HAPROXY_PAGE in f[3]]
    assert not page, f"clients got HAProxy's 503 page: {page[:3]}"
    assert all("code:" in f[3] and "ClientNetworkError" not in f[3] for f in observed), observed[:5]
    assert all(server_status(cluster, h) == {"UP"} for h in hosts)
    assert not after_heal, f"requests failed after the heal: {after_heal[:5]}"
