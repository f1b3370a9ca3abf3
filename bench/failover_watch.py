"""What the cluster looks like during the failover phase (bench/failover_phase.py), polled from
the root namespace over the cluster's bridge: which PostgreSQL host is primary, asked of each
host's own Patroni REST API (``GET :8008/patroni``: its role and state — a dead primary does not
answer, unlike ``/cluster``, which lists it as leader until its lock expires), and each responder
host's ``/readyz`` (its nginx on the host's own port).

Events, in order, only when something changes: {"t": Unix seconds, "what": "primary", "value":
host or None} and {"t", "what": "readyz", "host", "value": HTTP status or "down"}.
"""

import json
import threading
import time
import urllib.error
import urllib.request

PRIMARY_ROLES = ("master", "primary", "leader")


class FailoverWatch:
    def __init__(self, pg_hosts, responder_hosts, host_port, interval=0.2):
        """pg_hosts, responder_hosts: {name: address on the bridge}."""
        self.pg_hosts = pg_hosts
        self.responder_hosts = responder_hosts
        self.host_port = host_port
        self.interval = interval
        self.events = []
        self._last = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._thread.join(10)
        return self.snapshot()

    def snapshot(self):
        with self._lock:
            return list(self.events)

    def primary(self):
        """The primary as last seen (None while there is none)."""
        with self._lock:
            return self._last.get(("primary", None))

    def _note(self, what, host, value):
        with self._lock:
            if self._last.get((what, host), object()) == value:
                return
            self._last[(what, host)] = value
            event = {"t": time.time(), "what": what, "value": value}
            if host is not None:
                event["host"] = host
            self.events.append(event)

    def _run(self):
        while not self._stop.is_set():
            self._note("primary", None, self._poll_primary())
            for host, address in self.responder_hosts.items():
                self._note("readyz", host, self._poll_readyz(address))
            self._stop.wait(self.interval)

    def _poll_primary(self):
        for name, address in self.pg_hosts.items():
            try:
                with urllib.request.urlopen(f"http://{address}:8008/patroni", timeout=0.5) as r:
                    me = json.load(r)
            except (OSError, ValueError):
                continue
            if me.get("role") in PRIMARY_ROLES and me.get("state") == "running":
                return name
        return None

    def _poll_readyz(self, address):
        try:
            with urllib.request.urlopen(f"http://{address}:{self.host_port}/readyz", timeout=1) as r:
                return r.status
        except urllib.error.HTTPError as exc:
            return exc.code
        except OSError:
            return "down"
