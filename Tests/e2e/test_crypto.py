"""Encrypt / Decrypt / GenerateDataKey, EncryptionContext binding, ciphertext integrity and key
state checks -- in a FIPS (AES-256-GCM) and in the SM (SM4 + SM3) region."""

import os

import pytest

from e2e_support import (
    FIPS_REGION, FIPS_REGION_2, SM_REGION, assert_code, assert_codes, b64, unb64,
)

INVALID_CIPHERTEXT = "InvalidParameterValue.InvalidCiphertext"
FOREIGN_BLOB = (INVALID_CIPHERTEXT, "ResourceUnavailable.CmkNotFound")
CONTEXT = '{"purpose":"e2e","tenant":"a"}'


# ------------------------------------------------------------------------------------------------
# round trips
# ------------------------------------------------------------------------------------------------

def test_encrypt_then_decrypt_returns_plaintext_and_key_id(kms_a, key_a):
    for size in (1, 37, 4096):
        data = os.urandom(size)
        enc = kms_a.Encrypt(KeyId=key_a, Plaintext=b64(data))
        assert enc.KeyId == key_a
        dec = kms_a.Decrypt(CiphertextBlob=enc.CiphertextBlob)  # no KeyId: the blob names its key
        assert unb64(dec.Plaintext) == data, f"{size}-byte plaintext did not round-trip"
        assert dec.KeyId == key_a


def test_ciphertext_blob_is_opaque_and_randomised(kms_a, key_a):
    data = b"attack at dawn, attack at dawn!!"
    first, second = kms_a.encrypt(key_a, data), kms_a.encrypt(key_a, data)
    assert first != second, "two encryptions of the same plaintext must differ (fresh nonce)"
    raw_blob = unb64(first)
    assert data not in raw_blob
    assert len(raw_blob) > len(data)
    assert kms_a.decrypt(first) == kms_a.decrypt(second) == data


def test_encrypt_rejects_invalid_plaintext(fips_a):
    key_id = fips_a.new_key_id()
    bad = {"empty": "", "4097 bytes": b64(b"x" * 4097), "not Base64": "not base64!!"}
    assert_codes((label, lambda p=p: fips_a.Encrypt(KeyId=key_id, Plaintext=p), "InvalidParameterValue*")
                 for label, p in bad.items())


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


def test_decrypt_fails_when_context_missing_or_different(kms_a, key_a):
    blob = kms_a.encrypt(key_a, b"needs context", CONTEXT)
    others = {
        "missing": None,
        "value": '{"purpose":"e2e","tenant":"b"}',
        "missing pair": '{"purpose":"e2e"}',
        "extra pair": '{"purpose":"e2e","tenant":"a","extra":"x"}',
        "key case": '{"Purpose":"e2e","tenant":"a"}',
        "empty object": "{}",
    }
    assert_codes((label, lambda c=c: kms_a.decrypt(blob, c), INVALID_CIPHERTEXT) for label, c in others.items())


def test_decrypt_fails_when_context_given_but_none_was_used(kms_a, key_a):
    blob = kms_a.encrypt(key_a, b"no context")
    assert_code(lambda: kms_a.decrypt(blob, CONTEXT), INVALID_CIPHERTEXT)


def test_context_encoding_is_unambiguous(kms_a, key_a):
    blob = kms_a.encrypt(key_a, b"ambiguous?", '{"ab":"c"}')
    assert_code(lambda: kms_a.decrypt(blob, '{"a":"bc"}'), INVALID_CIPHERTEXT)
    assert kms_a.decrypt(blob, '{"ab":"c"}') == b"ambiguous?"


def test_encrypt_rejects_malformed_context(fips_a):
    key_id = fips_a.new_key_id()
    bad = {"not JSON": "not json", "number value": '{"a":1}', "array": '["a","b"]',
           "nested object": '{"a":{"b":"c"}}', "null value": '{"a":null}', "truncated": '{"a":"b"'}
    assert_codes((label, lambda c=c: fips_a.encrypt(key_id, b"x", c), "InvalidParameterValue*")
                 for label, c in bad.items())


