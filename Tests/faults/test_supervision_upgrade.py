"""`up` after an upgrade replaces a running supervisor and watchdog whose scripts changed.

A stack started before the watchdog existed runs a supervisor that does not watch it; an upgrade
must not leave that old code in charge. bash keeps its script open, so a script replaced on disk
(install_file renames the new one over the name) shows as "(deleted)" behind /proc/PID/fd/255:
`up` then restarts that process (the supervisor together with its responder).
"""

import os
import shutil

from supervision_support import kms, recover, status, wait_until


def _replace_on_disk(path):
    """Puts a byte-identical copy in place of ``path`` by rename, as an upgrade's install does."""
    tmp = path + ".test-upgrade"
    shutil.copy2(path, tmp)
    os.replace(tmp, path)


def test_up_restarts_supervisor_and_watchdog_whose_scripts_were_replaced(stack):
    try:
        before = stack.pids()
        bin_dir = os.path.join(stack.home, "bin")
        _replace_on_disk(os.path.join(bin_dir, "supervisor"))
        _replace_on_disk(os.path.join(bin_dir, "watchdog"))

        rc, out = kms(stack, "up")
        assert rc == 0, out
        assert "the supervisor changed" in out and "the watchdog changed" in out, out
        rc, text, data = status(stack)
        assert rc == 0, text
        after = data["pids"]
        assert after["supervisor"] != before["supervisor"] and after["watchdog"] != before["watchdog"], (before, after)
        assert after["nginx"] == before["nginx"] and after["postgres"] == before["postgres"], (before, after)
        wait_until(lambda: stack.probe().ok, 10, "requests after the supervisor was replaced")

        # Nothing changed since: a second `up` leaves them alone.
        rc, out = kms(stack, "up")
        assert rc == 0 and "changed" not in out, out
        assert stack.pids()["supervisor"] == after["supervisor"]
    finally:
        recover(stack)
