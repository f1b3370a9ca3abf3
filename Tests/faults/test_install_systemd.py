"""`scripts/kms install-systemd` (issue 12, "Install").

systemd does not run here, so: the units it writes are checked with `systemd-analyze verify` (which
needs no running systemd when pointed at them with SYSTEMD_UNIT_PATH), read for what an operator
relies on (names per stack, users, ordering, restart, hardening, reload), and the responder unit's
own ExecStart= -- run as its User=/Group=/SupplementaryGroups= with its Environment= and nothing
else, after the bash supervisor was stopped -- must serve SDK requests through the stack's nginx.
"""

import grp
import os
import pwd
import shlex
import signal
import subprocess
import time
import uuid

from e2e_support import FIPS_REGION, Kms
from supervision_support import alive, kms, recover, status, status_line, wait_until


def _install(stack, tmp_path, *extra):
    name = "t" + uuid.uuid4().hex[:8]
    unit_dir = tmp_path / "units"
    rc, out = kms(stack, "install-systemd", "--dir", str(unit_dir), "--name", name, *extra)
    assert rc == 0, f"install-systemd failed:\n{out}"
    return name, unit_dir, out


def _units(name):
    return [f"kms-{name}.target", f"kms-{name}-postgres.service", f"kms-{name}-responder.service",
            f"kms-{name}-nginx.service"]


def _parse(path):
    """{section: {key: [values]}} of a unit file."""
    sections, current = {}, None
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        key, _, value = line.partition("=")
        current.setdefault(key, []).append(value)
    return sections


def _exec_argv(line):
    """An Exec*= line as argv (what systemd runs: '$$' and '%%' stand for '$' and '%')."""
    return [arg.replace("$$", "$").replace("%%", "%") for arg in shlex.split(line)]


def _forget_units(unit_dir):
    """Removes the written units; $KMS_HOME/systemd.env then names units that are gone, so `up` works."""
    subprocess.run(["rm", "-rf", "--", str(unit_dir)], check=False)


def test_units_pass_systemd_analyze_verify_and_say_what_an_operator_needs(stack, tmp_path):
    name, unit_dir, out = _install(stack, tmp_path)
    try:
        files = [unit_dir / u for u in _units(name)]
        assert all(f.is_file() for f in files), sorted(os.listdir(unit_dir))
        assert f"systemctl daemon-reload && systemctl enable --now kms-{name}.target" in out, out
        assert "scripts/kms down" in out, out

        proc = subprocess.run(["systemd-analyze", "verify", *map(str, files)], capture_output=True, text=True,
                              timeout=60, env={**os.environ, "SYSTEMD_UNIT_PATH": f"{unit_dir}:"})
        complaints = [line for line in (proc.stdout + proc.stderr).splitlines() if f"kms-{name}" in line]
        assert proc.returncode == 0 and not complaints, \
            f"systemd-analyze verify (exit {proc.returncode}):\n{proc.stdout}{proc.stderr}"

        target, postgres, responder, nginx = (_parse(f) for f in files)
        home = stack.home
        assert set(target["Unit"]["Requires"][0].split()) == set(_units(name)[1:])
        assert target["Install"]["WantedBy"] == ["multi-user.target"]

        service = postgres["Service"]
        assert service["Type"] == ["notify"] and service["ExecStart"][0].split()[-2:] == ["-D", f"{home}/pg"]
        assert service["User"] == [pwd.getpwuid(os.stat(f"{home}/pg").st_uid).pw_name]

        service = responder["Service"]
        assert f"kms-{name}-postgres.service" in responder["Unit"]["Requires"][0]
        assert f"kms-{name}-postgres.service" in responder["Unit"]["After"][0]
        assert service["Restart"] == ["always"]
        assert _exec_argv(service["ExecStart"][0])[0] == f"{home}/bin/kms-responder"
        for key, value in (("NoNewPrivileges", "yes"), ("ProtectSystem", "strict"), ("PrivateTmp", "yes"),
                           ("LimitCORE", "0"), ("RestrictAddressFamilies", "AF_UNIX")):
            assert service.get(key) == [value], f"responder unit: {key}={service.get(key)}"
        assert f"{home}/run/fcgi" in service["ReadWritePaths"][0].split()
        expected_user = "kms" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
        assert service["User"] == [expected_user]

        service = nginx["Service"]
        assert service["PIDFile"] == [f"{home}/run/nginx.pid"]
        assert any("-HUP" in line for line in service["ExecReload"]), service["ExecReload"]
        assert service["Restart"] == ["on-failure"] and service["KillMode"] == ["mixed"]

        # While the units are installed, `up` refuses (scripts/kms and systemd would fight) ...
        rc, text = kms(stack, "up")
        assert rc != 0 and f"systemctl start kms-{name}.target" in text, text
        rc, text, _ = status(stack)
        assert status_line(text, "managed by") == f"systemd (kms-{name}.target in {unit_dir})", text
        # ... installing again (new settings) rewrites them in place ...
        rc, again = kms(stack, "install-systemd", "--dir", str(unit_dir), "--name", name)
        assert rc == 0, again
        # ... and units of another stack under the same name are never taken over.
        other = unit_dir / f"kms-other-nginx.service"
        other.write_text("# KMS_HOME=/srv/another-stack\n[Service]\nExecStart=/bin/true\n")
        rc, text = kms(stack, "install-systemd", "--dir", str(unit_dir), "--name", "other")
        assert rc != 0 and "belongs to another stack (/srv/another-stack)" in text, text
        rc, text = kms(stack, "install-systemd", "--dir", str(unit_dir), "--name", "Bad/Name")
        assert rc != 0 and "--name must be" in text, text
    finally:
        _forget_units(unit_dir)
    rc, text = kms(stack, "up")
    assert rc == 0, f"up after the units were removed:\n{text}"


