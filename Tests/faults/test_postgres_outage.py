"""PostgreSQL stopped and started again under the responder's feet.

* While the database is down, requests are answered by the responder itself: HTTP 200,
  application/json, ``InternalError`` (a read served from a cache may still succeed; a write never).
  Never a 502: the responder stays up.
* Once the database is back, requests succeed again -- the same responder process, nobody restarts
  it -- and not just eventually: every request after the database accepts connections again.
* Writes are acknowledged only after a durable commit: the server runs with fsync and
  synchronous_commit on, and a PostgreSQL crash (immediate shutdown: no checkpoint, WAL buffers
  lost) under a write load loses no acknowledged CreateKey.
"""

import time

from e2e_support import b64
from faults_support import Load, classify, list_key_states, summarize, unique_alias

RECOVERY_LIMIT = 5.0     # seconds from "PostgreSQL accepts connections" to the first acknowledged write
OUTAGE = 2.0             # seconds the database stays down under load


def _write_and_read_load(stack, account):
    raw = stack.raw
    key_id = raw_ok(raw.tc3(account, "CreateKey", {"Alias": unique_alias("pg")}))["KeyId"]
    load = Load()
    load.start(lambda load: load.call("CreateKey", lambda: raw.tc3(
        account, "CreateKey", {"Alias": unique_alias("pg"), "Description": "faults"})), threads=2)
    load.start(lambda load: load.call("Encrypt", lambda: raw.tc3(
        account, "Encrypt", {"KeyId": key_id, "Plaintext": b64(b"postgres outage")})), threads=2)
    return load


def raw_ok(resp):
    kind, code, body = classify(resp)
    assert kind == "ok", f"{kind} {code}: {body}"
    return body


def _assert_outage_answers(outcomes, down_from, down_until):
    """While the database was down: CreateKey always InternalError, reads InternalError or ok."""
    during = [o for o in outcomes if o.start >= down_from and o.end <= down_until]
    writes = [o for o in during if o.op == "CreateKey"]
    assert len(writes) >= 5, f"hardly any write attempted during the outage: {summarize(during)}"
    acknowledged = [o for o in writes if o.ok]
    assert len(acknowledged) == 0, (f"{len(acknowledged)} CreateKey acknowledged while PostgreSQL was down: "
                                    f"{[o.body.get('KeyId') for o in acknowledged[:5]]}")
    wrong = [o for o in during if not o.ok and (o.kind, o.code) != ("error", "InternalError")]
    assert len(wrong) == 0, ("while PostgreSQL was down, answers other than InternalError (HTTP 200 JSON): "
                             + "; ".join(o.describe(down_from) for o in wrong[:10]))


def test_postgres_restart_under_load(stack, make_account):
    account = make_account("pg-restart")
    responder = stack.responder_pid()
    log_offset = stack.log_size("responder.log")
    load = _write_and_read_load(stack, account)
    try:
        load.wait_for(lambda seen: sum(o.ok and o.op == "CreateKey" for o in seen) >= 20, timeout=20,
                      what="20 acknowledged CreateKey before the outage")
        stopping_at = time.monotonic()
        stack.postgres_stop("fast")
        down_from = time.monotonic()
        time.sleep(OUTAGE)
        down_until = time.monotonic()
        stack.postgres_start()
        up_at = time.monotonic()
        back_at = load.wait_for(lambda seen: any(o.ok and o.op == "CreateKey" and o.start > up_at for o in seen),
                                timeout=15, what="a CreateKey acknowledged after PostgreSQL came back")
        time.sleep(1.5)
    finally:
        load.stop()

    outcomes = load.snapshot()
    recovery = min(o.end for o in outcomes if o.ok and o.op == "CreateKey" and o.start > up_at) - up_at
    assert recovery <= RECOVERY_LIMIT, f"writes succeeded again only {recovery:.2f}s after PostgreSQL was back"
    _assert_outage_answers(outcomes, down_from, down_until)
    unexpected = [o for o in outcomes if not o.ok and (o.kind, o.code) != ("error", "InternalError")]
    assert len(unexpected) == 0, ("answers other than success or InternalError (the responder must stay "
                                  "reachable): " + "; ".join(o.describe(down_from) for o in unexpected[:10]))
    before = [o for o in outcomes if not o.ok and o.end < stopping_at]
    assert len(before) == 0, ("failures before PostgreSQL was stopped: "
                              + "; ".join(o.describe(down_from) for o in before[:5]))
    after = [o for o in outcomes if not o.ok and o.start > back_at]
    assert len(after) == 0, (f"{len(after)} requests failed after PostgreSQL was back and a write had succeeded "
                             "again: " + "; ".join(o.describe(up_at) for o in after[:10]) + f" [{summarize(outcomes)}]")
    assert stack.responder_pid() == responder, "the responder was restarted; it must reconnect by itself"
    restarts = [line for line in stack.log_since("responder.log", log_offset).splitlines()
                if "supervisor" in line and "exited" in line]
    assert len(restarts) == 0, f"the supervisor restarted the responder: {restarts}"

    states = list_key_states(stack.raw, account)
    acknowledged = [o.body["KeyId"] for o in outcomes if o.ok and o.op == "CreateKey"]
    missing = [k for k in acknowledged if k not in states]
    assert len(missing) == 0, f"{len(missing)} acknowledged CreateKey missing after the restart: {missing[:5]}"
    print(f"\nPostgreSQL restart: writes back {recovery:.2f}s after it accepted connections; "
          f"[{summarize(outcomes)}]")


