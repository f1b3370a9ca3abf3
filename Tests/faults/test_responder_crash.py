"""The responder killed with SIGKILL under a write load.

The supervisor must bring a new responder up within seconds, without anyone touching it, and every
CreateKey / ImportKeyMaterial that was acknowledged (HTTP 200, no Error) must be there afterwards:
the service answers only after its COMMIT. While it is down, nginx answers 502 (no upstream) and a
request caught in the middle may get 502 or InternalError -- never a success that is later missing.
"""

import os
import signal
import time

from e2e_support import b64, unb64
from faults_support import Load, classify, import_rsa, list_key_states, random_secret, summarize, unique_alias

RECOVERY_LIMIT = 5.0      # seconds from SIGKILL to the first request answered by the new responder
ALLOWED_FAILURES = {("http", 502), ("error", "InternalError")}


def test_kill_9_under_write_load_loses_no_acknowledged_write(stack, make_account):
    account = make_account("crash")
    raw = stack.raw
    load = Load()

    def create_keys(load):
        alias = unique_alias("crash")
        load.call("CreateKey", lambda: raw.tc3(account, "CreateKey", {"Alias": alias, "Description": "faults"}))

    def import_keys(load):
        # CreateKey(EXTERNAL) -> GetParametersForImport -> wrap -> ImportKeyMaterial; any failure
        # abandons the key (an acknowledged EXTERNAL key must still exist, PendingImport).
        created = load.call("CreateKey(EXTERNAL)", lambda: raw.tc3(
            account, "CreateKey", {"Alias": unique_alias("crash-ext"), "Type": 2}))
        if created.ok:
            import_rsa(raw, account, created.body["KeyId"], random_secret(32), load=load)

    load.start(create_keys, threads=3)
    load.start(import_keys, threads=2)
    try:
        load.wait_for(lambda seen: sum(o.ok and o.op == "CreateKey" for o in seen) >= 20
                      and sum(o.ok and o.op == "ImportKeyMaterial" for o in seen) >= 2,
                      timeout=20, what="the load to get going (20 keys, 2 imports)")
        supervisor = stack.supervisor_pid()
        victim = stack.responder_pid()
        assert victim and supervisor, f"responder {victim}, supervisor {supervisor}"

        os.kill(victim, signal.SIGKILL)
        killed_at = time.monotonic()
        successor = stack.wait_new_responder(victim, timeout=15)
        back_at = load.wait_for(
            lambda seen: any(o.ok and o.start > killed_at for o in seen),
            timeout=15, what="a request answered by the restarted responder")
        # Keep writing a little longer against the new responder.
        load.wait_for(lambda seen: sum(o.ok and o.op == "ImportKeyMaterial" and o.start > back_at for o in seen) >= 2,
                      timeout=20, what="two imports through the new responder")
    finally:
        load.stop()

    outcomes = load.snapshot()
    first_ok_after = min(o.end for o in outcomes if o.ok and o.start > killed_at)
    recovery = first_ok_after - killed_at
    assert recovery <= RECOVERY_LIMIT, (
        f"the responder was back only {recovery:.2f}s after kill -9 (limit {RECOVERY_LIMIT}s)")
    assert stack.supervisor_pid() == supervisor, "the supervisor itself changed or died"
    assert stack.responder_pid() == successor != victim
    assert stack.pids()["responder"] == successor, "`scripts/kms status --json` does not show the new responder"

    # Failures: only while the responder was gone, and only of the expected kinds.
    failures = [o for o in outcomes if not o.ok]
    wrong_kind = [o for o in failures if (o.kind, o.code) not in ALLOWED_FAILURES]
    assert len(wrong_kind) == 0, ("failures other than 502 / InternalError: "
                                  + "; ".join(o.describe(killed_at) for o in wrong_kind[:10]))
    outside = [o for o in failures if o.end < killed_at or o.start > first_ok_after]
    assert len(outside) == 0, ("failures outside the outage (times relative to the kill): "
                               + "; ".join(o.describe(killed_at) for o in outside[:10]) + f" [{summarize(outcomes)}]")

    # Every acknowledged write is there.
    states = list_key_states(raw, account)
    created = {o.body["KeyId"]: o.op for o in outcomes if o.ok and o.op.startswith("CreateKey")}
    imports = {o.note[0]: o.note[1] for o in outcomes if o.ok and o.op == "ImportKeyMaterial"}
    missing = sorted(k for k in created if k not in states)
    assert len(missing) == 0, (f"{len(missing)} of {len(created)} acknowledged CreateKey lost after kill -9, e.g. "
                               f"{missing[:5]} [{summarize(outcomes)}]")
    wrong_state = {k: states[k] for k, op in created.items() if op == "CreateKey" and states[k] != "Enabled"}
    wrong_state.update({k: states[k] for k in imports if states.get(k) != "Enabled"})
    wrong_state.update({k: states[k] for k, op in created.items()
                        if op != "CreateKey" and k not in imports and states[k] not in ("PendingImport", "Enabled")})
    assert len(wrong_state) == 0, f"acknowledged keys in the wrong state: {dict(list(wrong_state.items())[:10])}"

    # Every acknowledged import works: its material encrypts and decrypts ...
    for key_id in imports:
        blob = _ok(raw.tc3(account, "Encrypt", {"KeyId": key_id, "Plaintext": b64(b"after kill -9")}))["CiphertextBlob"]
        plain = _ok(raw.tc3(account, "Decrypt", {"CiphertextBlob": blob}))["Plaintext"]
        assert unb64(plain) == b"after kill -9", f"key {key_id}: Decrypt returned something else"
    # ... and is the material we sent: only the same material may be imported again.
    for key_id, material in list(imports.items())[:3]:
        again = import_rsa(raw, account, key_id, material)
        assert again.ok
    print(f"\nkill -9: back after {recovery:.2f}s; {len(created)} keys and {len(imports)} imports acknowledged, "
          f"all present; {len(failures)} failed requests during the outage [{summarize(outcomes)}]")


def _ok(resp):
    kind, code, body = classify(resp)
    assert kind == "ok", f"{kind} {code}: {body}"
    return body
