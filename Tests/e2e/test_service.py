"""Service-level actions: GetServiceStatus, GetRegions, ListAlgorithms, GenerateRandom, regions."""

import pytest

from e2e_support import (
    FIPS_REGION, FIPS_REGION_2, PROFILE_OF, SERVED_REGIONS, SM_REGION, UNSUPPORTED_REGION,
    assert_code, unb64,
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


@pytest.mark.parametrize("action,params", [
    ("ListKeys", {}),
    ("CreateKey", {"Alias": "e2e-unsupported-region"}),
    ("ListAlgorithms", {}),
    ("GenerateRandom", {"NumberOfBytes": 16}),
], ids=["ListKeys", "CreateKey", "ListAlgorithms", "GenerateRandom"])
def test_unsupported_region_is_rejected(client, account_a, action, params):
    kms = client(account_a, UNSUPPORTED_REGION)
    assert_code(lambda: kms.call(action, **params), "UnsupportedRegion")


@pytest.mark.parametrize("size", [1, 32, 1024])
def test_generate_random_returns_requested_number_of_bytes(kms_a, size):
    data = unb64(kms_a.GenerateRandom(NumberOfBytes=size).Plaintext)
    assert len(data) == size


def test_generate_random_is_not_repeating(fips_a):
    a = fips_a.GenerateRandom(NumberOfBytes=32).Plaintext
    b = fips_a.GenerateRandom(NumberOfBytes=32).Plaintext
    assert a != b
    assert unb64(a) != bytes(32)


@pytest.mark.parametrize("size", [0, 1025, -1])
def test_generate_random_rejects_out_of_range_length(fips_a, size):
    assert_code(lambda: fips_a.GenerateRandom(NumberOfBytes=size), "InvalidParameterValue*")


def test_generate_random_requires_number_of_bytes(fips_a):
    assert_code(lambda: fips_a.call("GenerateRandom"), "MissingParameter")