def test_requests_succeed_after_postgres_restart_while_idle(stack, make_account):
    """The database restarts while nobody is calling (a maintenance window at night). The first
    requests afterwards must not fail: every worker thread holds a connection that the restart
    closed, and each must notice that by itself instead of answering one InternalError first."""
    account = make_account("pg-idle")
    raw = stack.raw
    key_id = raw_ok(raw.tc3(account, "CreateKey", {"Alias": unique_alias("pg-idle")}))["KeyId"]
    responder = stack.responder_pid()
    stack.settle()   # every worker thread has a live connection now
    stack.postgres_stop("fast")
    stack.postgres_start()
    time.sleep(0.5)

    load = Load()
    load.start(lambda load: load.call("Encrypt", lambda: raw.tc3(
        account, "Encrypt", {"KeyId": key_id, "Plaintext": b64(b"after the night")})), threads=4)
    load.start(lambda load: load.call("CreateKey", lambda: raw.tc3(
        account, "CreateKey", {"Alias": unique_alias("pg-idle")})), threads=2)
    try:
        load.wait_for(lambda seen: len(seen) >= 6 * stack.workers, timeout=30,
                      what=f"{6 * stack.workers} requests")
    finally:
        load.stop()
    outcomes = load.snapshot()
    failed = [o for o in outcomes if not o.ok]
    assert stack.responder_pid() == responder
    assert len(failed) == 0, (f"{len(failed)} of the first {len(outcomes)} requests after a PostgreSQL restart failed "
                              f"although the database was up ({summarize(outcomes)}); typically each worker thread "
                              "answers InternalError once before it reconnects")


def test_postgres_crash_loses_no_acknowledged_write(stack, make_account):
    """Immediate shutdown = a crash: no shutdown checkpoint, unflushed WAL is gone. A CreateKey that
    was acknowledged must have been flushed before the answer (synchronous commit)."""
    account = make_account("pg-crash")
    raw = stack.raw
    load = Load()
    load.start(lambda load: load.call("CreateKey", lambda: raw.tc3(
        account, "CreateKey", {"Alias": unique_alias("pg-crash"), "Description": "faults"})), threads=4)
    try:
        load.wait_for(lambda seen: sum(o.ok for o in seen) >= 50, timeout=20, what="50 acknowledged CreateKey")
        stack.postgres_stop("immediate")
        down_from = time.monotonic()
        time.sleep(0.5)
        down_until = time.monotonic()
        stack.postgres_start()   # crash recovery from the WAL
        up_at = time.monotonic()
        load.wait_for(lambda seen: sum(o.ok and o.start > up_at for o in seen) >= 20, timeout=15,
                      what="20 CreateKey acknowledged after crash recovery")
    finally:
        load.stop()
    outcomes = load.snapshot()
    _assert_outage_answers(outcomes, down_from, down_until)
    unexpected = [o for o in outcomes if not o.ok and (o.kind, o.code) != ("error", "InternalError")]
    assert len(unexpected) == 0, "; ".join(o.describe(down_from) for o in unexpected[:10])

    states = list_key_states(raw, account)
    acknowledged = [o for o in outcomes if o.ok]
    missing = [o for o in acknowledged if o.body["KeyId"] not in states]
    assert len(missing) == 0, (f"{len(missing)} of {len(acknowledged)} acknowledged CreateKey lost in a PostgreSQL "
                               f"crash (acknowledged before a durable commit?), e.g. "
                               + "; ".join(f"{o.body['KeyId']} ({o.describe(down_from)})" for o in missing[:5]))
    print(f"\nPostgreSQL crash: {len(acknowledged)} acknowledged keys, all present [{summarize(outcomes)}]")


def test_commits_are_durable(stack):
    """The settings behind "acknowledged only after a durable commit", as the responder's own role
    sees them (role and database defaults included), and no override stored for any role."""
    wanted = {"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on"}
    for role in ("kms_app", "kms_owner"):
        got = {name: stack.psql(f"SHOW {name}", user=role) for name in wanted}
        assert got == wanted, f"as {role}: {got}"
    overrides = stack.psql("SELECT coalesce(string_agg(array_to_string(setconfig, ','), ';'), '') "
                           "FROM pg_db_role_setting", user="kms_owner")
    for name in ("fsync", "synchronous_commit", "full_page_writes"):
        assert name not in overrides, f"a per-role/database override of {name}: {overrides}"


def test_revoked_credential_stops_working_after_postgres_restart(stack, make_account, make_credential,
                                                                disable_credential):
    """The responder caches credentials and keys and learns of changes made elsewhere (kmsctl)
    through LISTEN/NOTIFY. After PostgreSQL restarts, that listening connection is gone: the
    responder must listen again (or stop trusting its caches), or a credential disabled afterwards
    would keep working."""
    account = make_account("pg-revoke")
    revoked = make_credential(account)
    raw = stack.raw
    for _ in range(3):   # cached now, on several workers
        raw_ok(raw.tc3(revoked, "ListKeys", {"Limit": 1}))
    stack.postgres_stop("fast")
    stack.postgres_start()
    stack.settle()
    raw_ok(raw.tc3(revoked, "ListKeys", {"Limit": 1}))

    disable_credential(revoked)
    disabled_at = time.monotonic()
    while True:
        kind, code, _body = classify(raw.tc3(revoked, "ListKeys", {"Limit": 1}))
        if kind == "error" and code.startswith("AuthFailure"):
            break
        assert time.monotonic() - disabled_at < 5, (
            f"a credential disabled through kmsctl after a PostgreSQL restart still works "
            f"{time.monotonic() - disabled_at:.1f}s later (last answer: {kind} {code})")
        time.sleep(0.1)
    raw_ok(raw.tc3(account, "ListKeys", {"Limit": 1}))   # the account's other credential still works
