"""The state directory cannot be turned against root (issue 10 #9).

Before, ``$KMS_HOME/run`` was ``root:postgres 0775``: the postgres user could swap root's pid files
for symbolic links that root then wrote through, or plant pids that ``up``/``down`` killed. Now:

* ``run/`` is root's alone (0755); PostgreSQL's socket lives in ``run/pg/`` (postgres), the
  responder's in ``run/fcgi/`` (kms:www-data 0750);
* a pid file is trusted only when its process is the one the stack started (real user, executable,
  command line): a planted pid is reported and never signalled, by ``down``, ``status`` or ``up``;
* pid files are replaced by rename, never written through a symbolic link;
* ``up`` migrates a KMS_HOME laid out the old way, PostgreSQL running there included.

Runs as root against the stack; every test leaves it up.
"""

import grp
import os
import pwd
import stat
import subprocess
import tempfile

import pytest

ROOT_PID_FILES = ("nginx.pid", "supervisor.pid", "responder.pid")


def kms(stack, *args, timeout=180):
    env = {**os.environ, "KMS_HOME": stack.home, "KMS_SKIP_BUILD": "1"}
    proc = subprocess.run([stack.kms_script, *args], env=env, capture_output=True, text=True,
                          timeout=timeout, cwd=stack.repo)
    return proc.returncode, proc.stdout + proc.stderr


def up(stack):
    rc, out = kms(stack, "up")
    assert rc == 0, f"scripts/kms up failed:\n{out}"
    return out


def owner(path):
    st = os.lstat(path)
    return pwd.getpwuid(st.st_uid).pw_name, grp.getgrgid(st.st_gid).gr_name, stat.S_IMODE(st.st_mode)


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.fixture
def foreign_process():
    """A `sleep` of another user (nobody): what a planted pid would name."""
    proc = subprocess.Popen(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "sleep", "600"])
    yield proc.pid
    proc.kill()
    proc.wait()


@pytest.fixture
def stopped(stack):
    """The stack stopped for the test and brought up again afterwards, whatever happened."""
    rc, out = kms(stack, "down")
    assert rc == 0, out
    try:
        yield
    finally:
        for name in ROOT_PID_FILES + ("responder.cmd",):
            path = os.path.join(stack.run_dir, name)
            if os.path.islink(path):
                os.unlink(path)
        up(stack)


@pytest.fixture(autouse=True)
def as_root():
    if os.geteuid() != 0:
        pytest.fail("the state-directory tests run as root (service users postgres, kms, www-data)", pytrace=False)


def test_run_directories_belong_to_their_writers(stack):
    assert owner(stack.run_dir) == ("root", "root", 0o755)
    pg_user, _, pg_mode = owner(os.path.join(stack.run_dir, "pg"))
    assert pg_user == "postgres" and pg_mode & 0o022 == 0, owner(os.path.join(stack.run_dir, "pg"))
    assert owner(os.path.join(stack.run_dir, "fcgi")) == ("kms", "www-data", 0o750)
    assert stat.S_ISSOCK(os.lstat(os.path.join(stack.run_dir, "pg", ".s.PGSQL.5432")).st_mode)
    assert not os.path.lexists(os.path.join(stack.run_dir, ".s.PGSQL.5432")), "no socket left in run/"
    for name in ROOT_PID_FILES + ("responder.cmd",):
        path = os.path.join(stack.run_dir, name)
        st = os.lstat(path)
        assert stat.S_ISREG(st.st_mode) and st.st_uid == 0 and stat.S_IMODE(st.st_mode) & 0o022 == 0, (name, owner(path))
    # The postgres user can no longer create anything where root keeps its pid files.
    probe = subprocess.run(["runuser", "-u", "postgres", "--", "touch", os.path.join(stack.run_dir, "planted")],
                           capture_output=True, text=True)
    assert probe.returncode != 0 and not os.path.exists(os.path.join(stack.run_dir, "planted"))


def test_planted_pids_are_reported_and_never_signalled(stack, stopped, foreign_process):
    for name in ROOT_PID_FILES:
        with open(os.path.join(stack.run_dir, name), "w") as fh:
            fh.write(f"{foreign_process}\n")

    rc, out = kms(stack, "status", "--json")
    assert rc != 0 and alive(foreign_process)
    assert '"responder": null' in out and '"nginx": null' in out, out
    for name in ("nginx.pid", "responder.pid"):   # what status reports on
        assert f"{name} names pid {foreign_process}" in out and "not signalling it" in out, out

    rc, out = kms(stack, "down")
    assert rc == 0, out
    assert alive(foreign_process), f"down signalled a process it did not start:\n{out}"
    for name in ROOT_PID_FILES:
        assert f"{name} names pid {foreign_process}" in out, out

    out = up(stack)
    assert alive(foreign_process), f"up signalled a process it did not start:\n{out}"
    pids = stack.pids()
    assert None not in pids.values() and foreign_process not in pids.values(), pids
    rc, out = kms(stack, "status")
    assert rc == 0 and "not signalling" not in out, out


def test_symlinked_pid_files_are_not_written_through(stack, stopped):
    victims = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in ROOT_PID_FILES + ("responder.cmd",):
            victim = os.path.join(tmp, f"victim-{name}")
            with open(victim, "w") as fh:
                fh.write("must not change\n")
            path = os.path.join(stack.run_dir, name)
            if os.path.lexists(path):
                os.unlink(path)   # swapped for a link, as postgres could in the old layout
            os.symlink(victim, path)
            victims[name] = victim

        out = up(stack)
        for name, victim in victims.items():
            with open(victim) as fh:
                assert fh.read() == "must not change\n", f"{name} was written through its link:\n{out}"
            path = os.path.join(stack.run_dir, name)
            assert os.path.isfile(path) and not os.path.islink(path), name
        assert "symbolic link" in out, out
    pids = stack.pids()
    assert None not in pids.values(), pids


def test_up_migrates_an_old_layout_with_postgres_running_there(stack, stopped):
    # The layout before issue 10: run/ root:postgres 0775 holding PostgreSQL's socket.
    pg_dir = os.path.join(stack.run_dir, "pg")
    subprocess.run(["rm", "-rf", pg_dir], check=True)
    os.chown(stack.run_dir, 0, grp.getgrnam("postgres").gr_gid)
    os.chmod(stack.run_dir, 0o775)
    conf = os.path.join(stack.pg_data, "kms.conf")
    with open(conf) as fh:
        text = fh.read()
    with open(conf, "w") as fh:
        fh.write(text.replace(f"unix_socket_directories = '{pg_dir}'", f"unix_socket_directories = '{stack.run_dir}'"))
    stack.postgres_start()
    assert os.path.exists(os.path.join(stack.run_dir, ".s.PGSQL.5432"))

    out = up(stack)
    assert "migrating" in out, out
    assert owner(stack.run_dir) == ("root", "root", 0o755)
    assert owner(pg_dir)[0] == "postgres"
    assert os.path.exists(os.path.join(pg_dir, ".s.PGSQL.5432"))
    assert not os.path.lexists(os.path.join(stack.run_dir, ".s.PGSQL.5432"))
    assert stack.psql("SELECT 1") == "1"
    pids = stack.pids()
    assert None not in pids.values(), pids

    # Idempotent: a second up and a down/up round change nothing and keep working.
    out = up(stack)
    assert "migrating" not in out and "already running" in out, out
