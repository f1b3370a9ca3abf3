"""AsymmetricRsaDecrypt / AsymmetricSm2Decrypt decrypt what the local tools encrypt to the key
GetPublicKey exports (SPEC §9): `openssl pkeyutl -encrypt` with RSA PKCS#1 v1.5, OAEP-SHA1 and
OAEP-SHA256 (and Python's `cryptography` alike), and with SM2 (GM/T 0009 DER, C1C3C2_ASN1), up to
each scheme's largest plaintext; the wrong Algorithm, another key's ciphertext, a damaged or
garbage ciphertext → `FailedOperation.DecryptError`; an unknown Algorithm, input that is not Base64
or an SM2 ciphertext over 256 bytes → `InvalidParameter`."""

import os

import pytest

from asymmetric_support import cryptography_encrypt, flip, new_asymmetric_key, openssl_encrypt, public_key_of
from e2e_support import FIPS_REGION, SM_REGION, assert_code, assert_codes, b64, unb64

DECRYPT_ERROR = "FailedOperation.DecryptError"
ALGORITHM_OF = {"pkcs1": "RSAES_PKCS1_V1_5", "oaep-sha1": "RSAES_OAEP_SHA_1", "oaep-sha256": "RSAES_OAEP_SHA_256"}
# The most a 2048-bit modulus carries: k - 11 (PKCS#1 v1.5), k - 2h - 2 (OAEP).
LARGEST = {"pkcs1": 256 - 11, "oaep-sha1": 256 - 2 * 20 - 2, "oaep-sha256": 256 - 2 * 32 - 2}


def rsa_decrypt(kms, key_id, ciphertext, algorithm):
    resp = kms.AsymmetricRsaDecrypt(KeyId=key_id, Ciphertext=b64(ciphertext), Algorithm=algorithm)
    assert resp.KeyId == key_id
    return unb64(resp.Plaintext)


def sm2_decrypt(kms, key_id, ciphertext):
    resp = kms.AsymmetricSm2Decrypt(KeyId=key_id, Ciphertext=b64(ciphertext))
    assert resp.KeyId == key_id
    return unb64(resp.Plaintext)


@pytest.fixture
def rsa_key(client, account_a):
    kms = client(account_a, FIPS_REGION)
    key_id = new_asymmetric_key(kms, "ASYMMETRIC_DECRYPT_RSA_2048")
    der, pem = public_key_of(kms, key_id)
    return kms, key_id, der, pem


@pytest.fixture
def sm2_key(client, account_a):
    kms = client(account_a, SM_REGION)
    key_id = new_asymmetric_key(kms, "ASYMMETRIC_DECRYPT_SM2")
    der, pem = public_key_of(kms, key_id)
    return kms, key_id, der, pem


@pytest.mark.parametrize("scheme", list(ALGORITHM_OF))
def test_rsa_ciphertexts_from_openssl_and_cryptography_decrypt(rsa_key, scheme):
    kms, key_id, der, pem = rsa_key
    for plaintext in (b"hello, rsa", b"\x00" * 3, os.urandom(LARGEST[scheme])):
        by_openssl = openssl_encrypt(pem, plaintext, scheme)
        assert len(by_openssl) == 256
        assert rsa_decrypt(kms, key_id, by_openssl, ALGORITHM_OF[scheme]) == plaintext, f"openssl {scheme}"
        by_cryptography = cryptography_encrypt(der, plaintext, scheme)
        assert rsa_decrypt(kms, key_id, by_cryptography, ALGORITHM_OF[scheme]) == plaintext, f"cryptography {scheme}"


