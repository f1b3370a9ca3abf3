"""The steady load of the failover phase (bench/failover_phase.py): signed TC3 requests through
the load balancer at fixed rates — Encrypt with keys every responder host has cached, and
CreateKey, a write — whatever the service does meanwhile.

Open loop: each request is due at a fixed instant (rate × time) and is handed to a pool of
sender threads then, whether or not earlier ones have answered, so a request stuck in the
failover does not hold back the ones after it; its latency counts from when it was due (time
spent waiting for a free sender is the service's fault too, not left out).

Every request becomes one record: {"action", "sent" (due, Unix seconds), "answered" (None if the
load was stopped first), "outcome" ("OK", the Tencent error code, "HTTP 503", "timeout",
"connection: …"), "key_id" (CreateKey acknowledged: the KeyId)}.
"""

import http.client
import json
import os
import queue
import socket
import threading
import time

from tc3 import Signer


class FailoverLoad:
    def __init__(self, port, account, keys, *, encrypt_rate=100.0, create_rate=5.0, timeout=20.0, senders=64):
        self.port = port
        self.account = account
        self.keys = keys
        self.rates = {"Encrypt": encrypt_rate, "CreateKey": create_rate}
        self.timeout = timeout
        self.signer = Signer(f"127.0.0.1:{port}")
        self.records = []
        self._lock = threading.Lock()
        self._due = queue.Queue()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._send_loop, daemon=True) for _ in range(senders)]
        self._threads += [threading.Thread(target=self._schedule, args=(action,), daemon=True) for action in self.rates]
        self._created = 0

    def start(self):
        for t in self._threads:
            t.start()
        return self

    def stop(self):
        """Stops scheduling and waits (at most the request timeout) for what is in flight."""
        self._stop.set()
        for t in self._threads:
            t.join(self.timeout + 5)
        with self._lock:
            return list(self.records)

    def snapshot(self):
        """The records so far."""
        with self._lock:
            return list(self.records)

    def _schedule(self, action):
        interval, start, i = 1.0 / self.rates[action], time.time(), 0
        while not self._stop.is_set():
            due = start + i * interval
            pause = due - time.time()
            if pause > 0:
                time.sleep(pause)
            self._due.put((action, due, i))
            i += 1

    def _params(self, action, i):
        if action == "Encrypt":
            return {"KeyId": self.keys[i % len(self.keys)], "Plaintext": "ZmFpbG92ZXI="}
        return {"Alias": f"failover-{os.getpid()}-{int(time.time() * 1000)}-{i}"}

    def _send_loop(self):
        conn = None
        while not (self._stop.is_set() and self._due.empty()):
            try:
                action, due, i = self._due.get(timeout=0.2)
            except queue.Empty:
                continue
            record = {"action": action, "sent": due, "answered": None, "outcome": None, "key_id": None}
            headers, body = self.signer.headers(self.account, action, self._params(action, i))
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
                conn.request("POST", "/", body=body, headers=dict(headers))
                resp = conn.getresponse()
                data = resp.read()
                record["outcome"], key_id = outcome(resp.status, data)
                if action == "CreateKey":
                    record["key_id"] = key_id
                if resp.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = None
            except (socket.timeout, TimeoutError):
                record["outcome"] = "timeout"
                conn.close()
                conn = None
            except (OSError, http.client.HTTPException) as exc:
                record["outcome"] = f"connection: {type(exc).__name__}"
                if conn is not None:
                    conn.close()
                conn = None
            record["answered"] = time.time()
            with self._lock:
                self.records.append(record)


def outcome(status, data):
    """(outcome, the answer's KeyId) of one answer: "OK", the Tencent error code, or "HTTP NNN"
    for an answer that is not the API's (HAProxy's own page)."""
    try:
        response = json.loads(data)["Response"]
    except (ValueError, KeyError, TypeError):
        return f"HTTP {status}", None
    if "Error" in response:
        return response["Error"].get("Code", "?"), None
    return "OK", response.get("KeyId")
