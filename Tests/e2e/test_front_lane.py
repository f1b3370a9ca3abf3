"""The front lane (docs/OPERATIONS.md, "Worker threads"; nginx/nginx.conf.template's $kms_lane):
nginx sends Encrypt, Decrypt, ReEncrypt, GenerateDataKey and GenerateRandom to a socket of their
own, served by their own threads, so they are answered while every worker of the other lane
waits on PostgreSQL.

The test fills the other lane for real: it holds a key's row lock in PostgreSQL, then sends more
UpdateKeyDescription calls on that key than the responder has workers; each worker waits on the
lock. A DescribeKey sent then must wait too (the control: the lane is full), while the front
lane's actions are answered. Releasing the lock lets every waiting call finish."""

import os
import re
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

from e2e_support import FIPS_REGION, PSQL, Kms, owner_psql, unb64


def responder_settings(home):
    """(workers, front workers) from the command line the stack started its responder with."""
    with open(os.path.join(home, "run", "responder.cmd")) as f:
        cmd = f.read()
    workers = re.search(r"--workers (\d+)", cmd)
    front = re.search(r"--front-workers (\d+)", cmd)
    assert workers, f"no --workers in {cmd!r}"
    assert front and "--front-socket" in cmd, f"the test stack runs no front lane: {cmd!r}"
    return int(workers.group(1)), int(front.group(1))


def waiting_on_locks(home):
    """Backends waiting for a lock: each has exactly one lock not granted (pg_locks shows every
    role's; pg_stat_activity hides other roles' wait events from kms_owner)."""
    return int(owner_psql(home, "SELECT count(*) FROM pg_locks WHERE NOT granted"))


def wait_for(what, condition, timeout=30):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_front_lane_answers_while_every_worker_waits_on_postgresql(kms_env, fips_a, account_a):
    home = kms_env.home
    workers = responder_settings(home)[0]
    key_id = fips_a.new_key_id()
    blob = fips_a.encrypt(key_id, b"before")  # the key and the credential are in the caches

    dsn = f"host={os.path.join(os.path.realpath(home), 'run', 'pg')} dbname=kms user=kms_owner"
    locker = subprocess.Popen(
        [PSQL, "-X", "-q", "-v", "ON_ERROR_STOP=1", dsn, "-c",
         f"BEGIN; SELECT set_config('kms.app_id', '{int(account_a.app_id)}', true), "
         f"set_config('kms.region', '{FIPS_REGION}', true); "
         f"SELECT 1 FROM keys WHERE key_id = '{key_id}' FOR UPDATE; SELECT pg_sleep(120); COMMIT;"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd="/")
    blocked = workers + 2
    pool = ThreadPoolExecutor(max_workers=blocked + 1)
    try:
        wait_for("the row lock", lambda: owner_psql(
            home, "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(120)%' "
                  "AND wait_event = 'PgSleep'") == "1")

        def client():
            return Kms(account_a, FIPS_REGION, kms_env.endpoint, timeout=90)

        updates = [pool.submit(lambda i=i: client().UpdateKeyDescription(KeyId=key_id, Description=f"waiting {i}"))
                   for i in range(blocked)]
        wait_for(f"{workers} workers waiting on the lock", lambda: waiting_on_locks(home) >= workers)
        described = pool.submit(lambda: client().DescribeKey(KeyId=key_id))

        # The front lane answers, and on the wire: a fresh SDK client per call.
        again = client().encrypt(key_id, b"while the workers wait")
        assert client().decrypt(again) == b"while the workers wait"
        assert client().decrypt(blob) == b"before"
        assert len(unb64(client().GenerateRandom(NumberOfBytes=32).Plaintext)) == 32
        data_key = client().GenerateDataKey(KeyId=key_id, KeySpec="AES_256")
        assert len(unb64(data_key.Plaintext)) == 32
        moved = client().ReEncrypt(CiphertextBlob=blob, DestinationKeyId=key_id)
        assert client().decrypt(moved.CiphertextBlob) == b"before"

        # The control: the other lane really was full all along.
        assert not described.done(), "DescribeKey was answered: the workers' lane was not full"
        assert sum(u.done() for u in updates) == 0, "an UpdateKeyDescription finished while the lock was held"
        assert waiting_on_locks(home) >= workers
    finally:
        locker.terminate()
        locker.wait(timeout=30)
        # A terminated psql leaves its backend in pg_sleep: end it, which rolls back and unlocks.
        owner_psql(home, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                         "WHERE query LIKE '%pg_sleep(120)%' AND pid <> pg_backend_pid()")
        pool.shutdown(wait=True)
    # Unlocked, every waiting call is answered, and answered as a success (result() raises otherwise).
    for update in updates:
        update.result(timeout=0)
    assert described.result(timeout=0).KeyMetadata.KeyId == key_id
    assert fips_a.DescribeKey(KeyId=key_id).KeyMetadata.Description.startswith("waiting ")
