"""Helpers of the supervision fault tests (nginx master, supervisor and watchdog killed; systemd units).

* ``kms(stack, *args)``  -- ``scripts/kms ARGS`` against the stack (no build): (exit status, output).
* ``status(stack)``      -- ``scripts/kms status`` and ``status --json``: (exit status, text, JSON).
* ``alive(pid)``         -- the process runs (a zombie does not).
* ``wait_until(...)``    -- polls a condition, fails with what it waited for.
* ``DecoyNginx``         -- another nginx on this machine (its own prefix and port), which recovering
                            this stack must never touch.
* ``recover(stack)``     -- ``scripts/kms up`` if ``status`` says something is missing, so that a
                            failed test leaves a whole stack behind.
"""

import json
import os
import signal
import socket
import subprocess
import tempfile
import time

import requests


def kms(stack, *args, timeout=180):
    env = {**os.environ, "KMS_HOME": stack.home, "KMS_SKIP_BUILD": "1"}
    proc = subprocess.run([stack.kms_script, *args], env=env, capture_output=True, text=True,
                          timeout=timeout, cwd=stack.repo)
    return proc.returncode, proc.stdout + proc.stderr


def status(stack):
    rc, text = kms(stack, "status", timeout=30)
    rc_json, out = kms(stack, "status", "--json", timeout=30)
    start = out.find("{")
    try:
        data = json.loads(out[start:]) if start >= 0 else None
    except ValueError:
        data = None
    assert data is not None, f"`scripts/kms status --json` printed no JSON (exit {rc_json}): {out!r}"
    assert rc == rc_json, f"status exits {rc}, status --json exits {rc_json}"
    return rc, text, data


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def wait_until(predicate, timeout, what, interval=0.1):
    """Polls ``predicate`` until it returns something truthy (returned) or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"not within {timeout}s: {what}")


def children(pid):
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    if int(fh.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.add(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    return found


def recover(stack):
    rc, _text, _data = status(stack)
    if rc != 0:
        rc, out = kms(stack, "up")
        assert rc == 0, f"scripts/kms up could not bring the stack back:\n{out}"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DecoyNginx:
    """An nginx of someone else on the same machine: own prefix, own port, own error log."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="kms-decoy-nginx.")
        os.chmod(self.dir, 0o755)
        self.port = free_port()
        self.conf = os.path.join(self.dir, "nginx.conf")
        user = "user nobody nogroup;" if os.geteuid() == 0 else ""
        with open(self.conf, "w") as fh:
            fh.write(f"""{user}
worker_processes 1;
pid {self.dir}/nginx.pid;
error_log {self.dir}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {self.dir}/tmp;
    server {{ listen 127.0.0.1:{self.port}; location / {{ return 200 "decoy\\n"; }} }}
}}
""")
        self.cmd = ["nginx", "-e", os.path.join(self.dir, "error.log"), "-p", self.dir + "/", "-c", self.conf]
        proc = subprocess.run(self.cmd, capture_output=True, text=True, timeout=30)
        assert proc.returncode == 0, f"the decoy nginx did not start: {proc.stderr}"
        self.master = wait_until(self._pid, 10, "the decoy nginx's pid file")
        self.workers = wait_until(lambda: children(self.master), 10, "the decoy nginx's workers")

    def _pid(self):
        try:
            with open(os.path.join(self.dir, "nginx.pid")) as fh:
                return int(fh.read().strip())
        except (OSError, ValueError):
            return None

    def untouched(self):
        """Its master and workers all still run, and it still answers."""
        assert alive(self.master), f"the decoy nginx master {self.master} (another stack's) was killed"
        dead = [w for w in self.workers if not alive(w)]
        assert not dead, f"the decoy nginx's workers {dead} (another stack's) were killed"
        assert requests.get(f"http://127.0.0.1:{self.port}/", timeout=5).text == "decoy\n"

    def stop(self):
        if self._pid() and alive(self.master):
            os.kill(self.master, signal.SIGQUIT)
            wait_until(lambda: not alive(self.master), 10, "the decoy nginx to stop")
        subprocess.run(["rm", "-rf", "--", self.dir], check=False)


def status_line(text, name):
    """What `scripts/kms status` says about ``name`` (e.g. "running (pid 42)")."""
    for line in text.splitlines():
        if line.startswith(f"  {name} "):
            return line[len(name) + 2:].strip()
    raise AssertionError(f"`scripts/kms status` has no line for {name}:\n{text}")
