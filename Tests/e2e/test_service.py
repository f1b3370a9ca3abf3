"""Service-level actions: GetServiceStatus, GetRegions, ListAlgorithms, GenerateRandom, regions."""

import pytest

from e2e_support import (
    FIPS_REGION, FIPS_REGION_2, PROFILE_OF, SERVED_REGIONS, SM_REGION, UNSUPPORTED_REGION,
    assert_codes, random_key_id, unb64,
)


def test_service_status_reports_enabled(kms_a):
    resp = kms_a.GetServiceStatus()
    assert resp.ServiceEnabled is True


def test_get_regions_lists_every_served_region(kms_a):
    regions = kms_a.GetRegions().Regions
    assert isinstance(regions, list) and all(isinstance(r, str) for r in regions), regions
    assert set(SERVED_REGIONS) <= set(regions), regions
    assert UNSUPPORTED_REGION not in regions


@pytest.mark.parametrize("region_name", [FIPS_REGION, FIPS_REGION_2, SM_REGION])
def test_list_algorithms_symmetric_matches_region_profile(client, account_a, region_name):
    resp = client(account_a, region_name).ListAlgorithms()
    symmetric = resp.SymmetricAlgorithms or []
    assert {a.Algorithm for a in symmetric} == {PROFILE_OF[region_name].symmetric}, \
        [(a.Algorithm, a.KeyUsage) for a in symmetric]
    assert all(a.KeyUsage == "ENCRYPT_DECRYPT" for a in symmetric)
    for listed in (resp.AsymmetricAlgorithms, resp.AsymmetricSignVerifyAlgorithms):
        assert listed is None or isinstance(listed, list)


def test_unsupported_region_is_rejected(client, account_a):
    kms = client(account_a, UNSUPPORTED_REGION)
    calls = {
        "ListKeys": {},
        "CreateKey": {"Alias": "e2e-unsupported-region"},
        "DescribeKey": {"KeyId": random_key_id()},
        "ListAlgorithms": {},
        "GenerateRandom": {"NumberOfBytes": 16},
    }
    assert_codes((action, lambda action=action: kms.call(action, **params), "UnsupportedRegion")
                 for action, params in calls.items())


def test_generate_random_returns_requested_number_of_bytes(kms_a):
    for size in (1, 32, 1024):
        assert len(unb64(kms_a.GenerateRandom(NumberOfBytes=size).Plaintext)) == size


def test_generate_random_is_not_repeating(fips_a):
    a = fips_a.GenerateRandom(NumberOfBytes=32).Plaintext
    b = fips_a.GenerateRandom(NumberOfBytes=32).Plaintext
    assert a != b
    assert unb64(a) != bytes(32)


def test_generate_random_rejects_missing_or_out_of_range_length(fips_a):
    cases = [(f"NumberOfBytes={n}", lambda n=n: fips_a.GenerateRandom(NumberOfBytes=n), "InvalidParameterValue*")
             for n in (0, 1025, -1)]
    cases.append(("missing", lambda: fips_a.call("GenerateRandom"), "MissingParameter"))
    assert_codes(cases)

