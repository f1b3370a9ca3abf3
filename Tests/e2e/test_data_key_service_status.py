"""GetServiceStatus's data-key fields (docs/DATA_KEYS.md "Quota"), in a FIPS and an SM region of a
brand-new account: IsAllowedDataKeyHosted true, DataKeyLimit and FreeDataKeyLimit the stack's quota
(KMS_DATA_KEY_LIMIT, default 10000), DataKeyUsedCount counting Enabled and Disabled data keys of
this account and region only: +1 on Generate and Import, −1 on Schedule, +1 on Cancel."""

import os

import pytest

from data_key_support import REGION_IDS, REGIONS, dks, hosted, imported  # noqa: F401  (fixtures)
from e2e_support import FIPS_REGION, FIPS_REGION_2, SM_REGION


def stack_data_key_limit(kms_env):
    """KMS_DATA_KEY_LIMIT as the stack was brought up with (stack.env), else the default."""
    try:
        with open(os.path.join(kms_env.home, "stack.env")) as fh:
            settings = dict(line.rstrip("\n").split("=", 1) for line in fh if "=" in line)
    except OSError:
        settings = {}
    return int(settings.get("KMS_DATA_KEY_LIMIT") or 10000)


@pytest.mark.parametrize("region", REGIONS, ids=REGION_IDS)
def test_service_status_reports_hosting_the_quota_and_the_count(kms_env, dks, make_account, region):
    account = make_account("dk-status")
    dk = dks(account, region)
    limit = stack_data_key_limit(kms_env)
    status = dk.GetServiceStatus()
    assert status.IsAllowedDataKeyHosted is True
    assert (status.DataKeyLimit, status.FreeDataKeyLimit, status.DataKeyUsedCount) == (limit, limit, 0)

    def used():
        return dk.GetServiceStatus().DataKeyUsedCount

    cmk = dk.new_cmk()
    first = hosted(dk, cmk).DataKeyId
    assert used() == 1
    second = imported(dk, os.urandom(16), cmk).DataKeyId
    assert used() == 2
    dk.DisableDataKey(DataKeyId=second)
    assert used() == 2, "a Disabled data key must still count"
    dk.ScheduleDataKeyDeletion(DataKeyId=first, PendingWindowInDays=7)
    assert used() == 1
    dk.ScheduleDataKeyDeletion(DataKeyId=second, PendingWindowInDays=7)
    assert used() == 0
    dk.CancelDataKeyDeletion(DataKeyId=first)
    assert used() == 1
    dk.GenerateDataKey(KeyId=cmk, KeySpec="AES_256")     # not hosted: not counted
    assert used() == 1

    # another region of the same account counts apart
    for other in {FIPS_REGION, FIPS_REGION_2, SM_REGION} - {region}:
        assert dks(account, other).GetServiceStatus().DataKeyUsedCount == 0
