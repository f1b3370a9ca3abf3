"""The staleness window of the responders' caches (KMS_CACHE_STALE_SECONDS, docs/DEPLOYMENT.md):
while the LISTEN connection that invalidates them is down, cached keys and credentials serve for
at most that many seconds after it broke, then not at all (fail closed); once it listens again
the caches are emptied.

1. Through a power loss of the PostgreSQL primary (default window, 30 s, longer than Patroni's
   ~20 s failover): Encrypt with a key every responder host has cached keeps succeeding through
   the load balancer the whole time, while CreateKey (a write) fails until a standby is promoted
   and then succeeds again.
2. Past the window: one responder host restarted with KMS_CACHE_STALE_SECONDS=3 and cut off from
   every PostgreSQL host (blackhole routes, as in test_readyz_takes_host_out_of_pool.py) answers
   Encrypt with its cached key at first, then refuses it (InternalError) for as long as the
   channel stays down; healed, it serves again, and a key disabled afterwards is refused at once
   (the reconnection emptied the cache and listens again)."""

import json
import os
import sys
import threading
import time

from e2e_support import assert_code
from test_readyz_takes_host_out_of_pool import routes

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir, "bench"))
from tc3 import Signer, send_raw  # noqa: E402

HOST_PORT = 8080


def encrypt_direct(address, account, key_id, timeout=20):
    """Encrypt sent straight to one responder host's nginx: "OK" or the error code."""
    raw = Signer(f"{address}:{HOST_PORT}").request(account, "Encrypt", {"KeyId": key_id, "Plaintext": "Y2FjaGVk"})
    _, _, body = send_raw(HOST_PORT, raw, timeout=timeout, host=address)
    response = json.loads(body)["Response"]
    return response["Error"]["Code"] if "Error" in response else "OK"


def warm(cluster, account, key_id, hosts):
    for host in hosts:
        assert encrypt_direct(cluster.addresses[host], account, key_id) == "OK", host


class Loop:
    """One SDK client calling `call` over and over through the load balancer, every call
    recorded: (began, ended, "OK" or the failure)."""

    def __init__(self, call):
        self.call = call
        self.calls = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.stopping.set()
        self.thread.join(30)

    def _run(self):
        while not self.stopping.is_set():
            began = time.monotonic()
            try:
                self.call()
                outcome = "OK"
            except Exception as exc:   # every failure a client sees counts
                outcome = f"{type(exc).__name__}: {str(exc)[:120]}"
            self.calls.append((began, time.monotonic(), outcome))
            time.sleep(0.05)


def test_encrypt_with_a_cached_key_keeps_succeeding_through_a_primary_kill(cluster, capsys):
    cluster.wait_for("a healthy cluster", cluster.healthy, 120)
    account = cluster.new_account("stale-window")
    kms = cluster.client(account)
    key_id = kms.new_key_id()
    responders = [n for n in cluster.addresses if n.startswith("resp")]
    warm(cluster, account, key_id, responders)
    old_primary = cluster.leader()
    assert old_primary

    encrypts = Loop(lambda: kms.encrypt(key_id, b"through the failover")).start()
    writer = cluster.client(account)
    creates = Loop(lambda: writer.new_key_id()).start()
    try:
        cluster.wait_for("both loops to succeed", lambda: encrypts.calls and creates.calls and
                         encrypts.calls[-1][2] == "OK" and creates.calls[-1][2] == "OK", 30)
        time.sleep(2)
        killed_at = time.monotonic()
        cluster.run("kill", old_primary)
        new_primary = cluster.wait_for("a standby to become primary", lambda: cluster.leader(exclude={old_primary}), 60)
        promoted_at = time.monotonic()
        cluster.wait_for("a CreateKey to succeed after the promotion",
                         lambda: any(c[0] > promoted_at and c[2] == "OK" for c in creates.calls), 30)
        time.sleep(2)
    finally:
        encrypts.stop()
        creates.stop()

    after = [c for c in encrypts.calls if c[1] > killed_at]
    failed = [c for c in after if c[2] != "OK"]
    create_failed = [c for c in creates.calls if c[1] > killed_at and c[2] != "OK"]
    with capsys.disabled():
        print(f"\n[cluster] {old_primary} killed, {new_primary} primary after {promoted_at - killed_at:.1f} s: "
              f"Encrypt {len(after) - len(failed)} succeeded, {len(failed)} failed after the kill; "
              f"CreateKey {len(create_failed)} failed")
    assert not failed, f"Encrypt with a cached key failed during the failover: {failed[:5]}"
    # It kept succeeding the whole time, not only before and after: a success in every second.
    seconds = {int(c[0] - killed_at) for c in after}
    assert set(range(int(promoted_at - killed_at))) <= seconds, sorted(seconds)
    # The write path needs the primary: it failed, then recovered.
    assert create_failed, "no CreateKey failed while there was no primary"
    last_failure = max(c[1] for c in create_failed)
    assert any(c[0] > last_failure and c[2] == "OK" for c in creates.calls)

    cluster.run("start", old_primary)
    cluster.wait_for(f"{old_primary} to rejoin as a standby", cluster.healthy, 120)


