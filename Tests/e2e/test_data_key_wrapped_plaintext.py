"""GetDataKeyPlaintext with EncryptionPublicKey (docs/DATA_KEYS.md; SPEC §6): the data key comes back
encrypted to the caller's public key -- SM2 (the default, raw C1C3C2) and SM2_C1C3C2_ASN1 opened with
`openssl pkeyutl -decrypt`, RSA-2048 (PKCS#1 v1.5, OAEP-SHA1, OAEP-SHA256) with `openssl pkeyutl`
too -- in a FIPS and an SM region; weak, garbage or wrong-kind keys and unknown algorithms are
InvalidParameterValue, and wrapping never bypasses the data key's state."""

import os

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from data_key_support import (  # noqa: F401  (fixtures)
    DK_DISABLED, cmk_a, dk_a, dks, hosted, imported,
)
from e2e_support import assert_code, assert_codes, unb64
from test_wrapped_outputs import Sm2Key, check_raw_sm2, public_pem, sm2_der_parts, sm2_raw_to_der

INVALID = "InvalidParameterValue*"
RSA_OPTIONS = {
    "RSAES_PKCS1_V1_5": ["rsa_padding_mode:pkcs1"],
    "RSAES_OAEP_SHA_1": ["rsa_padding_mode:oaep", "rsa_oaep_md:sha1", "rsa_mgf1_md:sha1"],
    "RSAES_OAEP_SHA_256": ["rsa_padding_mode:oaep", "rsa_oaep_md:sha256", "rsa_mgf1_md:sha256"],
}


class RsaKey:
    """An RSA-2048 key pair on disk, opened with `openssl pkeyutl -decrypt`."""

    def __init__(self, directory):
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.dir = directory
        self.private_path = directory / "rsa.pem"
        self.private_path.write_bytes(private.private_bytes(serialization.Encoding.PEM,
                                                            serialization.PrivateFormat.PKCS8,
                                                            serialization.NoEncryption()))
        self.public_pem = public_pem(private)
        self._n = 0

    def decrypt(self, ciphertext: bytes, algorithm) -> bytes:
        from test_wrapped_outputs import _openssl
        self._n += 1
        path = self.dir / f"rsa-ct{self._n}.bin"
        path.write_bytes(ciphertext)
        args = ["pkeyutl", "-decrypt", "-inkey", str(self.private_path), "-in", str(path)]
        for option in RSA_OPTIONS[algorithm]:
            args += ["-pkeyopt", option]
        return _openssl(*args)


@pytest.fixture(scope="module")
def sm2_key(tmp_path_factory):
    return Sm2Key(tmp_path_factory.mktemp("dk-sm2"))


@pytest.fixture(scope="module")
def rsa_key(tmp_path_factory):
    return RsaKey(tmp_path_factory.mktemp("dk-rsa"))


def wrapped(dk, data_key_id, public_key, algorithm=None) -> bytes:
    fields = {"DataKeyId": data_key_id, "EncryptionPublicKey": public_key}
    if algorithm is not None:
        fields["EncryptionAlgorithm"] = algorithm
    return unb64(dk.GetDataKeyPlaintext(**fields).Plaintext)


@pytest.mark.parametrize("algorithm", ["SM2", None], ids=["SM2", "default"])
def test_plaintext_wrapped_to_sm2_key_as_raw_c1c3c2(dk_a, cmk_a, sm2_key, algorithm):
    for length in (1, 32, 1024):
        resp = hosted(dk_a, cmk_a, NumberOfBytes=length)
        raw = wrapped(dk_a, resp.DataKeyId, sm2_key.public_pem, algorithm)
        check_raw_sm2(raw, length)
        assert sm2_key.decrypt(sm2_raw_to_der(raw)) == unb64(resp.Plaintext), f"{length}-byte data key"


def test_plaintext_wrapped_to_sm2_key_as_asn1(dk_a, cmk_a, sm2_key):
    material = os.urandom(24)
    data_key_id = imported(dk_a, material, cmk_a).DataKeyId
    der = wrapped(dk_a, data_key_id, sm2_key.public_pem, "SM2_C1C3C2_ASN1")
    _, _, c3, c2 = sm2_der_parts(der)
    assert (len(c3), len(c2)) == (32, 24)
    assert sm2_key.decrypt(der) == material


@pytest.mark.parametrize("algorithm", list(RSA_OPTIONS))
def test_plaintext_wrapped_to_rsa_key(dk_a, cmk_a, rsa_key, algorithm):
    resp = hosted(dk_a, cmk_a, KeySpec="AES_256")
    ciphertext = wrapped(dk_a, resp.DataKeyId, rsa_key.public_pem, algorithm)
    assert len(ciphertext) == 256
    assert rsa_key.decrypt(ciphertext, algorithm) == unb64(resp.Plaintext)


