"""/readyz under faults: 503 with a one-line reason while the responder cannot serve, 200 again
once the fault is gone, without anyone restarting anything; /healthz stays 200 throughout (the
responder answers).

* PostgreSQL stopped: ``postgresql unreachable``; started again: ready.
* PostgreSQL read-only (``ALTER SYSTEM SET default_transaction_read_only = on`` and a reload, as
  an operator fencing a primary would): ``postgresql is read-only``; reset: ready.
* PostgreSQL hung (every process of it SIGSTOPped): ``postgresql not answering (last check Ns
  ago)`` within seconds, and no probe waits on it (each answers within a second).
* A master key that sealed values name is missing (the newest ``master.key.N`` moved away and the
  responder restarted without it): ``master key N missing``; put back: ready.
"""

import glob
import os
import signal
import time

import requests

from e2e_support import run_ctl

REACT = 6.0   # seconds /readyz may take to notice a change (the monitor checks every second)


def probe(stack, path, https=False):
    url = f"https://{stack.https_endpoint}{path}" if https else f"http://{stack.endpoint}{path}"
    resp = requests.get(url, verify=stack.ca_file if https else True, timeout=5)
    assert resp.headers.get("Content-Type", "").startswith("text/plain"), f"{url}: {resp.status_code} {resp.headers}"
    return resp.status_code, resp.text


def wait_probe(stack, status, text, timeout=REACT):
    deadline = time.monotonic() + timeout
    seen = None
    while time.monotonic() < deadline:
        seen = probe(stack, "/readyz")
        if seen == (status, text):
            # The same answer on the HTTPS port.
            assert probe(stack, "/readyz", https=True) == (status, text)
            return
        time.sleep(0.2)
    raise AssertionError(f"/readyz did not answer {status} {text!r} within {timeout}s; last: {seen}")


def test_readyz_is_503_while_postgres_is_down_and_200_once_it_is_back(stack):
    wait_probe(stack, 200, "ready\n")
    stack.postgres_stop("fast")
    try:
        wait_probe(stack, 503, "postgresql unreachable\n")
        assert probe(stack, "/healthz") == (200, "ok\n")
        assert probe(stack, "/healthz", https=True) == (200, "ok\n")
    finally:
        stack.postgres_start()
    wait_probe(stack, 200, "ready\n")


def test_readyz_is_503_while_postgres_is_read_only(stack):
    wait_probe(stack, 200, "ready\n")
    # ALTER SYSTEM cannot share a transaction with the reload: two psql calls.
    stack.psql("ALTER SYSTEM SET default_transaction_read_only = on", user="postgres", dbname="postgres")
    try:
        stack.psql("SELECT pg_reload_conf()", user="postgres", dbname="postgres")
        wait_probe(stack, 503, "postgresql is read-only\n")
        assert probe(stack, "/healthz") == (200, "ok\n")
    finally:
        stack.psql("ALTER SYSTEM RESET default_transaction_read_only", user="postgres", dbname="postgres")
        stack.psql("SELECT pg_reload_conf()", user="postgres", dbname="postgres")
    wait_probe(stack, 200, "ready\n")


def _restart_responder(stack):
    old = stack.responder_pid()
    os.kill(old, signal.SIGKILL)
    stack.wait_new_responder(old, timeout=15)


def test_readyz_names_a_master_key_that_sealed_values_need_and_the_responder_lacks(stack):
    out = run_ctl(stack.repo, ["master-key", "rotate", "--wait", "1.5"], env={**os.environ, "KMS_HOME": stack.home})
    assert "re-sealed" in out, out
    base = os.path.join(stack.home, "master.key")
    newest = max(int(path.rsplit(".", 1)[1]) for path in glob.glob(base + ".*") if path.rsplit(".", 1)[1].isdigit())
    # The responder loaded the new key and every value is sealed under it now.
    wait_probe(stack, 200, "ready\n")
    key_file, aside = f"{base}.{newest}", f"{base}.{newest}.aside"
    os.rename(key_file, aside)
    try:
        _restart_responder(stack)
        wait_probe(stack, 503, f"master key {newest} missing\n", timeout=10)
        assert probe(stack, "/healthz") == (200, "ok\n")
    finally:
        os.rename(aside, key_file)
    _restart_responder(stack)
    wait_probe(stack, 200, "ready\n", timeout=10)


def _postgres_processes(stack):
    """The postmaster and every process it started (backends, walwriter, ...)."""
    master = stack.postgres_pid()
    pids = [master]
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    if int(fh.read().rsplit(")", 1)[1].split()[1]) == master:
                        pids.append(int(entry))
            except (OSError, ValueError, IndexError):
                pass
    return pids


def test_a_hung_postgres_makes_readyz_503_and_never_holds_a_probe(stack):
    wait_probe(stack, 200, "ready\n")
    frozen = _postgres_processes(stack)
    for pid in frozen:
        os.kill(pid, signal.SIGSTOP)
    try:
        # The monitor's own check hangs; probes keep answering at once from what it last saw.
        deadline = time.monotonic() + 12
        while True:
            started = time.monotonic()
            status, text = probe(stack, "/readyz")
            assert time.monotonic() - started < 1.0, "a probe waited on the hung database"
            if status == 503:
                assert text.startswith("postgresql not answering (last check ") and text.endswith("s ago)\n"), text
                break
            assert time.monotonic() < deadline, f"/readyz still {status} {text!r} with PostgreSQL hung"
            time.sleep(0.3)
        assert probe(stack, "/healthz") == (200, "ok\n")
    finally:
        for pid in frozen:
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass
    wait_probe(stack, 200, "ready\n")