def test_past_the_window_without_its_channel_a_host_fails_closed(cluster, capsys):
    cluster.wait_for("a healthy cluster", cluster.healthy, 120)
    victim = "resp1"
    address = cluster.addresses[victim]
    account = cluster.new_account("stale-closed")
    key_id = cluster.client(account).new_key_id()
    log_path = os.path.join(cluster.env["KMS_CLUSTER_HOME"], "hosts", victim, "log", "responder.log")
    restart(cluster, victim, stale_seconds=3)
    try:
        warm(cluster, account, key_id, [victim])
        log_before = os.path.getsize(log_path)
        routes(cluster, victim, "add")
        cut_at = time.monotonic()
        outcomes = []
        try:
            # Cached and still inside the window (the channel is not even known to be down yet).
            first = encrypt_direct(address, account, key_id)
            assert first == "OK", first
            # Then: refused, and refused again while the channel stays down.
            while time.monotonic() - cut_at < 90:
                outcomes.append((time.monotonic() - cut_at, encrypt_direct(address, account, key_id)))
                if [o for _, o in outcomes[-3:]] == ["InternalError"] * 3:
                    break
                time.sleep(0.5)
            closed_at = next((t for t, o in outcomes if o != "OK"), None)
            with capsys.disabled():
                print(f"\n[cluster] {victim} cut off from PostgreSQL with KMS_CACHE_STALE_SECONDS=3: cached Encrypt "
                      f"refused from {closed_at} s after the cut; outcomes {outcomes[:3]} … {outcomes[-3:]}")
            assert [o for _, o in outcomes[-3:]] == ["InternalError"] * 3, outcomes
            assert all(o in ("OK", "InternalError") for _, o in outcomes), outcomes
            assert not any(o == "OK" for t, o in outcomes if t > closed_at), f"served again while blind: {outcomes}"
        finally:
            routes(cluster, victim, "del")
        with open(log_path) as f:
            f.seek(log_before)
            events = f.read()
        assert "cache_invalidation_lost" in events and "caches kept for" in events, events[-2000:]
        assert "past their 3 s window" in events, events[-2000:]

        # Healed: listening again, the cache was emptied; Encrypt succeeds, and a key disabled now
        # is refused by this host at once.
        cluster.wait_for(f"{victim} to serve Encrypt again",
                         lambda: encrypt_direct(address, account, key_id) == "OK", 60)
        cluster.client(account).DisableKey(KeyId=key_id)
        time.sleep(1)
        assert encrypt_direct(address, account, key_id) == "ResourceUnavailable.CmkDisabled"
        assert_code(lambda: cluster.client(account).encrypt(key_id, b"x"), "ResourceUnavailable.CmkDisabled")
    finally:
        restart(cluster, victim)   # back to the cluster's own setting


def restart(cluster, host, stale_seconds=None):
    """`cluster restart HOST`, with KMS_CACHE_STALE_SECONDS for this host only (an environment
    setting wins over cluster.env, which `restart` does not rewrite)."""
    env = dict(cluster.env)
    env.pop("KMS_CACHE_STALE_SECONDS", None)
    if stale_seconds is not None:
        env["KMS_CACHE_STALE_SECONDS"] = str(stale_seconds)
    saved, cluster.env = cluster.env, env
    try:
        cluster.run("restart", host)
    finally:
        cluster.env = saved
