"""A responder host runs issue 12's watchdog inside its namespace, as a single-host stack does: an
nginx master or a responder supervisor killed with -9 is started again by it (in the host's
namespace, on the host's address), and the load balancer takes the host back."""

import os
import signal
import time
import urllib.error
import urllib.request

from haproxy_support import server_status


def ready(address):
    try:
        with urllib.request.urlopen(f"http://{address}:8080/readyz", timeout=2) as r:
            return r.status == 200
    except (OSError, urllib.error.HTTPError):
        return False


def pids(cluster, host):
    return next(n["pids"] for n in cluster.nodes() if n["name"] == host)


def netns_of(pid):
    return os.readlink(f"/proc/{pid}/ns/net")


def test_watchdog_restarts_nginx_and_supervisor_inside_the_host(cluster, capsys):
    cluster.wait_for("a healthy cluster", cluster.healthy, 120)
    host = "resp2"
    address = cluster.addresses[host]
    cluster.wait_for(f"{host} in the pool", lambda: server_status(cluster, host) == {"UP"}, 30)
    before = pids(cluster, host)
    host_netns = netns_of(before["responder"])
    assert host_netns != os.readlink("/proc/self/ns/net")
    figures = {}
    for process in ("nginx", "supervisor"):
        old = pids(cluster, host)[process]
        killed_at = time.monotonic()
        os.kill(old, signal.SIGKILL)
        new = cluster.wait_for(f"the watchdog to start {process} again",
                               lambda: (p := pids(cluster, host)[process]) and p != old and p, 30)
        cluster.wait_for(f"{host} ready again", lambda: ready(address), 30)
        cluster.wait_for(f"{host} back in the pool", lambda: server_status(cluster, host) == {"UP"}, 30)
        figures[process] = time.monotonic() - killed_at
        assert netns_of(new) == host_netns, f"{process} came back outside {host}'s namespace"
    with capsys.disabled():
        print(f"\n[cluster] {host}: nginx master killed -9, back in the pool after {figures['nginx']:.1f} s; "
              f"supervisor killed -9, back after {figures['supervisor']:.1f} s")
    assert pids(cluster, host)["responder"], "no responder after the supervisor came back"
