"""The responder holds key material and plaintexts in memory, so it must not be dumpable:
RLIMIT_CORE 0 and PR_SET_DUMPABLE 0 (docs/SECURITY.md). Observable from outside:

* /proc/<pid>/limits: "Max core file size" 0 (soft and hard);
* a non-dumpable process's /proc/<pid>/ files belong to root, whatever user it runs as;
* a process of the responder's own user can read its own children's /proc/<pid>/environ but not
  the responder's (no same-user ptrace access);
* a crash leaves no core file, and no crash report with memory contents in the log; the
  supervisor brings a new responder up.
"""

import os
import pwd
import re
import signal
import subprocess
import time

import pytest

from e2e_support import FIPS_REGION, Kms
from faults_support import random_secret, secret_forms

RECOVERY_LIMIT = 5.0


def _uid_of(pid):
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("Uid:"):
                return int(line.split()[1])   # real uid
    raise AssertionError(f"no Uid line in /proc/{pid}/status")


def test_responder_core_file_limit_is_zero(stack):
    pid = stack.responder_pid()
    with open(f"/proc/{pid}/limits") as fh:
        line = next(l for l in fh if l.startswith("Max core file size"))
    soft, hard = line.split()[4:6]
    assert (soft, hard) == ("0", "0"), f"responder {pid}: {line.strip()}"


def test_responder_proc_files_belong_to_root(stack):
    """The kernel hands /proc/<pid>/* of a non-dumpable process to root."""
    pid = stack.responder_pid()
    uid = _uid_of(pid)
    if uid == 0:
        pytest.skip("the responder runs as root here: /proc ownership cannot tell dumpable from not")
    owners = {name: os.stat(f"/proc/{pid}/{name}").st_uid for name in ("status", "environ", "mem", "maps")}
    assert set(owners.values()) == {0}, (f"/proc/{pid}/* owned by {owners} (responder uid {uid}): the responder "
                                         "is dumpable (PR_SET_DUMPABLE was not set to 0)")


def test_same_user_cannot_read_responder_memory(stack):
    pid = stack.responder_pid()
    uid = _uid_of(pid)
    user = pwd.getpwuid(uid).pw_name
    if os.geteuid() == 0:
        prefix = [] if uid == 0 else ["runuser", "-u", user, "--"]
    elif os.geteuid() == uid:
        prefix = []
    else:
        pytest.skip(f"neither root nor the responder's user ({user})")
    if uid == 0:
        pytest.skip("the responder runs as root: root may always read it")

    def try_read(path_expr):
        return subprocess.run([*prefix, "sh", "-c", f"cat {path_expr} >/dev/null"], capture_output=True, text=True,
                              timeout=30, cwd="/")

    # Control: the same user reads the environ of a process of its own (so a refusal below means something).
    control = try_read("/proc/$$/environ")
    assert control.returncode == 0, f"control read as {user} failed: {control.stderr}"
    for name in ("environ", "mem"):
        denied = try_read(f"/proc/{pid}/{name}")
        assert denied.returncode != 0 and "ermission denied" in denied.stderr, (
            f"user {user} could read the responder's /proc/{pid}/{name} (exit {denied.returncode}, "
            f"{denied.stderr.strip()!r}): it is dumpable / ptrace-able by its own user")


def test_crash_leaves_no_core_file(stack, make_account):
    """SIGSYS: a signal whose default action is "terminate and dump core" and that neither the Swift
    runtime nor the responder handles. The kernel must write no core (non-dumpable, RLIMIT_CORE 0),
    and the supervisor must bring a new responder up."""
    account = make_account("crash-core")
    kms = Kms(account, FIPS_REGION, stack.endpoint)
    key_id = kms.new_key_id()
    plaintext = random_secret(32)
    assert kms.decrypt(kms.encrypt(key_id, plaintext)) == plaintext   # a secret passed through memory

    pid = stack.responder_pid()
    places = _core_places(stack, pid)
    before = {place: _core_files(place) for place in places}
    killed_at = time.monotonic()
    os.kill(pid, signal.SIGSYS)
    stack.wait_new_responder(pid, timeout=15)
    stack.wait_healthy(timeout=15)
    recovery = time.monotonic() - killed_at
    assert recovery <= RECOVERY_LIMIT, f"the responder was back only {recovery:.2f}s after it crashed"
    new = {place: sorted(_core_files(place) - before[place]) for place in places}
    new = {place: files for place, files in new.items() if files}
    assert len(new) == 0, f"core files after the responder crashed (core_pattern {_core_pattern()!r}): {new}"


