"""Backup and point-in-time restore (issue 12): ``scripts/kms backup DIR`` / ``restore DIR``.

A stack of its own (so the shared one keeps running and never archives anywhere): accounts, a
second credential, aliases, a disabled key, a BYOK key with imported material, a key with two
material versions, ciphertexts; a master-key rotation (``master.key.2``); a full and a differential
backup; then a key and a ciphertext created after the last backup, whose WAL only the archive
holds; the stack stopped; ``restore DIR`` into a new, empty KMS_HOME on other ports; ``up``. Every
earlier ciphertext decrypts with the old credentials, every key's metadata is as it was, and
``kmsctl audit verify`` passes. A backup without ``keys/master.key.2`` and a KMS_HOME without it
are refused, naming the file, before anything answers ``InternalError``.

Ports: KMS_BACKUP_TEST_PORT (default 18580) and the three above it.
"""

import json
import os
import re
import shutil
import stat
import subprocess
import tempfile
import time

import pytest

from e2e_support import FIPS_REGION, Account, Kms, assert_code, ctl_json, owner_psql, unique_alias
from test_byok import RSA_OAEP_SHA256, Byok
from test_lifecycle import material_version

BASE_PORT = int(os.environ.get("KMS_BACKUP_TEST_PORT", "18580"))
SETTINGS = ("KMS_HOME", "KMS_HTTP_PORT", "KMS_HTTPS_PORT", "KMS_METRICS_PORT", "KMS_REGIONS", "KMS_WORKERS",
            "KMS_TLS_CERT", "KMS_TLS_KEY", "KMS_TLS_CA", "KMS_LISTEN", "KMS_HTTP_LISTEN")


def repo_dir():
    repo = os.environ.get("KMS_REPO")
    if not repo:
        pytest.fail("KMS_REPO is not set: run with scripts/kms test", pytrace=False)
    return repo


def kms(home, *args, ports=None, timeout=300):
    """``scripts/kms ARGS`` for the stack in ``home``; (exit status, stdout + stderr)."""
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS}
    env.update(KMS_HOME=home, KMS_SKIP_BUILD="1", KMS_WORKERS="2")
    if ports:
        # A restored stack.env names the source stack's metrics port, which may still be in use.
        env.update(KMS_HTTP_PORT=str(ports[0]), KMS_HTTPS_PORT=str(ports[1]), KMS_METRICS_PORT=str(ports[0] + 300))
    proc = subprocess.run([os.path.join(repo_dir(), "scripts", "kms"), *args], env=env, capture_output=True,
                          text=True, timeout=timeout, cwd=repo_dir())
    return proc.returncode, proc.stdout + proc.stderr


def ok(home, *args, ports=None):
    rc, out = kms(home, *args, ports=ports)
    assert rc == 0, f"scripts/kms {' '.join(args)} (KMS_HOME={home}) exited {rc}:\n{out}"
    return out


def new_home(label):
    home = tempfile.mkdtemp(prefix=f"kms-{label}.", dir="/tmp")
    os.chmod(home, 0o755)  # postgres, kms and www-data must get in
    return home


def lsn(text):
    high, low = text.strip().split("/")
    return (int(high, 16) << 32) + int(low, 16)


def audit_records(home):
    out = ok(home, "ctl", "audit", "verify")
    found = re.search(r"(\d+) records", out)
    assert found and "intact" in out, f"kmsctl audit verify: {out}"
    return int(found.group(1))


def describe(client, key_id):
    meta = json.loads(client.DescribeKey(KeyId=key_id).KeyMetadata.to_json_string())
    meta.pop("NextRotateTime", None)  # recomputed from the clock
    return meta


