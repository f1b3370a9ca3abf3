"""A data key past its DeletionDate (docs/DATA_KEYS.md "States"): gone for every action from that
second on, even before the scheduled worker has run, its name free again; and the worker destroys
it (row and job) on time. Nobody waits seven days: the deadline is moved into the past in the
database, as the owner inside the key's tenant (as test_deadlines.py does for keys)."""

import time

import pytest

from data_key_support import (  # noqa: F401  (fixtures)
    NOT_FOUND, PER_KEY_ACTIONS, cmk_a, data_key_rows, dk_a, dks, hosted, move_deletion_date, per_key_params,
    purge_job_due, unique_name,
)
from e2e_support import assert_codes, now


def test_data_key_past_its_deletion_date_is_gone_before_the_worker_runs(dk_a, cmk_a):
    name = unique_name("doomed")
    survivor = hosted(dk_a, cmk_a).DataKeyId
    data_key_id = hosted(dk_a, cmk_a, name=name).DataKeyId
    dk_a.ScheduleDataKeyDeletion(DataKeyId=data_key_id, PendingWindowInDays=7)
    used = dk_a.GetServiceStatus().DataKeyUsedCount
    move_deletion_date(dk_a, data_key_id)
    assert purge_job_due(dk_a, data_key_id) == 4_000_000_000, "the purge job should wait in the far future"

    cases = [(action, lambda a=action: getattr(dk_a, a)(**per_key_params(a, data_key_id)), NOT_FOUND)
             for action in PER_KEY_ACTIONS]
    cases += [(action, lambda a=action: getattr(dk_a, a)(DataKeyIds=[data_key_id]), NOT_FOUND)
              for action in ("DescribeDataKeys", "EnableDataKeys", "DisableDataKeys")]
    assert_codes(cases)
    listed = [k.DataKeyId for k in dk_a.ListDataKeys(Limit=200).DataKeys or []]
    assert survivor in listed and data_key_id not in listed
    assert dk_a.ListDataKeyDetail(SearchKeyAlias=name).TotalCount == 0
    assert data_key_rows(dk_a, data_key_id) == 1, "the row is gone: the worker ran, nothing was checked on arrival"
    # the name is free at once
    hosted(dk_a, cmk_a, name=name)
    assert dk_a.GetServiceStatus().DataKeyUsedCount == used + 1


def test_the_worker_destroys_a_deleted_data_key_on_time(dk_a, cmk_a):
    data_key_id = hosted(dk_a, cmk_a).DataKeyId
    resp = dk_a.ScheduleDataKeyDeletion(DataKeyId=data_key_id, PendingWindowInDays=7)
    assert purge_job_due(dk_a, data_key_id) == resp.DeletionDate, "the purge job is not due at DeletionDate"
    move_deletion_date(dk_a, data_key_id, job_due_at=now() - 1)
    deadline = time.monotonic() + 10
    while data_key_rows(dk_a, data_key_id) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert data_key_rows(dk_a, data_key_id) == 0, "the scheduled worker did not destroy the data key within 10 s"
    assert purge_job_due(dk_a, data_key_id) is None, "the purge job is still there"
    assert_codes([("DescribeDataKey", lambda: dk_a.DescribeDataKey(DataKeyId=data_key_id), NOT_FOUND)])


def test_cancel_removes_the_purge_job(dk_a, cmk_a):
    data_key_id = hosted(dk_a, cmk_a).DataKeyId
    dk_a.ScheduleDataKeyDeletion(DataKeyId=data_key_id, PendingWindowInDays=30)
    assert purge_job_due(dk_a, data_key_id) is not None
    dk_a.CancelDataKeyDeletion(DataKeyId=data_key_id)
    assert purge_job_due(dk_a, data_key_id) is None, "a cancelled deletion left its purge job behind"