# A register line of a crash report with the memory it points at, e.g.
# "rcx 0x00007faf50146829  48 3d 01 f0 ff ff 73 01 c3 48 8b 0d a7 15 0d 00  H=..."
REGISTER_DUMP = re.compile(r"^\s*[a-z][a-z0-9]{1,3} 0x[0-9a-f]{8,16}\s+(?:[0-9a-f]{2} ){15}[0-9a-f]{2}\b", re.M)
CRASH_BANNER = re.compile(r"\*\*\* (?:Program crashed|Signal \d+: Backtracing)")


def test_crash_writes_no_memory_into_the_log(stack, make_account):
    """A fatal signal (SIGSEGV, as a wild pointer would raise) must end the responder without a crash
    report that copies its memory into responder.log: registers point at whatever the crashed thread
    was working on -- key material, plaintext -- and a report that prints the bytes behind them puts
    secrets into a log file. The supervisor then starts a new responder."""
    account = make_account("crash-log")
    kms = Kms(account, FIPS_REGION, stack.endpoint)
    key_id = kms.new_key_id()
    plaintext = random_secret(32)
    assert kms.decrypt(kms.encrypt(key_id, plaintext)) == plaintext

    pid = stack.responder_pid()
    log_offset = stack.log_size("responder.log")
    os.kill(pid, signal.SIGSEGV)
    try:
        stack.wait_new_responder(pid, timeout=8)
        replaced = True
    except AssertionError:
        replaced = False
    time.sleep(0.5)
    crash_log = stack.log_since("responder.log", log_offset)
    problems = []
    dumps = REGISTER_DUMP.findall(crash_log)
    if dumps or CRASH_BANNER.search(crash_log):
        sample = "\n".join(m.group(0) for m in list(REGISTER_DUMP.finditer(crash_log))[:3])
        problems.append(f"a crash report in responder.log with {len(dumps)} register lines that print the memory "
                        f"they point at (the Swift runtime's backtracer, enabled by default on Linux), e.g.\n{sample}")
    leaked = [form for form, value in secret_forms(plaintext).items() if value in crash_log.encode()]
    if leaked:
        problems.append(f"the plaintext itself in the crash output ({leaked})")
    if not replaced:
        problems.append(f"the responder (pid {pid}) survived SIGSEGV instead of dying and being restarted")
    assert len(problems) == 0, "after SIGSEGV: " + "; ".join(problems)


def _core_pattern():
    with open("/proc/sys/kernel/core_pattern") as fh:
        return fh.read().strip()


def _core_places(stack, pid):
    """Where a core of ``pid`` could land: its working directory (relative core_pattern), the
    pattern's directory (absolute), and $KMS_HOME."""
    places = {os.readlink(f"/proc/{pid}/cwd"), stack.home}
    pattern = _core_pattern()
    if pattern.startswith("/"):
        places.add(os.path.dirname(pattern.split("%", 1)[0]) or "/")
    return places


def _core_files(directory):
    """Files named core or core.* directly in ``directory`` (and, for $KMS_HOME-like trees, below)."""
    found = set()
    if not os.path.isdir(directory):
        return found
    for name in os.listdir(directory):
        path = os.path.join(directory, name)
        if (name == "core" or name.startswith("core.")) and os.path.isfile(path):
            found.add(path)
    return found
