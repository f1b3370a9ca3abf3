"""Log rotation with the shipped logrotate file and the real `logrotate`: while requests keep
coming, `logrotate -f` renames the logs and `scripts/kms logs --reopen` (its postrotate) sends
SIGUSR1; the responder, its supervisor and nginx carry on in the new files, nobody restarts, and
every RequestId answered during the rotation is in the responder's log (old or new file) exactly
once.
"""

import gzip
import json
import os
import pwd
import shutil
import subprocess
import time

from e2e_support import FIPS_REGION

LOGROTATE = shutil.which("logrotate") or "/usr/sbin/logrotate"


def _logrotate(stack, state):
    conf = os.path.join(stack.home, "logrotate.conf")
    assert os.path.exists(LOGROTATE), "logrotate is not installed (scripts/kms test installs it)"
    assert os.path.exists(conf), f"`scripts/kms up` wrote no {conf}"
    proc = subprocess.run([LOGROTATE, "-f", "-s", state, conf], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, f"logrotate failed ({proc.returncode}): {proc.stderr}{proc.stdout}"


def _responder_logs(stack):
    """Every responder.log* file's text, the compressed ones too."""
    texts = {}
    for name in sorted(os.listdir(stack.log_dir)):
        if not name.startswith("responder.log"):
            continue
        path = os.path.join(stack.log_dir, name)
        opener = gzip.open if name.endswith(".gz") else open
        with opener(path, "rb") as fh:
            texts[name] = fh.read().decode("utf-8")
    return texts


def _request_ids(text):
    """RequestIds of the `request` lines (that every line is JSON is another test's concern)."""
    ids = []
    for line in text.splitlines():
        if '"event":"request"' not in line:
            continue
        record = json.loads(line)
        if record.get("event") == "request":
            ids.append(record["request_id"])
    return ids


def test_logrotate_during_load_loses_no_request_line(stack, make_account, tmp_path):
    account = make_account("logrotate")
    pids = {"responder": stack.responder_pid(), "supervisor": stack.supervisor_pid(), "nginx": stack.nginx_pid()}
    assert None not in pids.values(), pids
    state = str(tmp_path / "logrotate.state")
    before = set()
    for text in _responder_logs(stack).values():
        before.update(_request_ids(text))

    from faults_support import Load
    load = Load()
    load.start(lambda l: l.call("ListKeys", lambda: stack.raw.tc3(account, "ListKeys", {}, region=FIPS_REGION)), threads=4)
    try:
        load.wait_for(lambda seen: len(seen) >= 50, timeout=20, what="50 requests before rotating")
        _logrotate(stack, state)
        load.wait_for(lambda seen: len(seen) >= 200, timeout=20, what="150 more requests")
        _logrotate(stack, state)   # a second rotation: the first file is compressed now
        count = len(load.snapshot())
        load.wait_for(lambda seen: len(seen) >= count + 100, timeout=20, what="100 requests after the second rotation")
    finally:
        load.stop()

    outcomes = load.snapshot()
    failed = [o for o in outcomes if not o.ok]
    assert not failed, f"{len(failed)} requests failed during the rotation: {[o.describe() for o in failed[:5]]}"
    answered = [o.body["RequestId"] for o in outcomes]

    # A request's line is queued before its answer is sent and the queue is written in order, so
    # once the last answer's line is in the file, every earlier one is written too (~100 ms).
    last = max(outcomes, key=lambda o: o.end).body["RequestId"]
    current = os.path.join(stack.log_dir, "responder.log")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        with open(current, "rb") as fh:
            if last.encode() in fh.read():
                break
        time.sleep(0.05)
    files = _responder_logs(stack)
    logged = []
    for text in files.values():
        logged += _request_ids(text)
    missing = [r for r in answered if r not in set(logged)]
    assert not missing, f"{len(missing)} of {len(answered)} RequestIds are in no responder.log* file: {missing[:5]}"
    counts = {}
    for r in logged:
        counts[r] = counts.get(r, 0) + 1
    twice = [r for r in answered if counts[r] != 1]
    assert not twice, f"RequestIds logged more than once: {twice[:5]}"

    # Both rotations happened, and the current file got the lines after them.
    assert {"responder.log", "responder.log.1", "responder.log.2.gz"} <= files.keys(), sorted(files)
    assert any(r in _request_ids(files["responder.log"]) for r in answered[-50:]), \
        "the responder did not write on in the new responder.log"
    new_ids = set(_request_ids(files["responder.log"]))
    assert not new_ids & before, "the new file repeats lines of the old one"
    # The new file is the responder's own (it reopens it as the service user) and not world-readable.
    st = os.stat(os.path.join(stack.log_dir, "responder.log"))
    assert st.st_mode & 0o777 == 0o640, oct(st.st_mode)
    responder_user = pwd.getpwuid(os.stat(f"/proc/{pids['responder']}").st_uid).pw_name
    assert pwd.getpwuid(st.st_uid).pw_name == responder_user, "the new file must belong to the responder's user"

    # The supervisor reopened too (its lines are JSON in the new file) and nobody restarted.
    assert '"logger":"supervisor"' in files["responder.log"] and '"event":"log_reopened"' in files["responder.log"], \
        files["responder.log"][:2000]
    assert stack.responder_pid() == pids["responder"], "the responder restarted: SIGUSR1 must only reopen the log"
    assert stack.supervisor_pid() == pids["supervisor"], "the supervisor restarted"
    assert stack.nginx_pid() == pids["nginx"], "nginx restarted"
    # nginx writes on in its new access log.
    time.sleep(0.2)
    stack.raw.tc3(account, "ListKeys", {}, region=FIPS_REGION)
    access = os.path.join(stack.log_dir, "nginx-access.log")
    deadline = time.monotonic() + 3
    while os.path.getsize(access) == 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert os.path.getsize(access) > 0, "nginx did not reopen nginx-access.log"
    stack.settle()


def test_logs_command_prints_the_last_lines_and_explains_the_other_logs(stack):
    env = {**os.environ, "KMS_HOME": stack.home}
    proc = subprocess.run([stack.kms_script, "logs", "--lines", "3"], env=env, capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 3 and all(json.loads(line)["ts"] for line in lines), proc.stdout
    usage = subprocess.run([stack.kms_script, "logs", "--help"], env=env, capture_output=True, text=True, timeout=30)
    assert usage.returncode == 0 and "nginx-access.log" in usage.stdout and "postgres.log" in usage.stdout, usage.stdout
    for bad in (["--lines", "x"], ["--bogus"], ["--lines"]):
        proc = subprocess.run([stack.kms_script, "logs", *bad], env=env, capture_output=True, text=True, timeout=30)
        assert proc.returncode != 0 and proc.stderr.startswith("kms: error:") and len(proc.stderr.splitlines()) == 1, \
            (bad, proc.returncode, proc.stderr)


def test_logs_follow_carries_on_across_a_rotation(stack, make_account, tmp_path):
    account = make_account("logs-follow")
    env = {**os.environ, "KMS_HOME": stack.home}
    out = open(tmp_path / "follow.out", "w+b")
    follower = subprocess.Popen([stack.kms_script, "logs", "-f", "--lines", "0"], env=env, stdout=out, stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.5)
        _logrotate(stack, str(tmp_path / "state"))
        time.sleep(1.5)   # tail -F notices the new file within a second
        answer = stack.raw.tc3(account, "ListKeys", {}, region=FIPS_REGION).json()["Response"]
        request_id = answer["RequestId"]
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            out.seek(0)
            if request_id.encode() in out.read():
                break
            time.sleep(0.1)
        out.seek(0)
        assert request_id.encode() in out.read(), "`logs -f` did not follow the log into the new file"
    finally:
        follower.terminate()
        follower.wait(10)
        out.close()


def test_log_stays_json_lines_through_a_crash_and_a_database_restart(stack, make_account):
    """What used to reach the log raw: bash's "Segmentation fault  setpriv …" for a crashed
    responder and libpq's "FATAL: terminating connection" when PostgreSQL stops. Both must be
    JSON lines now (the supervisor's `responder_exited`, the responder's `database_notice`)."""
    import signal

    account = make_account("log-json")
    offset = stack.log_size("responder.log")
    stack.raw.tc3(account, "ListKeys", {}, region=FIPS_REGION)   # every worker gets a connection soon
    victim = stack.responder_pid()
    os.kill(victim, signal.SIGSEGV)
    stack.wait_new_responder(victim, timeout=10)
    stack.settle()
    stack.postgres_stop("fast")
    try:
        # Refused for want of a database: still one line each, findable by RequestId.
        refused = []
        for _ in range(3):
            body = stack.raw.tc3(account, "ListKeys", {}, region=FIPS_REGION).json()["Response"]
            assert body["Error"]["Code"] == "InternalError", body
            refused.append(body["RequestId"])
    finally:
        stack.postgres_start()
    stack.settle()
    time.sleep(0.3)
    text = stack.log_since("responder.log", offset)
    records, bad = [], []
    for line in text.splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            bad.append(line)
    assert not bad, f"{len(bad)} lines of responder.log are not JSON: {bad[:5]}"
    exits = [r for r in records if r.get("event") == "responder_exited"]
    assert exits and exits[0]["signal"] == signal.SIGSEGV and exits[0]["responder_pid"] == victim, exits
    for request_id in refused:
        lines = [r for r in records if r.get("event") == "request" and r["request_id"] == request_id]
        assert len(lines) == 1 and lines[0]["code"] == "InternalError" and lines[0]["level"] == "error", (request_id, lines)
        assert "error" in lines[0] or "at" in lines[0], lines[0]
    notices = [r for r in records if r.get("event") == "database_notice"]
    assert notices and all("terminating connection" in r["msg"] for r in notices), notices
