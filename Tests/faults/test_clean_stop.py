"""A responder told to stop (SIGTERM, as `down` and the supervisor's restarts do) exits 0, even
moments after it started, while its wrapping-key pool is still generating keys: it used to die of
SIGSEGV at exit about one time in eight (OpenSSL's atexit cleanup freeing locks under the pool's
thread), which the supervisor logged as a crash.
"""

import json
import os
import signal
import time

STOPS = 5


def test_sigterm_soon_after_start_exits_cleanly(stack):
    offset = stack.log_size("responder.log")
    victims = []
    for _ in range(STOPS):
        victim = stack.responder_pid()
        assert victim, "no responder"
        victims.append(victim)
        time.sleep(0.7)   # the pool is still filling
        os.kill(victim, signal.SIGTERM)
        stack.wait_new_responder(victim, timeout=15)
    stack.settle()
    exits = {}
    for line in stack.log_since("responder.log", offset).splitlines():
        if '"responder_exited"' in line:
            record = json.loads(line)
            exits[record["responder_pid"]] = record
    missing = [v for v in victims if v not in exits]
    assert not missing, f"no responder_exited line for {missing}"
    crashed = [exits[v] for v in victims if exits[v]["status"] != 0]
    assert not crashed, f"{len(crashed)} of {STOPS} responders did not exit 0 on SIGTERM: {crashed}"