def test_wrapping_is_randomised(dk_a, cmk_a, sm2_key, rsa_key):
    data_key_id = hosted(dk_a, cmk_a).DataKeyId
    first = wrapped(dk_a, data_key_id, sm2_key.public_pem, "SM2")
    second = wrapped(dk_a, data_key_id, sm2_key.public_pem, "SM2")
    assert first[:65] != second[:65], "C1 must come from a fresh ephemeral key"
    oaep = [wrapped(dk_a, data_key_id, rsa_key.public_pem, "RSAES_OAEP_SHA_256") for _ in range(2)]
    assert oaep[0] != oaep[1]


def test_data_key_too_long_for_rsa_padding_is_invalid_parameter_value(dk_a, cmk_a, rsa_key):
    data_key_id = hosted(dk_a, cmk_a, NumberOfBytes=191).DataKeyId   # OAEP-SHA256 carries 190
    assert_code(lambda: wrapped(dk_a, data_key_id, rsa_key.public_pem, "RSAES_OAEP_SHA_256"), INVALID)
    assert len(wrapped(dk_a, data_key_id, rsa_key.public_pem, "RSAES_PKCS1_V1_5")) == 256   # 245 fit


def test_unusable_public_key_or_algorithm_is_invalid_parameter_value(dk_a, cmk_a, sm2_key, rsa_key):
    data_key_id = hosted(dk_a, cmk_a).DataKeyId
    rsa1024 = public_pem(rsa.generate_private_key(public_exponent=65537, key_size=1024))
    p256 = public_pem(ec.generate_private_key(ec.SECP256R1()))
    bad = {
        "garbage key": ("not a PEM public key", "RSAES_PKCS1_V1_5"),
        "garbage inside PEM armour": ("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", "SM2"),
        "garbage key, default algorithm": ("garbage", None),
        "RSA key with SM2": (rsa_key.public_pem, "SM2"),
        "RSA key, default (SM2) algorithm": (rsa_key.public_pem, None),
        "RSA key with SM2_C1C3C2_ASN1": (rsa_key.public_pem, "SM2_C1C3C2_ASN1"),
        "SM2 key with RSAES_OAEP_SHA_1": (sm2_key.public_pem, "RSAES_OAEP_SHA_1"),
        "RSA-1024 (weak) key": (rsa1024, "RSAES_OAEP_SHA_256"),
        "P-256 key with SM2": (p256, "SM2"),
        "unknown algorithm": (rsa_key.public_pem, "RSAES_OAEP_SHA_512"),
        "unknown algorithm for SM2 key": (sm2_key.public_pem, "SM2_C1C2C3"),
    }
    assert_codes([(label, lambda p=pem, a=alg: wrapped(dk_a, data_key_id, p, a), INVALID)
                  for label, (pem, alg) in bad.items()])
    # an algorithm without a key is not a wrapping request: the plaintext, as without both
    plain = dk_a.GetDataKeyPlaintext(DataKeyId=data_key_id, EncryptionAlgorithm="RSAES_OAEP_SHA_256").Plaintext
    assert unb64(plain) == dk_a.plaintext(data_key_id)


def test_hosted_generate_data_key_wraps_its_answer_and_keeps_the_data_key(dk_a, cmk_a, sm2_key, rsa_key):
    """EncryptionPublicKey on a hosted GenerateDataKey wraps the Plaintext it answers, as for an
    unhosted one; what is kept is the data key itself."""
    resp = hosted(dk_a, cmk_a, NumberOfBytes=32, EncryptionPublicKey=sm2_key.public_pem,
                  EncryptionAlgorithm="SM2_C1C3C2_ASN1")
    answered = sm2_key.decrypt(unb64(resp.Plaintext))
    assert len(answered) == 32
    assert dk_a.plaintext(resp.DataKeyId) == answered
    assert dk_a.kms.decrypt(resp.CiphertextBlob) == answered
    resp = hosted(dk_a, cmk_a, KeySpec="AES_128", EncryptionPublicKey=rsa_key.public_pem,
                  EncryptionAlgorithm="RSAES_OAEP_SHA_1")
    assert rsa_key.decrypt(unb64(resp.Plaintext), "RSAES_OAEP_SHA_1") == dk_a.plaintext(resp.DataKeyId)


def test_wrapping_does_not_bypass_the_data_key_state(dk_a, cmk_a, sm2_key):
    data_key_id = hosted(dk_a, cmk_a).DataKeyId
    dk_a.DisableDataKey(DataKeyId=data_key_id)
    assert_code(lambda: wrapped(dk_a, data_key_id, sm2_key.public_pem, "SM2"), DK_DISABLED)
