"""The bench's asymmetric phase (bench/asymmetric_phase.py) against the real service: one key per
kind in the region that holds it, Sign and Verify pools of every algorithm that the service
answers with success, and the checks that keep a failing run from counting as throughput — a
Verify whose signature does not verify is refused by the pre-check, and its answer lacks the text
bench/pool.lua requires of every Verify answer during the wrk run.
"""

import base64
import os
import sys
import types

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir, "bench"))

import asymmetric_phase as ap  # noqa: E402
import kmsbench  # noqa: E402
import tc3  # noqa: E402
from e2e_support import wait_next_second  # noqa: E402
from stack import BenchFailure  # noqa: E402


@pytest.fixture(scope="module")
def phase(kms_env, make_account):
    host, port = kms_env.endpoint.rsplit(":", 1)
    a = make_account("bench-asym")
    signer = tc3.Signer(kms_env.endpoint)
    bench = types.SimpleNamespace(
        cfg=types.SimpleNamespace(quick=True, port=int(port), load_conns=32),
        signer=signer, api=tc3.Api(int(port), signer),
        main=tc3.Account(a.name, a.app_id, a.uin, a.secret_id, a.secret_key))
    p = ap.AsymmetricPhase(bench, kmsbench.precheck, kmsbench.sample_of)
    p.port, p.host = int(port), host
    p.keys = p.create_keys()
    return p


def answer(phase, raw):
    status, ctype, body = tc3.send_raw(phase.port, raw, host=phase.host)
    return status, body


def test_one_key_per_kind_in_the_region_that_holds_it(phase):
    assert set(phase.keys) == {a.key_usage for a in ap.ALGORITHMS}
    for alg in ap.ALGORITHMS:
        meta = phase.api.call(phase.bench.main, "DescribeKey", {"KeyId": phase.keys[alg.key_usage]},
                              region=alg.region)["KeyMetadata"]
        assert meta["KeyUsage"] == alg.key_usage and meta["KeyState"] == "Enabled"
    sm2 = next(a for a in ap.ALGORITHMS if a.name == "SM2DSA")
    assert sm2.region == ap.SM_REGION
    assert {a.region for a in ap.ALGORITHMS if a is not sm2} == {ap.FIPS_REGION}


@pytest.mark.parametrize("name", [a.name for a in ap.ALGORITHMS])
def test_sign_and_verify_pools_are_answered_with_success(phase, name):
    alg = next(a for a in ap.ALGORITHMS if a.name == name)
    key = phase.keys[alg.key_usage]
    pool, _ = phase.sign_pool(alg, key, 6)
    assert len({r.split(b"\r\n\r\n", 1)[1] for r in pool}) == 6        # a message of its own each
    kmsbench.precheck(phase.port, pool, f"Sign {name}", "SignByAsymmetricKey")

    pairs = phase.signatures(alg, key, 4)
    pool, _ = phase.verify_pool(alg, key, pairs)
    kmsbench.precheck(phase.port, pool, f"Verify {name}", "VerifyByAsymmetricKey")
    for raw in pool:
        status, body = answer(phase, raw)
        assert status == 200 and ap.VERIFIED.encode() in body, body


@pytest.mark.parametrize("name", ["ECC_P256_R1", "SM2DSA", "RSA_PSS_SHA_256"])
def test_a_verify_that_answers_false_fails_the_precheck_and_the_wrk_check(phase, name):
    alg = next(a for a in ap.ALGORITHMS if a.name == name)
    key = phase.keys[alg.key_usage]
    (m1, s1), (m2, s2) = phase.signatures(alg, key, 2)
    pool, _ = phase.verify_pool(alg, key, [(m1, s2)])       # another message's signature
    status, body = answer(phase, pool[0])
    # No error: a valid answer saying the signature is invalid, which pool.lua's "Error" check
    # alone would count as a success.
    assert status == 200 and b'"Error"' not in body and b'"SignatureValid":false' in body, body
    assert ap.VERIFIED.encode() not in body
    with pytest.raises(BenchFailure, match="SignatureValid is False"):
        kmsbench.precheck(phase.port, pool, f"Verify {name}", "VerifyByAsymmetricKey")


def test_a_sign_pool_sent_to_the_wrong_region_fails_the_precheck(phase):
    sm2 = next(a for a in ap.ALGORITHMS if a.name == "SM2DSA")
    wrong = ap.Algorithm(sm2.name, sm2.key_usage, ap.FIPS_REGION, sm2.openssl)
    pool, _ = phase.sign_pool(wrong, phase.keys[sm2.key_usage], 2)
    with pytest.raises(BenchFailure, match="pre-check of Sign SM2DSA failed"):
        kmsbench.precheck(phase.port, pool, "Sign SM2DSA", "SignByAsymmetricKey")


def test_signatures_of_the_verify_pool_are_real_ones(phase):
    """The P-256 signatures the Verify pool replays verify with the `cryptography` library
    against the key's public half (the bench measures real signing, not an answer of any bytes)."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    alg = next(a for a in ap.ALGORITHMS if a.name == "ECC_P256_R1")
    key = phase.keys[alg.key_usage]
    # DescribeKey's body is the same {"KeyId": …}: in the same second it is the same signature,
    # which the service refuses for another action (SPEC §6).
    wait_next_second()
    public = phase.api.call(phase.bench.main, "GetPublicKey", {"KeyId": key}, region=alg.region)["PublicKey"]
    pub = serialization.load_der_public_key(base64.b64decode(public))
    for message, signature in phase.signatures(alg, key, 3):
        assert len(message) == ap.MESSAGE_BYTES
        pub.verify(base64.b64decode(signature), message, ec.ECDSA(hashes.SHA256()))