def test_context_is_limited_to_1024_characters(fips_a):
    key_id = fips_a.new_key_id()
    longest = '{"k":"' + "v" * 1016 + '"}'
    assert len(longest) == 1024
    assert fips_a.decrypt(fips_a.encrypt(key_id, b"long ctx", longest), longest) == b"long ctx"
    too_long = '{"k":"' + "v" * 1017 + '"}'
    assert_code(lambda: fips_a.encrypt(key_id, b"long ctx", too_long), "InvalidParameterValue*")


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


def test_decrypt_rejects_truncated_or_extended_blob(kms_a, key_a):
    blob = unb64(kms_a.encrypt(key_a, b"do not truncate me"))
    mangled = {
        "drop last byte": blob[:-1],
        "half": blob[: len(blob) // 2],
        "first byte only": blob[:1],
        "append a byte": blob + b"\x00",
        "doubled": blob + blob,
    }
    assert_codes((label, lambda m=m: kms_a.decrypt(b64(m)), INVALID_CIPHERTEXT) for label, m in mangled.items())


def test_decrypt_rejects_garbage(fips_a):
    assert_codes([
        ("not Base64", lambda: fips_a.decrypt("!!!not base64!!!"), INVALID_CIPHERTEXT),
        ("empty", lambda: fips_a.decrypt(""), INVALID_CIPHERTEXT),
        ("three bytes", lambda: fips_a.decrypt("AAAA"), INVALID_CIPHERTEXT),
        # long enough to parse: whatever key id it seems to name is not the caller's
        ("zeros", lambda: fips_a.decrypt(b64(bytes(96))), FOREIGN_BLOB),
        ("random bytes", lambda: fips_a.decrypt(b64(os.urandom(120))), FOREIGN_BLOB),
    ])


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

def test_generate_data_key_returns_plaintext_and_its_blob(kms_a, key_a):
    for fields, size in (
        ({"KeySpec": "AES_128"}, 16),
        ({"KeySpec": "AES_256"}, 32),
        ({"NumberOfBytes": 1}, 1),
        ({"NumberOfBytes": 1024}, 1024),
        ({"KeySpec": "AES_256", "NumberOfBytes": 7}, 7),  # NumberOfBytes wins
    ):
        resp = kms_a.GenerateDataKey(KeyId=key_a, **fields)
        assert resp.KeyId == key_a, fields
        plaintext = unb64(resp.Plaintext)
        assert len(plaintext) == size, f"{fields}: {len(plaintext)} bytes, want {size}"
        assert kms_a.decrypt(resp.CiphertextBlob) == plaintext, fields


def test_generated_data_keys_are_fresh(fips_a):
    key_id = fips_a.new_key_id()
    a = fips_a.GenerateDataKey(KeyId=key_id, KeySpec="AES_256")
    b = fips_a.GenerateDataKey(KeyId=key_id, KeySpec="AES_256")
    assert a.Plaintext != b.Plaintext and a.CiphertextBlob != b.CiphertextBlob


def test_generate_data_key_binds_encryption_context(kms_a, key_a):
    resp = kms_a.GenerateDataKey(KeyId=key_a, KeySpec="AES_256", EncryptionContext=CONTEXT)
    assert kms_a.decrypt(resp.CiphertextBlob, CONTEXT) == unb64(resp.Plaintext)
    assert_code(lambda: kms_a.decrypt(resp.CiphertextBlob), INVALID_CIPHERTEXT)


def test_generate_data_key_rejects_missing_or_bad_size(fips_a):
    key_id = fips_a.new_key_id()
    bad = [{"KeySpec": "AES_512"}, {"KeySpec": "RSA_2048"}, {"NumberOfBytes": 0}, {"NumberOfBytes": 1025}]
    cases = [(repr(f), lambda f=f: fips_a.GenerateDataKey(KeyId=key_id, **f), "InvalidParameterValue*") for f in bad]
    cases.append(("neither KeySpec nor NumberOfBytes", lambda: fips_a.GenerateDataKey(KeyId=key_id),
                  ("MissingParameter", "InvalidParameter")))
    assert_codes(cases)
