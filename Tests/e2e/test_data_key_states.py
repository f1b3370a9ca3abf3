"""Data-key states (docs/DATA_KEYS.md "States"), in a FIPS and an SM region: every cell of the
contract's table (action × Enabled / Disabled / PendingDelete), Enable/Disable batches all or
nothing, DuplicatedDataKeyId and the 1–100 id bounds, the 7–30 day window and DeletionDate, and
CancelDataKeyDeletion returning the state the key had."""

import pytest

from data_key_support import (  # noqa: F401  (fixtures)
    DK_DISABLED, DK_NOT_PENDING, DK_PENDING_DELETE, DK_STATE, DUPLICATED_ID, INVALID_ID, INVALID_VALUE,
    INVALID_WINDOW, MISSING, NOT_FOUND, cmk_a, dk_a, dks, hosted, random_data_key_id, unique_name,
)
from e2e_support import assert_code, assert_codes, now, unb64

STATES = ["Enabled", "Disabled", "PendingDelete"]


def key_in(dk, cmk, state, via="Enabled"):
    """A new data key in ``state`` (PendingDelete scheduled from ``via``); (id, its plaintext)."""
    resp = hosted(dk, cmk)
    data_key_id = resp.DataKeyId
    if state == "Disabled" or (state == "PendingDelete" and via == "Disabled"):
        dk.DisableDataKey(DataKeyId=data_key_id)
    if state == "PendingDelete":
        dk.ScheduleDataKeyDeletion(DataKeyId=data_key_id, PendingWindowInDays=7)
    assert dk.state(data_key_id) == state
    return data_key_id, unb64(resp.Plaintext)


# action -> {state: expected}: a code, or ("state", the state after), or "ok"
TABLE = {
    "GetDataKeyPlaintext": {"Enabled": "ok", "Disabled": DK_DISABLED, "PendingDelete": DK_PENDING_DELETE},
    "GetDataKeyCiphertextBlob": {"Enabled": "ok", "Disabled": DK_STATE, "PendingDelete": DK_STATE},
    "EnableDataKey": {"Enabled": ("state", "Enabled"), "Disabled": ("state", "Enabled"), "PendingDelete": DK_STATE},
    "EnableDataKeys": {"Enabled": ("state", "Enabled"), "Disabled": ("state", "Enabled"), "PendingDelete": DK_STATE},
    "DisableDataKey": {"Enabled": ("state", "Disabled"), "Disabled": ("state", "Disabled"),
                       "PendingDelete": DK_STATE},
    "DisableDataKeys": {"Enabled": ("state", "Disabled"), "Disabled": ("state", "Disabled"),
                        "PendingDelete": DK_STATE},
    "ScheduleDataKeyDeletion": {"Enabled": ("state", "PendingDelete"), "Disabled": ("state", "PendingDelete"),
                                "PendingDelete": DK_STATE},
    "CancelDataKeyDeletion": {"Enabled": DK_NOT_PENDING, "Disabled": DK_NOT_PENDING,
                              "PendingDelete": ("state", "Enabled")},
    "DescribeDataKey": {s: "ok" for s in STATES},
    "DescribeDataKeys": {s: "ok" for s in STATES},
    "ListDataKeys": {s: "ok" for s in STATES},
    "ListDataKeyDetail": {s: "ok" for s in STATES},
    "UpdateDataKeyName": {s: "ok" for s in STATES},
    "UpdateDataKeyDescription": {s: "ok" for s in STATES},
}


def act(dk, action, data_key_id):
    if action in ("EnableDataKeys", "DisableDataKeys", "DescribeDataKeys"):
        return getattr(dk, action)(DataKeyIds=[data_key_id])
    if action == "ScheduleDataKeyDeletion":
        return dk.ScheduleDataKeyDeletion(DataKeyId=data_key_id, PendingWindowInDays=7)
    if action == "UpdateDataKeyName":
        return dk.UpdateDataKeyName(DataKeyId=data_key_id, DataKeyName=unique_name("renamed"))
    if action == "UpdateDataKeyDescription":
        return dk.UpdateDataKeyDescription(DataKeyId=data_key_id, Description="changed")
    if action == "ListDataKeys":
        return dk.ListDataKeys(Limit=200)
    if action == "ListDataKeyDetail":
        return dk.ListDataKeyDetail(SearchKeyAlias=data_key_id)
    return getattr(dk, action)(DataKeyId=data_key_id)


