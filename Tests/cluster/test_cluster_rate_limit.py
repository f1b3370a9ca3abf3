"""Per-account rate limits across responder hosts (issue 13, SPEC §8): each host enforces the
account's limit divided by the live hosts it counts in PostgreSQL (heartbeats), so one account
driven far above its limit through the load balancer gets about its limit in all, not N times it.
Measured: the admitted rate with 2 hosts, then after one host is lost (the survivor takes the
whole limit once the dead host's heartbeat is stale), and how long that takes."""

import datetime
import json
import os
import threading
import time

from cluster_state_support import kms_sql, restart_responders, wait_server_status

LIMIT = 20          # requests per second per account (KMS_RATE_LIMIT), bursts of 40
THREADS = 6


class Hammer:
    """``THREADS`` SDK clients of one account calling Encrypt as fast as they can; every answer
    is recorded with its time: (time.monotonic(), "ok" | error code)."""

    def __init__(self, cluster, account, key):
        self.cluster, self.account, self.key = cluster, account, key
        self.events = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(THREADS)]

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def stop(self):
        self.stopping.set()
        for t in self.threads:
            t.join(30)

    def _run(self):
        kms = self.cluster.client(self.account)
        while not self.stopping.is_set():
            try:
                kms.encrypt(self.key, os.urandom(16))
                outcome = "ok"
            except Exception as exc:   # the SDK's TencentCloudSDKException carries .code
                outcome = getattr(exc, "code", None) or type(exc).__name__
            with self.lock:
                self.events.append((time.monotonic(), outcome))

    def count(self, start, end):
        with self.lock:
            window = [o for t, o in self.events if start <= t < end]
        return sum(o == "ok" for o in window), sum(o == "RequestLimitExceeded" for o in window), \
            sorted({o for o in window if o not in ("ok", "RequestLimitExceeded")})


def live_heartbeats(cluster):
    return int(kms_sql(cluster, "SELECT count(*) FROM responder_heartbeats WHERE seen_at > clock_timestamp() - interval '5 s'"))


def live_hosts_logged(cluster, host, count, after_wall):
    """Wall time of the first ``live_hosts`` log line of ``host`` saying ``count`` after ``after_wall``."""
    path = os.path.join(cluster.env["KMS_CLUSTER_HOME"], "hosts", host, "log", "responder.log")
    with open(path) as f:
        for line in f:
            if '"live_hosts"' not in line:
                continue
            entry = json.loads(line)
            if entry.get("event") != "live_hosts" or entry.get("live_hosts") != count:
                continue
            ts = datetime.datetime.fromisoformat(entry["ts"].replace("Z", "+00:00")).timestamp()
            if ts >= after_wall:
                return ts
    return None


def admitted_per_host(cluster, account, start_wall, end_wall):
    """Encrypts each host's responder log says it answered OK for ``account`` in [start, end)."""
    counts = {}
    for node in cluster.nodes("responder"):
        path = os.path.join(cluster.env["KMS_CLUSTER_HOME"], "hosts", node["name"], "log", "responder.log")
        n = 0
        with open(path) as f:
            for line in f:
                if '"event":"request"' not in line or '"code":"OK"' not in line:
                    continue
                entry = json.loads(line)
                if entry.get("action") != "Encrypt" or str(entry.get("app_id")) != account.app_id:
                    continue
                ts = datetime.datetime.fromisoformat(entry["ts"].replace("Z", "+00:00")).timestamp()
                n += start_wall <= ts < end_wall
        counts[node["name"]] = n
    return counts


def test_one_account_above_its_limit_gets_about_its_limit_across_two_hosts(cluster, capsys):
    cluster.wait_for("a healthy cluster", cluster.healthy, 120)
    restart_responders(cluster, KMS_RATE_LIMIT=LIMIT)
    try:
        for host in ("resp1", "resp2"):
            wait_server_status(cluster, host, "UP")
        cluster.wait_for("both hosts' heartbeats", lambda: live_heartbeats(cluster) == 2, 30)
        time.sleep(2)   # a beat after the count: both hosts enforce LIMIT / 2
        account = cluster.new_account("ratelimit")
        key = cluster.client(account).new_key_id()
        time.sleep(3)   # the buckets the key creation used are full again

        hammer = Hammer(cluster, account, key).start()
        try:
            t0, t0_wall = time.monotonic(), time.time()
            time.sleep(14)
            split = admitted_per_host(cluster, account, t0_wall + 4, t0_wall + 14)
            # Two hosts, steady state (after the bursts are spent): [t0 + 4, t0 + 14).
            ok2, refused2, other2 = hammer.count(t0 + 4, t0 + 14)
            burst_ok, _, _ = hammer.count(t0, t0 + 4)

            killed_wall, killed = time.time(), time.monotonic()
            cluster.run("kill", "resp2")
            time.sleep(16)
            # The survivor alone, once it counts one live host: [killed + 8, killed + 16).
            ok1, refused1, other1 = hammer.count(killed + 8, killed + 16)
        finally:
            hammer.stop()
        adjusted = live_hosts_logged(cluster, "resp1", 1, killed_wall)
    finally:
        cluster.run("start", "resp2")
        restart_responders(cluster)   # the cluster's own limit again

    rate2, rate1 = ok2 / 10, ok1 / 8
    with capsys.disabled():
        print(f"\n[cluster] one account, limit {LIMIT}/s, {THREADS} SDK clients through the LB: "
              f"2 hosts: {rate2:.1f}/s admitted ({ok2} ok (per host, from their logs: {split}), {refused2} RequestLimitExceeded in 10 s; "
              f"{burst_ok} ok in the first 4 s with the bursts); after losing a host: survivor counts 1 live host "
              f"{(adjusted - killed_wall) if adjusted else float('nan'):.1f} s after the kill, then "
              f"{rate1:.1f}/s ({ok1} ok, {refused1} refused in 8 s)")
    assert not other2 and not other1, (other2, other1)
    # The account was far above its limit: most calls were refused.
    assert refused2 > ok2 and refused1 > ok1, (ok2, refused2, ok1, refused1)
    # About the limit in all — not 2 × LIMIT, as with each host enforcing the whole limit.
    assert 0.75 * LIMIT <= rate2 <= 1.25 * LIMIT, rate2
    assert adjusted is not None and adjusted - killed_wall <= 8, "the survivor did not take the dead host's share"
    assert 0.75 * LIMIT <= rate1 <= 1.25 * LIMIT, rate1
