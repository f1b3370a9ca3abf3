"""The failover phase of `scripts/kms bench --cluster` (KMS_BENCH_CLUSTER_PHASES=…,failover): steady
signed load through the load balancer (bench/failover_load.py) while a watcher polls who is
primary and every responder's /readyz (bench/failover_watch.py); some seconds in, the PostgreSQL
primary loses power (`cluster kill`: postgres and Patroni, SIGKILL), as in
Tests/cluster/test_primary_failover.py. The load goes on until a standby is primary and both
actions have succeeded again for a while; then every KeyId a CreateKey acknowledged is looked up
with DescribeKey on the new primary, and the old primary is started again (it rejoins as a standby).

Returns the timeline bench/failover_report.py reads; the phase leaves the cluster with a primary,
its old one restarting.
"""

import json
import time

from failover_load import FailoverLoad
from failover_watch import FailoverWatch
from stack import BenchFailure, log
from tc3 import Account, Api, ApiError, Signer, check_answer, send_raw


class FailoverPhase:
    def __init__(self, cfg, cluster):
        self.cfg = cfg
        self.cluster = cluster
        quick = cfg.quick
        self.before_kill = 4.0 if quick else 8.0
        self.settle = 3.0 if quick else 8.0       # both actions healthy this long before the load stops
        self.limit = 90.0                         # seconds after the kill, whatever happens
        self.encrypt_rate = 60.0 if quick else 100.0
        self.create_rate = 5.0
        self.timeout = 20.0
        self.keys = 4

    def setup(self):
        """An account of its own, `keys` Encrypt keys, each used once on every responder host
        straight (not through HAProxy), so every host has the keys and the credential cached."""
        c, cfg = self.cluster, self.cfg
        out = c.kms("cluster", "ctl", "account", "create", "--name", f"bench-failover-{int(time.time())}", "--json")
        self.account = Account.from_json("bench-failover", json.loads(out.stdout))
        self.api = Api(cfg.lb_port, Signer(f"127.0.0.1:{cfg.lb_port}"))
        self.key_ids = [self.api.call(self.account, "CreateKey", {"Alias": f"bench-failover-{time.time_ns()}-{i}"})["KeyId"]
                        for i in range(self.keys)]
        for host in c.responders:
            address = c.address(host)
            signer = Signer(f"{address}:{cfg.host_port}")
            for key in self.key_ids:
                raw = signer.request(self.account, "Encrypt", {"KeyId": key, "Plaintext": "d2FybQ=="})
                check_answer(*send_raw(cfg.host_port, raw, host=address), f"warming {host}")

    def run(self):
        c, cfg = self.cluster, self.cfg
        c.refresh()
        killed = c.primary
        pg = {n: c.address(n) for n in c.nodes if n.startswith("pg")}
        watch = FailoverWatch(pg, {h: c.address(h) for h in c.responders}, cfg.host_port).start()
        load = FailoverLoad(cfg.lb_port, self.account, self.key_ids, encrypt_rate=self.encrypt_rate,
                            create_rate=self.create_rate, timeout=self.timeout).start()
        try:
            time.sleep(self.before_kill)
            log(f"failover: kill -9 of the primary {killed} under load")
            kill = time.time()
            c.kms("cluster", "kill", killed)
            self._wait_recovered(load, watch, killed, kill)
        finally:
            records = load.stop()
            events = watch.stop()
        present, unchecked = self._verify(records)
        log(f"failover: starting {killed} again (it rejoins as a standby)")
        c.kms("cluster", "start", killed, check=False)
        return {"kill": kill, "killed": killed, "records": records, "events": events,
                "present": present, "unchecked": unchecked,
                "config": {"encrypt_rate": self.encrypt_rate, "create_rate": self.create_rate, "timeout": self.timeout,
                           "keys": self.keys, "before_kill": self.before_kill}}

    def _wait_recovered(self, load, watch, killed, kill):
        """Until a host other than `killed` is primary and both actions have succeeded for `settle`
        seconds with no failure, or `limit` seconds after the kill."""
        while time.time() < kill + self.limit:
            time.sleep(0.5)
            now = time.time()
            primary = watch.primary()
            if primary in (None, killed):
                continue
            records = load.snapshot()
            recent = [r for r in records if r["answered"] and r["answered"] > now - self.settle]
            failures = [r for r in records if r["answered"] and r["answered"] > kill and r["outcome"] != "OK"]
            last_failure = max((r["answered"] for r in failures), default=kill)
            ok = {r["action"] for r in recent if r["outcome"] == "OK" and r["sent"] > last_failure}
            if now - last_failure >= self.settle and ok == {"Encrypt", "CreateKey"}:
                return
        log(f"failover: not recovered {self.limit:.0f} s after the kill; stopping the load")

    def _verify(self, records):
        """(KeyIds DescribeKey found, KeyIds it could not answer for) among the acknowledged ones."""
        acked = sorted({r["key_id"] for r in records if r["action"] == "CreateKey" and r["outcome"] == "OK" and r["key_id"]})
        present, unchecked = [], []
        for key in acked:
            for attempt in range(5):
                try:
                    meta = self.api.call(self.account, "DescribeKey", {"KeyId": key})["KeyMetadata"]
                    if meta["KeyId"] == key:
                        present.append(key)
                    break
                except ApiError as exc:
                    if exc.code == "ResourceUnavailable.CmkNotFound":
                        break   # lost: neither present nor unchecked
                    if attempt == 4:
                        unchecked.append(key)
                    time.sleep(1)
                except (OSError, AssertionError) as exc:
                    if attempt == 4:
                        unchecked.append(key)
                        log(f"failover: DescribeKey {key}: {exc}")
                    time.sleep(1)
        log(f"failover: {len(present)} of {len(acked)} acknowledged keys found on the new primary"
            + (f", {len(unchecked)} not checked" if unchecked else ""))
        if not acked:
            raise BenchFailure("failover: no CreateKey was acknowledged")
        return present, unchecked