@pytest.mark.parametrize("state", STATES)
def test_every_cell_of_the_state_table(dk_a, cmk_a, state):
    failures = []
    for action, row in TABLE.items():
        expected = row[state]
        data_key_id, plaintext = key_in(dk_a, cmk_a, state)
        try:
            if isinstance(expected, str) and expected != "ok":
                assert_code(lambda: act(dk_a, action, data_key_id), expected)
                assert dk_a.state(data_key_id) == state, f"a refused {action} changed the state"
                continue
            resp = act(dk_a, action, data_key_id)
            after = expected[1] if isinstance(expected, tuple) else state
            assert dk_a.state(data_key_id) == after, f"{action}: state {dk_a.state(data_key_id)}, want {after}"
            if action == "GetDataKeyPlaintext":
                assert unb64(resp.Plaintext) == plaintext
            if action == "GetDataKeyCiphertextBlob":
                assert dk_a.kms.decrypt(resp.CiphertextBlob) == plaintext
            if action == "ListDataKeys":
                assert data_key_id in [k.DataKeyId for k in resp.DataKeys], "not listed"
            if action == "ListDataKeyDetail":
                assert [m.DataKeyId for m in resp.DataKeyMetadatas] == [data_key_id]
            if action in ("DescribeDataKey", "DescribeDataKeys"):
                meta = resp.DataKeyMetadata if action == "DescribeDataKey" else resp.DataKeyMetadatas[0]
                assert meta.KeyState == state
        except (AssertionError, pytest.fail.Exception) as exc:
            failures.append(f"[{action} on {state}] {exc}")
    if failures:
        pytest.fail("\n".join(failures), pytrace=False)


@pytest.mark.parametrize("via", ["Enabled", "Disabled"])
def test_cancel_restores_the_state_before_scheduling(dk_a, cmk_a, via):
    data_key_id, plaintext = key_in(dk_a, cmk_a, "PendingDelete", via=via)
    resp = dk_a.CancelDataKeyDeletion(DataKeyId=data_key_id)
    assert resp.DataKeyId == data_key_id
    meta = dk_a.meta(data_key_id)
    assert (meta.KeyState, meta.DeletionDate) == (via, 0)
    if via == "Enabled":
        assert dk_a.plaintext(data_key_id) == plaintext
    else:
        assert_code(lambda: dk_a.plaintext(data_key_id), DK_DISABLED)
    assert_code(lambda: dk_a.CancelDataKeyDeletion(DataKeyId=data_key_id), DK_NOT_PENDING)


@pytest.mark.parametrize("days", [7, 30])
def test_deletion_date_is_now_plus_the_window(dk_a, cmk_a, days):
    data_key_id, _ = key_in(dk_a, cmk_a, "Enabled")
    before = now()
    resp = dk_a.ScheduleDataKeyDeletion(DataKeyId=data_key_id, PendingWindowInDays=days)
    after = now()
    assert resp.DataKeyId == data_key_id
    assert before + days * 86400 - 2 <= resp.DeletionDate <= after + days * 86400 + 2, \
        f"DeletionDate {resp.DeletionDate} is not now + {days} days ({before + days * 86400})"
    meta = dk_a.meta(data_key_id)
    assert (meta.KeyState, meta.DeletionDate) == ("PendingDelete", resp.DeletionDate)


