"""Encrypt / Decrypt / GenerateDataKey, EncryptionContext binding, ciphertext integrity and key
state checks -- in a FIPS (AES-256-GCM) and in the SM (SM4 + SM3) region."""

import os
import random

import pytest

from e2e_support import (
    FIPS_REGION, FIPS_REGION_2, SM_REGION, assert_code, b64, unb64,
)

INVALID_CIPHERTEXT = "InvalidParameterValue.InvalidCiphertext"
FOREIGN_BLOB = (INVALID_CIPHERTEXT, "ResourceUnavailable.CmkNotFound")
CONTEXT = '{"purpose":"e2e","tenant":"a"}'


# ------------------------------------------------------------------------------------------------
# round trips
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("size", [1, 4096], ids=["1-byte", "4096-bytes"])
def test_encrypt_then_decrypt_returns_plaintext_and_key_id(kms_a, key_a, size):
    data = os.urandom(size)
    enc = kms_a.Encrypt(KeyId=key_a, Plaintext=b64(data))
    assert enc.KeyId == key_a
    dec = kms_a.Decrypt(CiphertextBlob=enc.CiphertextBlob)  # no KeyId: the blob names its key
    assert unb64(dec.Plaintext) == data
    assert dec.KeyId == key_a


def test_ciphertext_blob_is_opaque_and_randomised(kms_a, key_a):
    data = b"attack at dawn, attack at dawn!!"
    first, second = kms_a.encrypt(key_a, data), kms_a.encrypt(key_a, data)
    assert first != second, "two encryptions of the same plaintext must differ (fresh nonce)"
    raw_blob = unb64(first)
    assert data not in raw_blob
    assert len(raw_blob) > len(data)
    assert kms_a.decrypt(first) == kms_a.decrypt(second) == data


@pytest.mark.parametrize("plaintext", ["", b64(b"x" * 4097), "not base64!!"],
                         ids=["empty", "4097-bytes", "not-base64"])
def test_encrypt_rejects_invalid_plaintext(fips_a, plaintext):
    key_id = fips_a.new_key_id()
    assert_code(lambda: fips_a.Encrypt(KeyId=key_id, Plaintext=plaintext), "InvalidParameterValue*")


# ------------------------------------------------------------------------------------------------
# EncryptionContext
# ------------------------------------------------------------------------------------------------

def test_decrypt_with_same_context_succeeds(kms_a, key_a):
    context = '{"purpose":"e2e","名字":"值 with spaces & {braces}"}'
    blob = kms_a.encrypt(key_a, b"context bound", context)
    assert kms_a.decrypt(blob, context) == b"context bound"


def test_context_key_order_and_whitespace_do_not_matter(kms_a, key_a):
    blob = kms_a.encrypt(key_a, b"ordered", '{"a":"1","b":"2"}')
    assert kms_a.decrypt(blob, '{"b":"2","a":"1"}') == b"ordered"
    assert kms_a.decrypt(blob, '{ "b" : "2",\n  "a" : "1" }') == b"ordered"


def test_decrypt_fails_when_context_missing(kms_a, key_a):
    blob = kms_a.encrypt(key_a, b"needs context", CONTEXT)
    assert_code(lambda: kms_a.decrypt(blob), INVALID_CIPHERTEXT)


@pytest.mark.parametrize("other", [
    '{"purpose":"e2e","tenant":"b"}',
    '{"purpose":"e2e"}',
    '{"purpose":"e2e","tenant":"a","extra":"x"}',
    '{"Purpose":"e2e","tenant":"a"}',
], ids=["value", "missing-pair", "extra-pair", "key-case"])
def test_decrypt_fails_when_context_differs(kms_a, key_a, other):
    blob = kms_a.encrypt(key_a, b"needs context", CONTEXT)
    assert_code(lambda: kms_a.decrypt(blob, other), INVALID_CIPHERTEXT)


def test_decrypt_fails_when_context_given_but_none_was_used(kms_a, key_a):
    blob = kms_a.encrypt(key_a, b"no context")
    assert_code(lambda: kms_a.decrypt(blob, CONTEXT), INVALID_CIPHERTEXT)


