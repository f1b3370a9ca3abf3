"""`kmsctl audit tail`: `--since` (Unix seconds, RFC 3339) gives every record from then on, read
page by page (more than one page of 1000 here); `--limit N` gives exactly the newest N, and says
on stderr when it stopped before the oldest matching record; `--limit 0` gives them all."""

import datetime
import json
import time
from concurrent.futures import ThreadPoolExecutor

from e2e_support import FIPS_REGION, Kms
from kmsctl_support import ctl_run

EARLY = 1050   # more than one page
LATE = 7


def tail(kms_env, account, *args):
    proc = ctl_run(kms_env, "audit", "tail", "--account", account.app_id, "--json", *args)
    assert proc.returncode == 0, f"audit tail {' '.join(args)} exited {proc.returncode}: {proc.stderr}"
    return [json.loads(line) for line in proc.stdout.splitlines()], proc.stderr


def send(kms_env, account, action, count):
    def one_thread(n):
        kms = Kms(account, FIPS_REGION, kms_env.endpoint)
        for _ in range(n):
            getattr(kms, action)() if action != "GenerateRandom" else kms.GenerateRandom(NumberOfBytes=8)
    threads = 6
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(one_thread, [count // threads + (i < count % threads) for i in range(threads)]))


def wait_for_records(kms_env, account, expected):
    deadline = time.time() + 20
    while True:
        rows, _ = tail(kms_env, account, "--limit", "0")
        if len(rows) >= expected or time.time() > deadline:
            return rows
        time.sleep(0.2)


def test_audit_tail_since_and_limit(kms_env, make_account):
    account = make_account("audit-tail")
    start = int(time.time())
    send(kms_env, account, "GenerateRandom", EARLY)
    time.sleep(1.05 - (time.time() % 1))  # into the next whole second
    since = int(time.time())
    time.sleep(0.01)
    send(kms_env, account, "GetServiceStatus", LATE)

    every = wait_for_records(kms_env, account, EARLY + LATE)
    assert len(every) == EARLY + LATE, f"--limit 0 gave {len(every)} records, not {EARLY + LATE}"
    seqs = [row["Seq"] for row in every]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs), "records are not oldest first, once each"

    rfc3339 = datetime.datetime.fromtimestamp(since, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    for value in (str(since), rfc3339):
        late, note = tail(kms_env, account, "--since", value)
        assert [row["Action"] for row in late] == ["GetServiceStatus"] * LATE, (value, late)
        assert all(row["Time"] >= since * 1000 for row in late) and note == ""

    all_since, note = tail(kms_env, account, "--since", str(start - 1))
    assert [row["Seq"] for row in all_since] == seqs and note == "", "--since before everything missed records"

    newest, note = tail(kms_env, account, "--limit", "1020")
    assert [row["Seq"] for row in newest] == seqs[-1020:], "--limit 1020 is not the newest 1020, oldest first"
    assert note.count("\n") == 1 and "--limit 1020" in note, f"no note on stderr that --limit stopped it: {note!r}"

    whole, note = tail(kms_env, account, "--limit", "5000")
    assert [row["Seq"] for row in whole] == seqs and note == ""
