"""ImportKeyMaterial hardening (SPEC §5, §6): no PKCS#1 v1.5 padding oracle, at most three failed
imports per token (counted durably, also under concurrency), SM2-wrapped material with nothing
trailing, and the per-account CPU budget of expensive calls (``RequestLimitExceeded`` for the
account that hammers GetParametersForImport while another account carries on).

Forged PKCS#1 blocks are made with the raw RSA operation (``pow(m, e, n)``) on the wrapping key's
public numbers, so they can have valid padding with a wrong length, or invalid padding."""

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from cryptography.hazmat.primitives import serialization
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from e2e_support import FIPS_REGION, SM_REGION, assert_code, assert_codes, b64, unb64
from test_byok import RSA_OAEP_SHA256, RSA_PKCS1, SM2PKE, WRAPPINGS, WRAPPING_IDS, Byok, flip_last_byte, wrap

DECRYPT_MATERIAL_ERROR = "InvalidParameter.DecryptMaterialError"
TOKEN_EXPIRED = "ResourceUnavailable.TokenExpired"
LIMIT = "RequestLimitExceeded"


def forged_pkcs1(public_key_b64, encoded_message):
    """The raw RSA encryption of a 256-byte encoded message ``00 02 PS 00 M`` (or a malformed one)."""
    numbers = serialization.load_der_public_key(unb64(public_key_b64)).public_numbers()
    assert len(encoded_message) == 256
    c = pow(int.from_bytes(encoded_message, "big"), numbers.e, numbers.n)
    return b64(c.to_bytes(256, "big"))


def pkcs1_block(message, block_type=2, separator=True):
    padding_string = bytes(b % 255 + 1 for b in os.urandom(256 - 3 - len(message)))  # nonzero bytes
    return b"\x00" + bytes([block_type]) + padding_string + (b"\x00" if separator else b"\x01") + message


def code_of(call):
    try:
        call()
        return None
    except TencentCloudSDKException as exc:
        return exc.code


@pytest.fixture(scope="module")
def account_h(make_account):
    """This file's own account: its many wrapping key pairs draw on its own CPU budget."""
    return make_account("hardening")


@pytest.fixture
def pkcs1(client, account_h):
    return Byok(client(account_h, FIPS_REGION), RSA_PKCS1)


@pytest.fixture(params=WRAPPINGS, ids=WRAPPING_IDS)
def byok(request, client, account_h):
    return Byok(client(account_h, request.param.region), request.param)


# ------------------------------------------------------------------------------------------------
# PKCS#1 v1.5: one answer for every failure
# ------------------------------------------------------------------------------------------------

def test_pkcs1_wrong_length_and_bad_padding_get_the_same_code(pkcs1):
    key_id = pkcs1.new_key()
    forged = {
        "valid padding, 16-byte message": lambda pk: forged_pkcs1(pk, pkcs1_block(os.urandom(16))),
        "valid padding, 31-byte message": lambda pk: forged_pkcs1(pk, pkcs1_block(os.urandom(31))),
        "valid padding, 33-byte message": lambda pk: forged_pkcs1(pk, pkcs1_block(os.urandom(33))),
        "valid padding, empty message": lambda pk: forged_pkcs1(pk, pkcs1_block(b"")),
        "block type 1": lambda pk: forged_pkcs1(pk, pkcs1_block(os.urandom(32), block_type=1)),
        "no zero separator": lambda pk: forged_pkcs1(pk, pkcs1_block(os.urandom(32), separator=False)),
        "all zeros": lambda pk: forged_pkcs1(pk, bytes(256)),
        "16 bytes, wrapped by the library": lambda pk: b64(wrap(pk, os.urandom(16), RSA_PKCS1.algorithm)),
        "64 bytes, wrapped by the library": lambda pk: b64(wrap(pk, os.urandom(64), RSA_PKCS1.algorithm)),
        "tampered": lambda pk: b64(flip_last_byte(wrap(pk, os.urandom(32), RSA_PKCS1.algorithm))),
        "short ciphertext": lambda pk: b64(os.urandom(200)),
    }
    def attempt(make):
        # a key of its own each time: a key keeps only five parameter sets (and the eviction
        # order within one second is not the creation order)
        key = pkcs1.new_key()
        params = pkcs1.params(key)
        try:
            return pkcs1.import_with(key, params.ImportToken, make(params.PublicKey))
        finally:
            assert pkcs1.kms.state(key) == "PendingImport"

    assert_codes((label, lambda m=make: attempt(m), DECRYPT_MATERIAL_ERROR) for label, make in forged.items())
    # a well-formed block of the right length still imports
    pkcs1.import_material(key_id, os.urandom(32))
    assert pkcs1.kms.state(key_id) == "Enabled"


def test_pkcs1_other_material_for_a_key_with_material_is_not_told_apart(pkcs1):
    key_id, material = pkcs1.imported_key()
    # MaterialNotMatch would say "your block had valid padding and the right length": an oracle.
    params = pkcs1.params(key_id)
    assert_code(lambda: pkcs1.import_with(key_id, params.ImportToken, pkcs1.wrapped(params, os.urandom(32))),
                DECRYPT_MATERIAL_ERROR)
    forged = pkcs1.params(key_id)
    assert_code(lambda: pkcs1.import_with(key_id, forged.ImportToken,
                                          forged_pkcs1(forged.PublicKey, pkcs1_block(os.urandom(32), separator=False))),
                DECRYPT_MATERIAL_ERROR)
    pkcs1.import_material(key_id, material)  # the same material is still accepted
    assert pkcs1.kms.state(key_id) == "Enabled"


