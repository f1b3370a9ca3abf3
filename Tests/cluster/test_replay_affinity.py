"""SPEC §6 across responder hosts (issue 13): the load balancer sends every copy of a signature
(TC3: its Signature field; v1: its Nonce) to the same host, whose replay memory sees them all.
A captured request replayed as another action through the load balancer is refused every time
with two healthy hosts, also on one kept-alive client connection (HAProxy balances each request,
not each connection). What remains, measured: when the ring changes — a host lost, a host joining,
a host restarted (its memory gone) — the signatures of the last 300 s that move to another host
can each be replayed there once."""

import random
import time
from urllib.parse import urlencode

from cluster_state_support import (code_of, frontend_connections, raw_client, served,
                                   wait_server_status)
from e2e_support import FIPS_REGION, FORM_CT, VERSION, now, random_key_id, v1_signature

REFUSED = "AuthFailure.SignatureFailure"


def capture(raw, account, n):
    """``n`` first uses of fresh TC3 signatures (DescribeKey of keys that do not exist: the
    signature is admitted, the call answers CmkNotFound); returns what is needed to replay them."""
    captured = []
    for _ in range(n):
        key, ts = random_key_id(), now()
        code = code_of(raw.tc3(account, "DescribeKey", {"KeyId": key}, timestamp=ts))
        assert code and not code.startswith("AuthFailure"), code
        captured.append((key, ts))
    return captured


def replays_accepted(raw, account, captured):
    """Each captured signature sent again as GetKeyRotationStatus (same body, timestamp and so
    signature, another action): how many got past the replay memory."""
    accepted = 0
    for key, ts in captured:
        code = code_of(raw.tc3(account, "GetKeyRotationStatus", {"KeyId": key}, timestamp=ts))
        assert code is not None, "a replay succeeded as a real call"
        accepted += code != REFUSED
    return accepted


def v1_replays_accepted(cluster, account, n):
    """``n`` v1 requests (POST form and GET query, alternately), each sent twice: how many second
    copies got past the nonce memory."""
    raw = raw_client(cluster)
    accepted = 0
    for i in range(n):
        p = {"KeyId": random_key_id(), "Action": "DescribeKey", "Version": VERSION, "Region": FIPS_REGION,
             "Timestamp": str(now()), "Nonce": str(random.randint(1, 2**31 - 1)),
             "SecretId": account.secret_id, "SignatureMethod": "HmacSHA256"}
        method = "POST" if i % 2 == 0 else "GET"
        p["Signature"] = v1_signature(account.secret_key, method=method, host=raw.endpoint, params=p)
        encoded = urlencode(p)
        headers = {"Host": raw.endpoint, "Content-Type": FORM_CT}

        def send():
            if method == "GET":
                return raw.send("GET", query=encoded, headers=headers)
            return raw.send("POST", headers=headers, body=encoded.encode("ascii"))
        first = code_of(send())
        assert first and not first.startswith("AuthFailure"), first
        accepted += code_of(send()) != REFUSED
    return accepted


def test_replays_through_the_load_balancer_are_refused_and_the_ring_change_window(cluster, capsys):
    cluster.wait_for("a healthy cluster", cluster.healthy, 120)
    for host in ("resp1", "resp2"):
        wait_server_status(cluster, host, "UP")
    account = cluster.new_account("replay")
    figures = []

    # 1. Two healthy hosts, a fresh connection per request: every replay refused, TC3 and v1.
    raw = raw_client(cluster)
    before = served(cluster)
    a = capture(raw, account, 40)
    assert replays_accepted(raw, account, a) == 0
    after = served(cluster)
    spread = {h: after[h] - before[h] for h in after}
    assert all(n > 0 for n in spread.values()), f"the signatures did not spread over the hosts: {spread}"
    assert v1_replays_accepted(cluster, account, 20) == 0

    # 2. One kept-alive client connection: HAProxy still picks the host per request (both hosts
    #    serve it), and the replays sent on that same connection are all refused.
    kept = raw_client(cluster, kept_alive=True)
    connections, before = frontend_connections(cluster), served(cluster)
    k = capture(kept, account, 30)
    assert replays_accepted(kept, account, k) == 0
    after = served(cluster)
    per_host = {h: after[h] - before[h] for h in after}
    assert frontend_connections(cluster) - connections == 1, "the client did not keep one connection"
    assert all(n > 0 for n in per_host.values()), f"one connection was pinned to one host: {per_host}"
    figures.append(f"one kept-alive connection, 60 requests: {per_host}")

    # 3. A host lost (power): the signatures it owned now hash to the survivor: replayable there.
    cluster.run("kill", "resp2")
    wait_server_status(cluster, "resp2", "DOWN")
    lost = replays_accepted(raw, account, a)
    figures.append(f"host lost: {lost}/{len(a)} captured signatures replayable on the survivor")

    # 4. A host joining: signatures first used while it was away move back to it.
    b = capture(raw, account, 40)
    cluster.run("start", "resp2")
    wait_server_status(cluster, "resp2", "UP")
    joined = replays_accepted(raw, account, b)
    figures.append(f"host joined: {joined}/{len(b)} signatures of the outage replayable on the joiner")

    # 5. Whole again: refused again.
    d = capture(raw, account, 30)
    assert replays_accepted(raw, account, d) == 0

    # 6. `cluster restart` (a rolling restart step): drained, its memory gone with the process.
    e = capture(raw, account, 40)
    started = time.monotonic()
    cluster.run("restart", "resp2")
    took = time.monotonic() - started
    restarted = replays_accepted(raw, account, e)
    figures.append(f"cluster restart resp2 ({took:.1f} s): {restarted}/{len(e)} replayable")
    f = capture(raw, account, 30)
    assert replays_accepted(raw, account, f) == 0

    with capsys.disabled():
        print("\n[cluster] replay through the load balancer, 2 hosts: 0/70 TC3 and 0/20 v1 replays accepted; "
              + "; ".join(figures))
    # Consistent hashing: a ring change moves one host's share of signatures, never all of them.
    for moved, total in ((lost, len(a)), (joined, len(b)), (restarted, len(e))):
        assert 0 < moved < total, figures