def test_context_encoding_is_unambiguous(kms_a, key_a):
    blob = kms_a.encrypt(key_a, b"ambiguous?", '{"ab":"c"}')
    assert_code(lambda: kms_a.decrypt(blob, '{"a":"bc"}'), INVALID_CIPHERTEXT)
    assert kms_a.decrypt(blob, '{"ab":"c"}') == b"ambiguous?"


@pytest.mark.parametrize("context", ["not json", '{"a":1}', '["a","b"]', '{"a":{"b":"c"}}', '{"a":null}'],
                         ids=["not-json", "number-value", "array", "nested-object", "null-value"])
def test_encrypt_rejects_malformed_context(fips_a, context):
    key_id = fips_a.new_key_id()
    assert_code(lambda: fips_a.encrypt(key_id, b"x", context), "InvalidParameterValue*")


@pytest.mark.parametrize("length,accepted", [(1024, True), (1025, False)])
def test_context_is_limited_to_1024_characters(fips_a, length, accepted):
    context = '{"k":"' + "v" * (length - 8) + '"}'
    assert len(context) == length
    key_id = fips_a.new_key_id()
    if accepted:
        assert fips_a.decrypt(fips_a.encrypt(key_id, b"long ctx", context), context) == b"long ctx"
    else:
        assert_code(lambda: fips_a.encrypt(key_id, b"long ctx", context), "InvalidParameterValue*")


# ------------------------------------------------------------------------------------------------
# ciphertext integrity
# ------------------------------------------------------------------------------------------------

def test_decrypt_rejects_any_single_byte_flip(kms_a, key_a):
    blob = unb64(kms_a.encrypt(key_a, b"integrity matters" * 2, CONTEXT))
    for i in range(len(blob)):
        tampered = bytearray(blob)
        tampered[i] ^= 0x01
        # a flip inside the key id may name a key that is not the caller's: CmkNotFound is allowed
        assert_code(lambda: kms_a.decrypt(b64(bytes(tampered)), CONTEXT), FOREIGN_BLOB)


