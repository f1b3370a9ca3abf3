"""The hosted data-key quota (docs/DATA_KEYS.md "Quota") on a spare stack brought up with
KMS_DATA_KEY_LIMIT=3: three data keys are held, the fourth GenerateDataKey and an ImportDataKey are
LimitExceeded.DataKeyLimitExceeded; a PendingDelete data key frees its place, and cancelling its
deletion when the place is taken again is refused; concurrent creations never overshoot; the quota
is per account and region; GetServiceStatus shows it."""

import os
import threading

import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from e2e_support import FIPS_REGION, SM_REGION, Account, Kms, assert_code, assert_codes, b64, ctl_json
from spare_stack import SpareStack

LIMIT = 3
EXCEEDED = "LimitExceeded.DataKeyLimitExceeded"


@pytest.fixture(scope="module")
def spare():
    stack = SpareStack("dk-limit")
    stack.up(KMS_DATA_KEY_LIMIT=str(LIMIT), KMS_METRICS_PORT="off")
    yield stack
    stack.close()


def new_account(spare, label):
    proc = spare.kms("ctl", "account", "create", "--name", f"dk-limit-{label}-{os.urandom(4).hex()}", "--json")
    assert proc.returncode == 0, proc.stderr
    return Account.from_ctl(label, ctl_json(proc.stdout, "kmsctl account create"))


def client(spare, account, region=FIPS_REGION):
    return Kms(account, region, f"127.0.0.1:{spare.http_port}")


def hosted(kms, key_id):
    return kms.GenerateDataKey(KeyId=key_id, KeySpec="AES_256", IsHostedByKms=1,
                               DataKeyName="limit-" + os.urandom(8).hex()).DataKeyId


def imported(kms, key_id):
    return kms.ImportDataKey(DataKeyName="limit-" + os.urandom(8).hex(), ImportKeyMaterial=b64(os.urandom(16)),
                             ImportType=2, KeyId=key_id).DataKeyId


def used(kms):
    return kms.GetServiceStatus().DataKeyUsedCount


def test_the_quota_holds_and_a_scheduled_deletion_frees_a_place(spare):
    assert spare.stack_env()["KMS_DATA_KEY_LIMIT"] == str(LIMIT)
    kms = client(spare, new_account(spare, "seq"))
    status = kms.GetServiceStatus()
    assert status.IsAllowedDataKeyHosted is True
    assert (status.DataKeyLimit, status.FreeDataKeyLimit, status.DataKeyUsedCount) == (LIMIT, LIMIT, 0)
    cmk = kms.new_key_id()
    held = [hosted(kms, cmk) for _ in range(LIMIT - 1)] + [imported(kms, cmk)]
    assert used(kms) == LIMIT
    blob = kms.GenerateDataKey(KeyId=cmk, KeySpec="AES_128").CiphertextBlob   # not hosted: not counted
    assert_codes([
        ("GenerateDataKey", lambda: hosted(kms, cmk), EXCEEDED),
        ("ImportDataKey type 2", lambda: imported(kms, cmk), EXCEEDED),
        ("ImportDataKey type 1", lambda: kms.ImportDataKey(DataKeyName="limit-blob", ImportKeyMaterial=blob,
                                                           ImportType=1), EXCEEDED),
    ])
    kms.DisableDataKey(DataKeyId=held[0])
    assert_code(lambda: hosted(kms, cmk), EXCEEDED)     # a Disabled data key still counts

    kms.ScheduleDataKeyDeletion(DataKeyId=held[0], PendingWindowInDays=7)
    assert used(kms) == LIMIT - 1
    replacement = hosted(kms, cmk)
    assert used(kms) == LIMIT
    assert_code(lambda: kms.CancelDataKeyDeletion(DataKeyId=held[0]), EXCEEDED)
    assert kms.DescribeDataKey(DataKeyId=held[0]).DataKeyMetadata.KeyState == "PendingDelete"

    kms.ScheduleDataKeyDeletion(DataKeyId=replacement, PendingWindowInDays=7)
    kms.CancelDataKeyDeletion(DataKeyId=held[0])
    assert kms.DescribeDataKey(DataKeyId=held[0]).DataKeyMetadata.KeyState == "Disabled"
    assert used(kms) == LIMIT


def test_the_quota_is_per_account_and_region(spare):
    account = new_account(spare, "regions")
    fips, sm = client(spare, account, FIPS_REGION), client(spare, account, SM_REGION)
    fips_cmk, sm_cmk = fips.new_key_id(), sm.new_key_id()
    for _ in range(LIMIT):
        hosted(fips, fips_cmk)
    assert_code(lambda: hosted(fips, fips_cmk), EXCEEDED)
    for _ in range(LIMIT):
        hosted(sm, sm_cmk)
    other = client(spare, new_account(spare, "other"))
    hosted(other, other.new_key_id())
    assert (used(fips), used(sm), used(other)) == (LIMIT, LIMIT, 1)


def test_concurrent_creations_never_overshoot(spare):
    kms_by_thread = []
    account = new_account(spare, "race")
    cmk = client(spare, account).new_key_id()
    for _ in range(12):
        kms_by_thread.append(client(spare, account))   # an SDK client per thread
    made, refused, other = [], [], []
    lock = threading.Lock()
    start = threading.Barrier(len(kms_by_thread))

    def create(kms, index):
        start.wait()
        try:
            data_key_id = hosted(kms, cmk) if index % 3 else imported(kms, cmk)
            with lock:
                made.append(data_key_id)
        except TencentCloudSDKException as exc:
            with lock:
                (refused if exc.code == EXCEEDED else other).append(f"{exc.code}: {exc.message}")

    threads = [threading.Thread(target=create, args=(kms, i)) for i, kms in enumerate(kms_by_thread)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not other, f"creations failed otherwise than {EXCEEDED}: {other}"
    assert len(made) == LIMIT and len(refused) == len(kms_by_thread) - LIMIT, (made, refused)
    kms = client(spare, account)
    assert used(kms) == LIMIT
    listed = kms.ListDataKeys(Limit=200)
    assert listed.TotalCount == LIMIT and sorted(k.DataKeyId for k in listed.DataKeys) == sorted(made)
