"""kill -9 of the responder's supervisor, and of the watchdog (issue 12, self-healing (b)).

Before: a killed supervisor went unnoticed (`status` reported everything running) and the next
responder death meant 502s until a manual `up`. Now `status` shows the supervisor and the watchdog
(text and `pids` in JSON; exit 3 without them), the watchdog restarts a dead supervisor within a
second or two (stopping the orphaned responder, which finishes its requests), and the supervisor
restarts a dead watchdog: each watches the other.
"""

import os
import signal
import time

from supervision_support import alive, kms, recover, status, status_line, wait_until

RECOVERY_LIMIT = 8.0


def test_killed_supervisor_is_restarted_and_restarts_the_responder_again(stack):
    try:
        supervisor, responder = stack.supervisor_pid(), stack.responder_pid()
        assert supervisor and responder
        rc, text, data = status(stack)
        assert rc == 0 and data["pids"]["supervisor"] == supervisor, text
        assert status_line(text, "supervisor") == f"running (pid {supervisor})", text

        os.kill(supervisor, signal.SIGKILL)
        killed_at = time.monotonic()
        new_supervisor = wait_until(lambda: stack.pids()["supervisor"] not in (None, supervisor)
                                    and stack.pids()["supervisor"], RECOVERY_LIMIT,
                                    "a new supervisor (the watchdog restarts it)")
        new_responder = stack.wait_new_responder(responder, timeout=RECOVERY_LIMIT)
        wait_until(lambda: stack.probe().ok, RECOVERY_LIMIT, "a request answered by the new responder")
        recovery = time.monotonic() - killed_at
        assert recovery <= RECOVERY_LIMIT, f"back only {recovery:.1f}s after kill -9 of the supervisor"
        wait_until(lambda: not alive(responder), 15, f"the orphaned responder {responder} to stop")

        # The new supervisor does what the old one did: the next responder death heals by itself.
        os.kill(new_responder, signal.SIGKILL)
        third = stack.wait_new_responder(new_responder, timeout=RECOVERY_LIMIT)
        wait_until(lambda: stack.probe().ok and stack.probe(https=True).ok, RECOVERY_LIMIT,
                   "requests after the responder was killed under the new supervisor")
        assert stack.supervisor_pid() == new_supervisor

        rc, text, data = status(stack)
        assert rc == 0, text
        assert data["pids"]["supervisor"] == new_supervisor and data["pids"]["responder"] == third, data["pids"]
        assert status_line(text, "supervisor") == f"running (pid {new_supervisor})", text

        rc, out = kms(stack, "up")
        assert rc == 0 and "responder already running" in out, f"scripts/kms up after the restart:\n{out}"
        assert stack.responder_pid() == third, "up restarted the responder although it ran"
        print(f"\nsupervisor kill -9: serving again after {recovery:.2f}s")
    finally:
        recover(stack)


def test_killed_watchdog_is_restarted_by_the_supervisor(stack):
    try:
        watchdog = stack.pids()["watchdog"]
        assert watchdog
        os.kill(watchdog, signal.SIGKILL)
        new_watchdog = wait_until(lambda: stack.pids()["watchdog"] not in (None, watchdog)
                                  and stack.pids()["watchdog"], RECOVERY_LIMIT,
                                  "a new watchdog (the supervisor restarts it)")
        # The new watchdog does its job: a killed nginx master comes back.
        master = stack.nginx_pid()
        os.kill(master, signal.SIGKILL)
        wait_until(lambda: stack.nginx_pid() not in (None, master) and stack.probe().ok, RECOVERY_LIMIT,
                   "nginx restarted by the new watchdog")
        rc, text, data = status(stack)
        assert rc == 0 and data["pids"]["watchdog"] == new_watchdog, text
    finally:
        recover(stack)


def test_status_exits_3_while_the_supervisor_is_missing(stack):
    """Stopped without the watchdog (TERM: it removes its pid file, so nothing restarts it), the
    supervisor's absence shows in `status` -- the case that used to go unnoticed."""
    try:
        supervisor = stack.supervisor_pid()
        os.kill(supervisor, signal.SIGTERM)
        wait_until(lambda: not alive(supervisor), 20, "the supervisor to stop")
        rc, text, data = status(stack)
        assert rc == 3, f"status exits {rc} without a supervisor:\n{text}"
        assert data["pids"]["supervisor"] is None and status_line(text, "supervisor") == "not running", text
        time.sleep(2)   # a deliberate stop is not undone
        assert stack.pids()["supervisor"] is None, "the watchdog restarted a supervisor stopped on purpose"
    finally:
        recover(stack)