def test_responder_unit_serves_through_nginx_without_the_bash_supervisor(stack, tmp_path):
    name, unit_dir, _ = _install(stack, tmp_path)
    unit = None
    try:
        service = _parse(unit_dir / f"kms-{name}-responder.service")["Service"]
        user, group = service["User"][0], service["Group"][0]
        extra_groups = service.get("SupplementaryGroups", [""])[0].split()
        environment = [e for line in service.get("Environment", []) for e in shlex.split(line)]
        argv = _exec_argv(service["ExecStart"][0])

        # Hand over: stop the bash supervisor (TERM: it stops the responder; the watchdog leaves a
        # deliberately stopped supervisor alone).
        supervisor, responder = stack.supervisor_pid(), stack.responder_pid()
        os.kill(supervisor, signal.SIGTERM)
        wait_until(lambda: not alive(supervisor) and not alive(responder), 20, "the supervised responder to stop")

        for pre in service.get("ExecStartPre", []):
            subprocess.run(_exec_argv(pre.lstrip("+-")), check=True, timeout=30)
        # As much of the unit as setpriv can give outside systemd: its user, groups, no new
        # privileges, an empty capability bounding set (CapabilityBoundingSet=), its UMask=.
        assert service["NoNewPrivileges"] == ["yes"] and service["CapabilityBoundingSet"] == [""]
        prefix = ["setpriv", "--no-new-privs"]
        if os.geteuid() == 0:
            prefix.append("--bounding-set=-all")
            if user != "root":
                groups = ",".join(str(grp.getgrnam(g).gr_gid) for g in extra_groups)
                prefix += [f"--reuid={pwd.getpwnam(user).pw_uid}", f"--regid={grp.getgrnam(group).gr_gid}",
                           f"--groups={groups}" if groups else "--clear-groups"]
        umask = service.get("UMask", ["0022"])[0]
        log = open(tmp_path / "responder-unit.log", "wb")
        unit = subprocess.Popen([*prefix, "--", "env", "-i", *environment, "/bin/sh", "-c", f'umask {umask} && exec "$@"',
                                 "sh", *argv], stdin=subprocess.DEVNULL,
                                stdout=log, stderr=subprocess.STDOUT, cwd="/", start_new_session=True)
        socket_path = os.path.join(stack.home, "run", "fcgi", "responder.sock")
        wait_until(lambda: os.path.exists(socket_path) or unit.poll() is not None, 30, "the unit's responder socket")
        assert unit.poll() is None, f"the unit's ExecStart exited {unit.returncode}: {(tmp_path / 'responder-unit.log').read_text()}"
        with open(f"/proc/{unit.pid}/status") as fh:
            proc_status = dict(line.split(":", 1) for line in fh)
        assert int(proc_status["Uid"].split()[0]) == pwd.getpwnam(user).pw_uid
        assert proc_status["NoNewPrivs"].strip() == "1"
        if os.geteuid() == 0:
            assert int(proc_status["CapBnd"], 16) == 0, proc_status["CapBnd"]

        # The SDK, over HTTPS through the stack's nginx, with no supervisor anywhere.
        kms_sdk = Kms(stack.probe_account, FIPS_REGION, stack.https_endpoint, scheme="https",
                      certification=stack.ca_file)
        key_id = kms_sdk.new_key_id()
        blob = kms_sdk.encrypt(key_id, b"served by the systemd unit's command line")
        assert kms_sdk.decrypt(blob) == b"served by the systemd unit's command line"
        assert stack.supervisor_pid() is None, "a bash supervisor came back while the unit's responder ran"
    finally:
        if unit is not None and unit.poll() is None:
            unit.send_signal(signal.SIGTERM)
            try:
                unit.wait(timeout=20)
            except subprocess.TimeoutExpired:
                unit.kill()
                unit.wait()
        _forget_units(unit_dir)
        recover(stack)
