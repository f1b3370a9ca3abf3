"""The load balancer's own view of its responder hosts, read from HAProxy's runtime socket
(``$KMS_CLUSTER_HOME/run/haproxy.sock``, root only): which hosts are in the pool, and how many
requests each has been given."""

import csv
import io
import os
import socket


def show_stat(cluster):
    """``show stat`` as a list of dicts (one per frontend, backend and server line)."""
    path = os.path.join(cluster.env["KMS_CLUSTER_HOME"], "run", "haproxy.sock")
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(5)
    s.connect(path)
    s.sendall(b"show stat\n")
    out = b""
    while chunk := s.recv(65536):
        out += chunk
    s.close()
    text = out.decode()
    if text.startswith("# "):
        text = text[2:]
    return list(csv.DictReader(io.StringIO(text)))


# The pool (checked on /readyz) and the fail-open backends (on /healthz) used only while no host
# is ready (scripts/lib/cluster.sh, haproxy_render).
POOL = ("kms_http_hosts", "kms_https_hosts")


def server_rows(cluster, host, backends=None):
    """``host``'s server lines, one per backend (all four unless ``backends`` names some)."""
    return [r for r in show_stat(cluster)
            if r["svname"] == host and (backends is None or r["pxname"] in backends)]


def server_status(cluster, host):
    """The set of ``host``'s statuses in the pool (HTTP and HTTPS): {"UP"}, {"DOWN"}, …"""
    return {r["status"].split(" ")[0] for r in server_rows(cluster, host, POOL)}


def server_sessions(cluster, host):
    """Requests HAProxy has sent to ``host`` so far, over every backend."""
    return sum(int(r["stot"] or 0) for r in server_rows(cluster, host))