@pytest.fixture(scope="module")
def world():
    """Source stack with data, backed up, more data after the backup, stopped; restored into a new
    KMS_HOME and running. Everything it starts is stopped and removed afterwards."""
    src, dst, backup = new_home("bk-src"), new_home("bk-dst"), tempfile.mkdtemp(prefix="kms-bk-dir.", dir="/tmp")
    os.rmdir(backup)  # `backup DIR` makes it
    src_ports, dst_ports = (BASE_PORT, BASE_PORT + 1), (BASE_PORT + 2, BASE_PORT + 3)
    w = {"src": src, "dst": dst, "backup": backup, "dst_ports": dst_ports, "homes": [src, dst],
         "dirs": [backup, backup + "-other"]}
    try:
        ok(src, "up", ports=src_ports)
        data = ctl_json(ok(src, "ctl", "account", "create", "--name", "backup-a", "--json"), "account create")
        acct = Account.from_ctl("backup-a", data)
        second = ctl_json(ok(src, "ctl", "credential", "create", "--app-id", acct.app_id, "--json"), "credential create")
        acct2 = acct.with_secret(second["SecretId"], second["SecretKey"])
        client = Kms(acct, FIPS_REGION, f"127.0.0.1:{src_ports[0]}")

        keys, texts = {}, []   # texts: (key label, plaintext, ciphertext)

        def remember(label, key_id, plaintext):
            texts.append((label, plaintext, client.encrypt(key_id, plaintext)))

        keys["plain"] = client.new_key_id(Alias=unique_alias("bk-plain"))
        remember("plain", keys["plain"], b"account numbers")
        keys["disabled"] = client.new_key_id(Alias=unique_alias("bk-off"))
        remember("disabled", keys["disabled"], b"kept while disabled")
        client.DisableKey(KeyId=keys["disabled"])
        byok = Byok(client, RSA_OAEP_SHA256)
        keys["byok"] = byok.new_key()
        byok.import_material(keys["byok"], byok.new_material())
        remember("byok", keys["byok"], b"under the customer's material")
        keys["rotated"] = client.new_key_id(Alias=unique_alias("bk-rot"))
        remember("rotated", keys["rotated"], b"version one")
        client.EnableKeyRotation(KeyId=keys["rotated"])
        client.RotateKey(KeyId=keys["rotated"])
        remember("rotated", keys["rotated"], b"version two")

        w["full"] = ok(src, "backup", backup)
        w["rotate"] = ok(src, "ctl", "master-key", "rotate", "--wait", "1.5")
        assert os.path.exists(os.path.join(src, "master.key.2"))
        w["key2_after_rotate"] = os.path.exists(os.path.join(backup, "keys", "master.key.2"))
        w["diff"] = kms(src, "backup", backup)
        w["other_dir"] = kms(src, "backup", backup + "-other")

        # After the last backup: its WAL reaches DIR only through the archive.
        stop_lsn = lsn(json.loads(pgbackrest_info(src))[0]["backup"][-1]["lsn"]["stop"])
        # A point in time between the last backup and the late key (for `restore --to`).
        time.sleep(1)
        w["between"] = owner_psql(src, "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', "
                                       "'YYYY-MM-DD HH24:MI:SS.US') || '+00'")
        time.sleep(1)
        keys["late"] = client.new_key_id(Alias=unique_alias("bk-late"))
        remember("late", keys["late"], b"created after the last backup")
        w["late_lsn"], w["stop_lsn"] = lsn(owner_psql(src, "SELECT pg_current_wal_insert_lsn()")), stop_lsn

        w["meta"] = {label: describe(client, key_id) for label, key_id in keys.items()}
        w["audit"] = audit_records(src)
        w.update(keys=keys, texts=texts, accounts=(acct, acct2))
        ok(src, "down")

        w["restore"] = ok(dst, "restore", backup, ports=dst_ports)
        w["up"] = ok(dst, "up", ports=dst_ports)
        yield w
    finally:
        for home in w["homes"]:
            if os.path.exists(os.path.join(home, "pg", "postmaster.pid")):   # something may run there
                kms(home, "down")
        for path in w["homes"] + w["dirs"]:
            shutil.rmtree(path, ignore_errors=True)


def pgbackrest_info(home):
    conf = os.path.join(home, "backup", "pgbackrest.conf")
    cmd = ["/usr/bin/pgbackrest", f"--config={conf}", "--stanza=kms", "info", "--output=json"]
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--"] + cmd
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60, cwd="/")
    assert proc.returncode == 0, f"pgbackrest info: {proc.stderr}"
    return proc.stdout


def test_first_backup_is_full_later_ones_differential_and_carry_every_key_file(world):
    assert "taking a full backup" in world["full"], world["full"]
    rc, out = world["diff"]
    assert rc == 0 and "taking a diff backup" in out, out
    keys = os.path.join(world["backup"], "keys")
    assert sorted(n for n in os.listdir(keys) if n.startswith("master.key")) == ["master.key", "master.key.2"]
    for name in ("master.key", "master.key.2"):
        mode = stat.S_IMODE(os.stat(os.path.join(keys, name)).st_mode)
        assert mode == 0o600, f"{name} is {oct(mode)}"
        with open(os.path.join(keys, name), "rb") as a, open(os.path.join(world["src"], name), "rb") as b:
            assert a.read() == b.read(), f"keys/{name} differs from the stack's"
    assert "store" in out.lower() and "apart" in out, f"no warning to store the key ring apart: {out}"