# ------------------------------------------------------------------------------------------------
# three failed imports per token
# ------------------------------------------------------------------------------------------------

def test_token_survives_three_failed_imports_then_is_token_expired(byok):
    key_id = byok.new_key()
    material = byok.new_material()
    params = byok.params(key_id)
    good = byok.wrapped(params, material)
    bad = b64(flip_last_byte(unb64(good)))
    for attempt in range(3):
        assert_code(lambda: byok.import_with(key_id, params.ImportToken, bad), DECRYPT_MATERIAL_ERROR)
    assert_code(lambda: byok.import_with(key_id, params.ImportToken, good), TOKEN_EXPIRED)
    assert byok.kms.state(key_id) == "PendingImport"
    byok.import_material(key_id, material)  # new parameters work
    assert byok.kms.state(key_id) == "Enabled"


def test_third_attempt_may_still_succeed(byok):
    key_id = byok.new_key()
    params = byok.params(key_id)
    good = byok.wrapped(params, byok.new_material())
    bad = b64(flip_last_byte(unb64(good)))
    for attempt in range(2):
        assert_code(lambda: byok.import_with(key_id, params.ImportToken, bad), DECRYPT_MATERIAL_ERROR)
    byok.import_with(key_id, params.ImportToken, good)
    assert byok.kms.state(key_id) == "Enabled"


def test_concurrent_failed_imports_cannot_buy_a_fourth_attempt(client, account_h):
    byok = Byok(client(account_h, FIPS_REGION), RSA_OAEP_SHA256)
    key_id = byok.new_key()
    params = byok.params(key_id)
    good = byok.wrapped(params, byok.new_material())
    bad = b64(flip_last_byte(unb64(good)))
    clients = [Byok(client(account_h, FIPS_REGION), RSA_OAEP_SHA256) for _ in range(10)]
    start = threading.Barrier(len(clients))

    def attempt(c):
        start.wait()
        return code_of(lambda: c.import_with(key_id, params.ImportToken, bad))

    with ThreadPoolExecutor(len(clients)) as pool:
        codes = list(pool.map(attempt, clients))
    assert sorted(codes) == sorted([DECRYPT_MATERIAL_ERROR] * 3 + [TOKEN_EXPIRED] * 7), codes
    assert_code(lambda: byok.import_with(key_id, params.ImportToken, good), TOKEN_EXPIRED)


def test_token_of_another_key_spends_no_attempt(client, account_h):
    byok = Byok(client(account_h, FIPS_REGION), RSA_OAEP_SHA256)
    mine, other = byok.new_key(), byok.new_key()
    params = byok.params(mine)
    good = byok.wrapped(params, byok.new_material())
    for attempt in range(4):
        assert_code(lambda: byok.import_with(other, params.ImportToken, good), "InvalidParameterValue")
    byok.import_with(mine, params.ImportToken, good)
    assert byok.kms.state(mine) == "Enabled"


# ------------------------------------------------------------------------------------------------
# SM2: nothing after the GM/T 0009 ciphertext
# ------------------------------------------------------------------------------------------------

def test_sm2_wrapped_material_with_trailing_bytes_is_refused(client, account_h):
    byok = Byok(client(account_h, SM_REGION), SM2PKE)
    key_id = byok.new_key()
    params = byok.params(key_id)
    wrapped = wrap(params.PublicKey, byok.new_material(), SM2PKE.algorithm)
    for trailing in (b"\x00", b"garbage"):
        assert_code(lambda t=trailing: byok.import_with(key_id, params.ImportToken, b64(wrapped + t)),
                    DECRYPT_MATERIAL_ERROR)
    assert byok.kms.state(key_id) == "PendingImport"
    byok.import_with(key_id, params.ImportToken, b64(wrapped))  # the third attempt, well formed
    assert byok.kms.state(key_id) == "Enabled"


# ------------------------------------------------------------------------------------------------
# the CPU budget of expensive calls
# ------------------------------------------------------------------------------------------------

def test_account_hammering_get_parameters_is_limited_while_another_carries_on(client, make_account):
    hammer, bystander = make_account("hammer"), make_account("bystander")
    kms_h = client(hammer, FIPS_REGION)
    key_h = kms_h.new_key_id(Type=2, Description="hammered")
    stop = threading.Event()

    def hammering(_):
        kms = client(hammer, FIPS_REGION)
        codes = []
        while not stop.is_set() and len(codes) < 150:
            code = code_of(lambda: kms.GetParametersForImport(KeyId=key_h, WrappingAlgorithm="RSAES_OAEP_SHA_256",
                                                               WrappingKeySpec="RSA_2048"))
            codes.append(code)
            if code == LIMIT:
                stop.set()
        return codes

    with ThreadPoolExecutor(4) as pool:
        codes = [c for run in pool.map(hammering, range(4)) for c in run]
    assert LIMIT in codes, f"no RequestLimitExceeded in {len(codes)} calls"
    assert set(codes) <= {None, LIMIT}, set(codes)
    kms_h.GenerateRandom(NumberOfBytes=16)  # the budget covers expensive calls only
    # another account is not affected
    other = Byok(client(bystander, FIPS_REGION), RSA_OAEP_SHA256)
    key_b, material = other.imported_key()
    assert other.kms.decrypt(other.kms.encrypt(key_b, b"tenant B carries on")) == b"tenant B carries on"
