"""kill -9 of the nginx master (issue 12, self-healing (a)).

Before: the orphaned workers went on serving, `status` said nginx was not running, and `up` refused
("port already in use") until someone killed the orphans by hand. Now the watchdog notices within a
second, stops this stack's orphaned workers (only this stack's: another nginx on the machine is left
alone) and starts nginx again; and should the watchdog be gone too, `up` does the same itself.
"""

import os
import signal
import time

from supervision_support import DecoyNginx, alive, kms, recover, status, status_line, wait_until

RECOVERY_LIMIT = 8.0   # seconds from kill -9 to requests answered by the new master's workers


def _serving(stack, new_master):
    """Requests on both ports succeed, answered while `new_master` is this stack's master."""
    return stack.nginx_pid() == new_master and stack.probe().ok and stack.probe(https=True).ok


def test_killed_nginx_master_is_restarted_and_its_orphans_stopped(stack):
    decoy = DecoyNginx()
    try:
        master = stack.nginx_pid()
        workers = stack.nginx_workers()
        assert master and workers, f"nginx master {master}, workers {workers}"

        os.kill(master, signal.SIGKILL)
        killed_at = time.monotonic()
        new_master = wait_until(lambda: stack.nginx_pid() not in (None, master) and stack.nginx_pid(),
                                RECOVERY_LIMIT, "a new nginx master (the watchdog restarts it)")
        wait_until(lambda: _serving(stack, new_master), RECOVERY_LIMIT, "requests on both ports through the new master")
        recovery = time.monotonic() - killed_at
        assert recovery <= RECOVERY_LIMIT, f"nginx was back only {recovery:.1f}s after kill -9"

        orphans = [w for w in workers if alive(w)]
        assert not orphans, f"the killed master's workers {orphans} still run"
        decoy.untouched()

        rc, text, data = status(stack)
        assert rc == 0, f"status exits {rc} after the restart:\n{text}"
        assert data["pids"]["nginx"] == new_master
        assert status_line(text, "nginx") == f"running (pid {new_master})", text

        rc, out = kms(stack, "up")
        assert rc == 0 and "already in use" not in out, f"scripts/kms up after the restart:\n{out}"
        assert stack.nginx_pid() == new_master, "up restarted nginx although it ran"
        print(f"\nnginx master kill -9: serving again after {recovery:.2f}s, {len(workers)} orphaned workers stopped")
    finally:
        decoy.stop()
        recover(stack)


def test_up_recovers_when_nginx_and_both_watchers_were_killed(stack):
    """The worst case: nginx's master, the watchdog and the supervisor all killed at once, so nothing
    restarts anything. `status` must say so (exit 3), and one `up` must bring everything back,
    although the orphaned workers still hold the ports."""
    decoy = DecoyNginx()
    try:
        before = stack.pids()
        master, supervisor, watchdog = before["nginx"], before["supervisor"], before["watchdog"]
        responder = stack.responder_pid()
        workers = stack.nginx_workers()
        assert master and supervisor and watchdog and responder and workers, before
        for pid in (watchdog, supervisor, master):
            os.kill(pid, signal.SIGKILL)
        wait_until(lambda: not any(alive(p) for p in (watchdog, supervisor, master)), 5, "the three to die")

        rc, text, data = status(stack)
        assert rc == 3, f"status exits {rc} with nginx, the supervisor and the watchdog killed:\n{text}"
        for name in ("nginx", "supervisor", "watchdog"):
            assert data["pids"][name] is None, f"status --json still shows {name}: {data['pids']}"
            assert status_line(text, name) == "not running", text
        assert [w for w in workers if alive(w)], "the orphaned workers are gone already: nothing to test"

        rc, out = kms(stack, "up")
        assert rc == 0, f"scripts/kms up did not recover from the orphans:\n{out}"
        assert "orphaned nginx" in out, out
        orphans = [w for w in workers if alive(w)]
        assert not orphans, f"the killed master's workers {orphans} still run after up"
        assert not alive(responder), f"the unsupervised responder {responder} still runs after up"
        decoy.untouched()

        rc, text, data = status(stack)
        assert rc == 0, f"status after up:\n{text}"
        assert None not in data["pids"].values(), data["pids"]
        assert stack.probe().ok and stack.probe(https=True).ok
    finally:
        decoy.stop()
        recover(stack)