def test_master_key_rotation_copies_the_new_key_to_the_backup_at_once(world):
    # Before the next backup: values re-sealed under key 2 reach the repository through WAL.
    assert world["key2_after_rotate"], world["rotate"]
    assert f"master key ring copied to {world['backup']}/keys" in world["rotate"], world["rotate"]


def test_a_second_repository_is_refused_clearly(world):
    rc, out = world["other_dir"]
    assert rc != 0 and "already backs up to " + world["backup"] in out and "--new-repository" in out, out
    assert not os.path.exists(world["backup"] + "-other/repo")


def test_every_earlier_ciphertext_decrypts_with_the_old_credentials(world):
    endpoint = f"127.0.0.1:{world['dst_ports'][0]}"
    for account in world["accounts"]:
        client = Kms(account, FIPS_REGION, endpoint)
        for label, plaintext, blob in world["texts"]:
            if label == "disabled":
                continue
            assert client.decrypt(blob) == plaintext, label


def test_keys_aliases_states_and_versions_are_as_they_were(world):
    client = Kms(world["accounts"][0], FIPS_REGION, f"127.0.0.1:{world['dst_ports'][0]}")
    for label, key_id in world["keys"].items():
        assert describe(client, key_id) == world["meta"][label], label
    assert [material_version(b) for label, _, b in world["texts"] if label == "rotated"] == [1, 2]
    assert world["meta"]["disabled"]["KeyState"] == "Disabled"
    assert world["meta"]["byok"]["Origin"] == "EXTERNAL" and world["meta"]["byok"]["KeyState"] == "Enabled"
    # The disabled key's ciphertext opens once it is enabled again: its material came back too.
    client.EnableKey(KeyId=world["keys"]["disabled"])
    (blob,) = [b for label, _, b in world["texts"] if label == "disabled"]
    assert client.decrypt(blob) == b"kept while disabled"


def test_a_key_created_after_the_last_backup_came_back_from_archived_wal(world):
    # Created past the backup's stop LSN: only WAL replayed from the archive can hold it.
    assert world["late_lsn"] > world["stop_lsn"]
    assert "WAL replayed to the end of the archive" in world["restore"], world["restore"]
    client = Kms(world["accounts"][0], FIPS_REGION, f"127.0.0.1:{world['dst_ports'][0]}")
    (blob,) = [b for label, _, b in world["texts"] if label == "late"]
    assert client.decrypt(blob) == b"created after the last backup"


def test_restore_to_a_point_in_time_stops_before_what_came_later(world):
    home = new_home("bk-pitr")
    world["homes"].append(home)
    ports = (BASE_PORT + 6, BASE_PORT + 7)
    out = ok(home, "restore", "--to", world["between"], world["backup"], ports=ports)
    assert f"up to {world['between']}" in out, out
    ok(home, "up", ports=ports)
    client = Kms(world["accounts"][0], FIPS_REGION, f"127.0.0.1:{ports[0]}")
    for label, plaintext, blob in world["texts"]:
        if label not in ("disabled", "late"):
            assert client.decrypt(blob) == plaintext, label
    assert_code(lambda: client.DescribeKey(KeyId=world["keys"]["late"]), "ResourceUnavailable.CmkNotFound")
    ok(home, "down")


def test_restore_refuses_a_time_without_its_zone(world):
    home = new_home("bk-badtime")
    world["homes"].append(home)
    rc, out = kms(home, "restore", "--to", "2026-11-30 05:48:00", world["backup"])
    assert rc != 0 and "--to needs a time with its zone" in out, out


def test_audit_trail_is_complete_and_verifies(world):
    assert audit_records(world["dst"]) >= world["audit"]