def test_window_outside_7_to_30_days_is_refused(dk_a, cmk_a):
    data_key_id, _ = key_in(dk_a, cmk_a, "Enabled")
    assert_codes([(f"{days} days", lambda d=days: dk_a.ScheduleDataKeyDeletion(DataKeyId=data_key_id,
                                                                                PendingWindowInDays=d),
                   INVALID_WINDOW) for days in (0, 1, 6, 31, 365)])
    assert_code(lambda: dk_a.call("ScheduleDataKeyDeletion", DataKeyId=data_key_id), MISSING)
    assert dk_a.state(data_key_id) == "Enabled"


def test_enable_batch_is_all_or_nothing(dk_a, cmk_a):
    disabled = [key_in(dk_a, cmk_a, "Disabled")[0] for _ in range(2)]
    pending, _ = key_in(dk_a, cmk_a, "PendingDelete")
    assert_code(lambda: dk_a.EnableDataKeys(DataKeyIds=disabled + [random_data_key_id()]), NOT_FOUND)
    assert_code(lambda: dk_a.EnableDataKeys(DataKeyIds=disabled + [pending]), DK_STATE)
    assert [dk_a.state(k) for k in disabled] == ["Disabled", "Disabled"], "a refused batch changed some keys"
    dk_a.EnableDataKeys(DataKeyIds=disabled)
    assert [dk_a.state(k) for k in disabled] == ["Enabled", "Enabled"]


def test_disable_batch_is_all_or_nothing(dk_a, cmk_a):
    enabled = [key_in(dk_a, cmk_a, "Enabled")[0] for _ in range(2)]
    pending, _ = key_in(dk_a, cmk_a, "PendingDelete")
    assert_code(lambda: dk_a.DisableDataKeys(DataKeyIds=enabled + [random_data_key_id()]), NOT_FOUND)
    assert_code(lambda: dk_a.DisableDataKeys(DataKeyIds=[pending] + enabled), DK_STATE)
    assert [dk_a.state(k) for k in enabled] == ["Enabled", "Enabled"], "a refused batch changed some keys"
    dk_a.DisableDataKeys(DataKeyIds=enabled)
    assert [dk_a.state(k) for k in enabled] == ["Disabled", "Disabled"]


@pytest.mark.parametrize("action", ["DescribeDataKeys", "EnableDataKeys", "DisableDataKeys"])
def test_batch_bounds_duplicates_and_malformed_ids(dk_a, cmk_a, action):
    data_key_id, _ = key_in(dk_a, cmk_a, "Enabled")
    call = getattr(dk_a, action)
    hundred_unknown = [random_data_key_id() for _ in range(100)]
    assert_codes([
        ("duplicate", lambda: call(DataKeyIds=[data_key_id, data_key_id]), DUPLICATED_ID),
        ("duplicate in other case", lambda: call(DataKeyIds=[data_key_id, data_key_id.upper()]), DUPLICATED_ID),
        ("101 ids", lambda: call(DataKeyIds=[random_data_key_id() for _ in range(101)]), INVALID_VALUE),
        ("no ids", lambda: call(DataKeyIds=[]), INVALID_VALUE),
        ("absent", lambda: dk_a.call(action), MISSING),
        ("100 unknown ids: counted, then looked up", lambda: call(DataKeyIds=hundred_unknown), NOT_FOUND),
        ("malformed id", lambda: call(DataKeyIds=[data_key_id, "not-a-uuid"]), INVALID_ID),
    ])
    assert dk_a.state(data_key_id) == "Enabled"


def test_describe_data_keys_of_an_unknown_id_is_not_found(dk_a, cmk_a):
    data_key_id, _ = key_in(dk_a, cmk_a, "Enabled")
    assert_code(lambda: dk_a.DescribeDataKeys(DataKeyIds=[data_key_id, random_data_key_id()]), NOT_FOUND)


def test_per_key_actions_on_unknown_and_malformed_ids(dk_a):
    unknown = random_data_key_id()
    cases = []
    for action in TABLE:
        if action.startswith("List"):
            continue
        cases.append((f"{action} unknown", lambda a=action: act(dk_a, a, unknown), NOT_FOUND))
        cases.append((f"{action} malformed", lambda a=action: act(dk_a, a, "1234"), INVALID_ID))
    assert_codes(cases)