@pytest.mark.parametrize("cut", ["drop-last-byte", "half", "first-byte", "append-byte"])
def test_decrypt_rejects_truncated_or_extended_blob(kms_a, key_a, cut):
    blob = unb64(kms_a.encrypt(key_a, b"do not truncate me"))
    mangled = {
        "drop-last-byte": blob[:-1],
        "half": blob[: len(blob) // 2],
        "first-byte": blob[:1],
        "append-byte": blob + b"\x00",
    }[cut]
    assert_code(lambda: kms_a.decrypt(b64(mangled)), INVALID_CIPHERTEXT)


@pytest.mark.parametrize("blob,expected", [
    ("!!!not base64!!!", INVALID_CIPHERTEXT),
    ("", INVALID_CIPHERTEXT),
    ("AAAA", INVALID_CIPHERTEXT),
    (b64(b"\x00" * 96), FOREIGN_BLOB),
    (b64(random.Random(7).randbytes(120)), FOREIGN_BLOB),
], ids=["not-base64", "empty", "three-bytes", "zeros", "random-bytes"])
def test_decrypt_rejects_garbage(fips_a, blob, expected):
    assert_code(lambda: fips_a.decrypt(blob), expected)


@pytest.mark.parametrize("home,away", [
    (FIPS_REGION, FIPS_REGION_2), (FIPS_REGION, SM_REGION), (SM_REGION, FIPS_REGION),
], ids=["guangzhou-to-beijing", "guangzhou-to-sm", "sm-to-guangzhou"])
def test_blob_does_not_decrypt_in_another_region(client, account_a, home, away):
    kms_home = client(account_a, home)
    blob = kms_home.encrypt(kms_home.new_key_id(), b"stay home")
    assert_code(lambda: client(account_a, away).decrypt(blob), FOREIGN_BLOB)
    assert kms_home.decrypt(blob) == b"stay home"


# ------------------------------------------------------------------------------------------------
# key state
# ------------------------------------------------------------------------------------------------

def test_disabled_key_refuses_encrypt_generate_and_decrypt_until_enabled(kms_a, key_a):
    blob = kms_a.encrypt(key_a, b"before disable")
    kms_a.DisableKey(KeyId=key_a)
    assert_code(lambda: kms_a.encrypt(key_a, b"x"), "ResourceUnavailable.CmkDisabled")
    assert_code(lambda: kms_a.GenerateDataKey(KeyId=key_a, KeySpec="AES_256"), "ResourceUnavailable.CmkDisabled")
    assert_code(lambda: kms_a.decrypt(blob), "ResourceUnavailable.CmkDisabled")
    kms_a.EnableKey(KeyId=key_a)
    assert kms_a.decrypt(blob) == b"before disable"


def test_pending_import_key_refuses_encrypt_and_generate_data_key(kms_a):
    key_id = kms_a.new_key_id(Type=2)
    assert_code(lambda: kms_a.encrypt(key_id, b"x"), "ResourceUnavailable.CmkStateNotSupport")
    assert_code(lambda: kms_a.GenerateDataKey(KeyId=key_id, KeySpec="AES_256"),
                "ResourceUnavailable.CmkStateNotSupport")


# ------------------------------------------------------------------------------------------------
# GenerateDataKey
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("spec,size", [("AES_128", 16), ("AES_256", 32)])
def test_generate_data_key_by_key_spec(kms_a, key_a, spec, size):
    resp = kms_a.GenerateDataKey(KeyId=key_a, KeySpec=spec)
    assert resp.KeyId == key_a
    plaintext = unb64(resp.Plaintext)
    assert len(plaintext) == size
    assert kms_a.decrypt(resp.CiphertextBlob) == plaintext


@pytest.mark.parametrize("size", [1, 1024])
def test_generate_data_key_by_number_of_bytes(fips_a, size):
    key_id = fips_a.new_key_id()
    resp = fips_a.GenerateDataKey(KeyId=key_id, NumberOfBytes=size)
    assert len(unb64(resp.Plaintext)) == size
    assert fips_a.decrypt(resp.CiphertextBlob) == unb64(resp.Plaintext)


def test_number_of_bytes_wins_over_key_spec(fips_a):
    key_id = fips_a.new_key_id()
    resp = fips_a.GenerateDataKey(KeyId=key_id, KeySpec="AES_256", NumberOfBytes=7)
    assert len(unb64(resp.Plaintext)) == 7


def test_generated_data_keys_are_fresh(fips_a):
    key_id = fips_a.new_key_id()
    a = fips_a.GenerateDataKey(KeyId=key_id, KeySpec="AES_256")
    b = fips_a.GenerateDataKey(KeyId=key_id, KeySpec="AES_256")
    assert a.Plaintext != b.Plaintext and a.CiphertextBlob != b.CiphertextBlob


def test_generate_data_key_binds_encryption_context(kms_a, key_a):
    resp = kms_a.GenerateDataKey(KeyId=key_a, KeySpec="AES_256", EncryptionContext=CONTEXT)
    assert kms_a.decrypt(resp.CiphertextBlob, CONTEXT) == unb64(resp.Plaintext)
    assert_code(lambda: kms_a.decrypt(resp.CiphertextBlob), INVALID_CIPHERTEXT)


def test_generate_data_key_requires_key_spec_or_number_of_bytes(fips_a):
    key_id = fips_a.new_key_id()
    assert_code(lambda: fips_a.GenerateDataKey(KeyId=key_id), ("MissingParameter", "InvalidParameter"))


@pytest.mark.parametrize("fields", [
    {"KeySpec": "AES_512"}, {"KeySpec": "RSA_2048"}, {"NumberOfBytes": 0}, {"NumberOfBytes": 1025},
], ids=["AES_512", "RSA_2048", "0-bytes", "1025-bytes"])
def test_generate_data_key_rejects_bad_size(fips_a, fields):
    key_id = fips_a.new_key_id()
    assert_code(lambda: fips_a.GenerateDataKey(KeyId=key_id, **fields), "InvalidParameterValue*")