def test_up_turns_on_wal_archiving_of_a_stack_from_before_it_with_one_restart(world):
    dst = world["dst"]
    conf = os.path.join(dst, "pg", "kms.conf")
    with open(conf) as fh:
        text = fh.read()
    assert "archive_mode = on" in text
    with open(conf, "w") as fh:
        fh.write(text.replace("archive_mode = on", "archive_mode = off"))
    pg_ctl = ["/usr/lib/postgresql/15/bin/pg_ctl", "-D", os.path.join(dst, "pg"), "-l",
              os.path.join(dst, "log", "postgres.log"), "-m", "fast", "-w", "-s", "restart"]
    if os.geteuid() == 0:
        pg_ctl = ["runuser", "-u", "postgres", "--"] + pg_ctl
    subprocess.run(pg_ctl, check=True, timeout=120, cwd="/", stdout=subprocess.DEVNULL)
    assert owner_psql(dst, "SHOW archive_mode") == "off"

    out = ok(dst, "up", ports=world["dst_ports"])
    assert "restarting PostgreSQL once to turn on WAL archiving" in out, out
    assert owner_psql(dst, "SHOW archive_mode") == "on"
    assert owner_psql(dst, "SHOW archive_command") == "true"   # no repository: nothing accumulates
    client = Kms(world["accounts"][0], FIPS_REGION, f"127.0.0.1:{world['dst_ports'][0]}")
    (label, plaintext, blob) = world["texts"][0]
    deadline = time.monotonic() + 30
    while True:   # the responder's connections notice the restart and reconnect
        try:
            assert client.decrypt(blob) == plaintext
            break
        except Exception:  # noqa: BLE001 -- retried until the deadline
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
    assert "restarting PostgreSQL" not in ok(dst, "up", ports=world["dst_ports"])


def test_a_restored_stack_is_backed_up_afresh_and_can_move_to_a_new_repository(world):
    dst = world["dst"]
    first, second = world["backup"] + "-dst1", world["backup"] + "-dst2"
    world["dirs"] += [first, second]   # removed afterwards
    assert owner_psql(dst, "SHOW archive_command") == "true"   # restored: archives nowhere yet
    conf = os.path.join(dst, "backup", "pgbackrest.conf")
    assert "taking a full backup" in ok(dst, "backup", first)
    assert "pgbackrest" in owner_psql(dst, "SHOW archive_command")
    with open(conf) as fh:
        assert f"repo1-path={first}/repo\n" in fh.read()
    out = ok(dst, "backup", "--new-repository", second)
    assert "taking a full backup" in out, out
    with open(conf) as fh:
        assert f"repo1-path={second}/repo\n" in fh.read()
    assert os.path.exists(os.path.join(second, "keys", "master.key.2"))


def test_restore_refuses_a_non_empty_kms_home(world):
    rc, out = kms(world["dst"], "restore", world["backup"], ports=world["dst_ports"])
    assert rc != 0 and "is not empty" in out, out


def test_restore_refuses_a_directory_without_a_repository_or_without_master_key(world):
    home = new_home("bk-empty")
    world["homes"].append(home)
    rc, out = kms(home, "restore", home + "-nothing")
    assert rc != 0 and "does not exist: DIR must be a directory that 'scripts/kms backup DIR' wrote" in out, out
    key1 = os.path.join(world["backup"], "keys", "master.key")
    os.rename(key1, key1 + ".away")
    try:
        rc, out = kms(home, "restore", world["backup"])
    finally:
        os.rename(key1 + ".away", key1)
    assert rc != 0 and f"{key1} is missing" in out, out
    assert os.listdir(home) == [], "a refused restore wrote into KMS_HOME"


def test_restore_without_a_rotated_key_file_refuses_naming_it(world):
    home = new_home("bk-nokey")
    world["homes"].append(home)
    key2 = os.path.join(world["backup"], "keys", "master.key.2")
    os.rename(key2, key2 + ".away")
    try:
        rc, out = kms(home, "restore", world["backup"], ports=(BASE_PORT + 4, BASE_PORT + 5))
    finally:
        os.rename(key2 + ".away", key2)
    assert rc != 0, out
    assert f"master key file missing: {home}/master.key.2" in out, out
    assert "InternalError" not in out


def test_up_with_a_missing_rotated_key_file_refuses_naming_it(world):
    dst = world["dst"]
    ok(dst, "down")
    key2 = os.path.join(dst, "master.key.2")
    os.rename(key2, key2 + ".away")
    try:
        rc, out = kms(dst, "up", ports=world["dst_ports"])
        status_out = kms(dst, "status", "--json")[1]
        status = json.JSONDecoder().raw_decode(status_out[status_out.index("{"):])[0]
        # PostgreSQL runs (up stopped after it): a backup is refused too, before it writes anything.
        world["dirs"].append(world["backup"] + "-dst2")
        backup_rc, backup_out = kms(dst, "backup", world["backup"] + "-dst2")
    finally:
        os.rename(key2 + ".away", key2)
    assert rc != 0, out
    assert f"master key file missing: {key2}" in out, out
    assert status["pids"]["responder"] is None and status["pids"]["nginx"] is None, status
    assert status["pids"]["postgres"] is not None, status
    assert backup_rc != 0 and f"master key file missing: {key2}" in backup_out, backup_out
    assert "not backing up" in backup_out