def test_rsa_ciphertexts_that_do_not_decrypt_are_decrypt_errors(rsa_key, client, account_a):
    kms, key_id, der, pem = rsa_key
    other_key = new_asymmetric_key(kms, "ASYMMETRIC_DECRYPT_RSA_2048")
    oaep256 = openssl_encrypt(pem, b"secret", "oaep-sha256")
    oaep1 = openssl_encrypt(pem, b"secret", "oaep-sha1")
    pkcs1 = openssl_encrypt(pem, b"secret", "pkcs1")

    def dec(ciphertext, algorithm, key=key_id):
        return lambda: kms.AsymmetricRsaDecrypt(KeyId=key, Ciphertext=b64(ciphertext), Algorithm=algorithm)

    assert_codes([
        ("OAEP-SHA256 read as OAEP-SHA1", dec(oaep256, "RSAES_OAEP_SHA_1"), DECRYPT_ERROR),
        ("OAEP-SHA1 read as OAEP-SHA256", dec(oaep1, "RSAES_OAEP_SHA_256"), DECRYPT_ERROR),
        ("PKCS#1 read as OAEP", dec(pkcs1, "RSAES_OAEP_SHA_256"), DECRYPT_ERROR),
        ("OAEP read as PKCS#1", dec(oaep256, "RSAES_PKCS1_V1_5"), DECRYPT_ERROR),
        ("another key's ciphertext", dec(oaep256, "RSAES_OAEP_SHA_256", other_key), DECRYPT_ERROR),
        ("one bit changed", dec(flip(oaep256), "RSAES_OAEP_SHA_256"), DECRYPT_ERROR),
        ("random bytes", dec(os.urandom(256), "RSAES_OAEP_SHA_256"), DECRYPT_ERROR),
        ("one byte short", dec(oaep256[:-1], "RSAES_OAEP_SHA_256"), DECRYPT_ERROR),
        ("one byte long", dec(oaep256 + b"\x00", "RSAES_OAEP_SHA_256"), DECRYPT_ERROR),
        ("twice the modulus", dec(oaep256 * 2, "RSAES_OAEP_SHA_256"), DECRYPT_ERROR),
        ("all ones (above the modulus)", dec(b"\xff" * 256, "RSAES_OAEP_SHA_256"), DECRYPT_ERROR),
        ("unknown Algorithm", dec(oaep256, "RSAES_OAEP_SHA_512"), "InvalidParameter"),
        ("lower-case Algorithm", dec(oaep256, "rsaes_oaep_sha_256"), "InvalidParameter"),
        ("the SM2 format", dec(oaep256, "SM2_C1C3C2_ASN1"), "InvalidParameter"),
        ("not Base64", lambda: kms.AsymmetricRsaDecrypt(KeyId=key_id, Ciphertext="%%%", Algorithm="RSAES_OAEP_SHA_256"),
         "InvalidParameter"),
        ("empty", lambda: kms.call("AsymmetricRsaDecrypt", KeyId=key_id, Ciphertext="", Algorithm="RSAES_OAEP_SHA_256"),
         ("InvalidParameter", "MissingParameter")),
        ("no Algorithm", lambda: kms.call("AsymmetricRsaDecrypt", KeyId=key_id, Ciphertext=b64(oaep256)), "MissingParameter"),
    ])
    # After all that, the key still decrypts (nothing above broke or locked it).
    assert rsa_decrypt(kms, key_id, oaep256, "RSAES_OAEP_SHA_256") == b"secret"


def test_sm2_ciphertexts_from_openssl_decrypt_up_to_256_bytes(sm2_key):
    kms, key_id, der, pem = sm2_key
    for plaintext in (b"hello, sm2", b"\x00", os.urandom(100)):
        ciphertext = openssl_encrypt(pem, plaintext, "sm2")
        assert ciphertext[0] == 0x30, "openssl's SM2 ciphertext is DER"
        assert sm2_decrypt(kms, key_id, ciphertext) == plaintext
    # Every ciphertext of at most 256 raw bytes (Tencent's limit) decrypts, every longer one is
    # refused. (DER lengths vary by a byte or two with the point, so sizes around the limit are swept.)
    accepted, refused = [], []
    for size in range(130, 162, 2):
        plaintext = os.urandom(size)
        ciphertext = openssl_encrypt(pem, plaintext, "sm2")
        if len(ciphertext) <= 256:
            assert sm2_decrypt(kms, key_id, ciphertext) == plaintext, f"{len(ciphertext)}-byte ciphertext"
            accepted.append(len(ciphertext))
        else:
            assert_code(lambda: kms.AsymmetricSm2Decrypt(KeyId=key_id, Ciphertext=b64(ciphertext)), "InvalidParameter")
            refused.append(len(ciphertext))
    # 146 bytes of plaintext make a 254-256-byte ciphertext; 152 and more, 259 and more.
    assert max(accepted) >= 254 and min(refused) > 256 and len(refused) >= 5, (accepted, refused)


def test_sm2_ciphertexts_that_do_not_decrypt_are_decrypt_errors(sm2_key, client, account_a):
    kms, key_id, der, pem = sm2_key
    other_key = new_asymmetric_key(kms, "ASYMMETRIC_DECRYPT_SM2")
    good = openssl_encrypt(pem, b"secret sm2", "sm2")

    def dec(ciphertext, key=key_id):
        return lambda: kms.AsymmetricSm2Decrypt(KeyId=key, Ciphertext=b64(ciphertext))

    assert_codes([
        ("another key's ciphertext", dec(good, other_key), DECRYPT_ERROR),
        ("C2 changed (hash mismatch)", dec(flip(good)), DECRYPT_ERROR),
        ("C3 changed", dec(flip(good, len(good) - len(b"secret sm2") - 3)), DECRYPT_ERROR),
        ("truncated DER", dec(good[:-1]), DECRYPT_ERROR),
        ("random bytes", dec(os.urandom(120)), DECRYPT_ERROR),
        ("an RSA ciphertext", dec(os.urandom(256)), DECRYPT_ERROR),
        ("257 bytes", dec(os.urandom(257)), "InvalidParameter"),
        ("not Base64", lambda: kms.AsymmetricSm2Decrypt(KeyId=key_id, Ciphertext="not base64!"), "InvalidParameter"),
        ("missing", lambda: kms.call("AsymmetricSm2Decrypt", KeyId=key_id), "MissingParameter"),
    ])
    assert sm2_decrypt(kms, key_id, good) == b"secret sm2"
