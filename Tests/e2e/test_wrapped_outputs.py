"""GenerateDataKey and Decrypt with ``EncryptionPublicKey`` + ``EncryptionAlgorithm`` (SPEC §4): the
returned Plaintext is Base64 of the plaintext encrypted to the caller's public key -- RSA-2048
(PKCS#1 v1.5, OAEP-SHA1, OAEP-SHA256) unwrapped with ``cryptography``, SM2 (raw C1||C3||C2 and
GM/T 0009 ASN.1) unwrapped with the openssl CLI. In a FIPS and in the SM region."""

import os
import subprocess

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from e2e_support import assert_code, assert_codes, unb64

INVALID = "InvalidParameterValue*"

RSA_PADDINGS = {
    "RSAES_PKCS1_V1_5": lambda: padding.PKCS1v15(),
    "RSAES_OAEP_SHA_1": lambda: padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None),
    "RSAES_OAEP_SHA_256": lambda: padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(),
                                               label=None),
}
# largest message an RSA-2048 key can carry with each padding: 256 - 11, 256 - 2*20 - 2, 256 - 2*32 - 2
RSA_CAPACITY = {"RSAES_PKCS1_V1_5": 245, "RSAES_OAEP_SHA_1": 214, "RSAES_OAEP_SHA_256": 190}
SM2_ALGORITHMS = ("SM2", "SM2_C1C3C2_ASN1")


# ------------------------------------------------------------------------------------------------
# keys of the caller
# ------------------------------------------------------------------------------------------------

def public_pem(private_key):
    return private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


@pytest.fixture(scope="module")
def rsa_key():
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return private, public_pem(private)


def _openssl(*args, stdin=None):
    proc = subprocess.run(["openssl", *args], input=stdin, capture_output=True, timeout=60)
    assert proc.returncode == 0, f"openssl {' '.join(args)} exited {proc.returncode}: {proc.stderr.decode()[:500]}"
    return proc.stdout


class Sm2Key:
    """An SM2 key pair made by the openssl CLI (OpenSSL 3.0: an EC key on the SM2 curve)."""

    def __init__(self, directory):
        self.dir = directory
        self.private_path = str(directory / "sm2.pem")
        _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:SM2", "-out", self.private_path)
        self.public_pem = _openssl("pkey", "-in", self.private_path, "-pubout").decode("ascii")
        self._n = 0

    def decrypt(self, der_ciphertext: bytes) -> bytes:
        """``openssl pkeyutl -decrypt`` of a GM/T 0009 (ASN.1) SM2 ciphertext."""
        self._n += 1
        path = self.dir / f"ct{self._n}.bin"
        path.write_bytes(der_ciphertext)
        return _openssl("pkeyutl", "-decrypt", "-inkey", self.private_path, "-in", str(path))


@pytest.fixture(scope="module")
def sm2_key(tmp_path_factory):
    return Sm2Key(tmp_path_factory.mktemp("sm2"))


# ------------------------------------------------------------------------------------------------
# a tiny DER encoder / reader for SM2 ciphertexts:
#     SEQUENCE { INTEGER x, INTEGER y, OCTET STRING C3 (SM3 hash), OCTET STRING C2 }
# ------------------------------------------------------------------------------------------------

def der_length(n):
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def der(tag, content):
    return bytes([tag]) + der_length(len(content)) + content


def der_unsigned_integer(big_endian: bytes):
    """Minimal two's complement of a non-negative integer."""
    value = big_endian.lstrip(b"\x00") or b"\x00"
    if value[0] & 0x80:
        value = b"\x00" + value
    return der(0x02, value)


def sm2_raw_to_der(raw: bytes) -> bytes:
    """C1 (0x04 || x || y) || C3 (32) || C2  ->  GM/T 0009 DER."""
    x, y, c3, c2 = raw[1:33], raw[33:65], raw[65:97], raw[97:]
    return der(0x30, der_unsigned_integer(x) + der_unsigned_integer(y) + der(0x04, c3) + der(0x04, c2))


def der_read(data, pos=0):
    """-> (tag, content, next position); definite lengths only."""
    tag, first = data[pos], data[pos + 1]
    pos += 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        length = int.from_bytes(data[pos:pos + count], "big")
        pos += count
    return tag, data[pos:pos + length], pos + length


def sm2_der_parts(blob):
    """Parse (strictly) a GM/T 0009 SM2 ciphertext -> (x, y, C3, C2) contents."""
    tag, body, end = der_read(blob)
    assert tag == 0x30 and end == len(blob), "not exactly one DER SEQUENCE"
    parts, pos = [], 0
    for want in (0x02, 0x02, 0x04, 0x04):
        tag, content, pos = der_read(body, pos)
        assert tag == want, f"DER tag {tag:#x}, want {want:#x}"
        parts.append(content)
    assert pos == len(body), "trailing bytes inside the SEQUENCE"
    for integer in parts[:2]:
        assert not (len(integer) > 1 and integer[0] == 0 and not integer[1] & 0x80), "INTEGER not minimal"
        assert not integer[0] & 0x80, "INTEGER is negative"
    return tuple(parts)


def check_raw_sm2(raw: bytes, plaintext_len: int):
    assert len(raw) == 1 + 64 + 32 + plaintext_len, (
        f"raw SM2 ciphertext of {len(raw)} bytes, want 97 + {plaintext_len} (C1 65, C3 32, C2 = plaintext)")
    assert raw[0] == 0x04, f"C1 must be an uncompressed point (0x04...), starts with {raw[0]:#04x}"


# ------------------------------------------------------------------------------------------------
# requests
# ------------------------------------------------------------------------------------------------

def generate_wrapped(kms, key_id, public_key, algorithm=None, **size):
    fields = {"KeyId": key_id, "EncryptionPublicKey": public_key, **(size or {"KeySpec": "AES_256"})}
    if algorithm is not None:
        fields["EncryptionAlgorithm"] = algorithm
    resp = kms.GenerateDataKey(**fields)
    assert resp.KeyId == key_id
    return unb64(resp.Plaintext), kms.decrypt(resp.CiphertextBlob)


def decrypt_wrapped(kms, blob, public_key, algorithm=None, context=None):
    fields = {"CiphertextBlob": blob, "EncryptionPublicKey": public_key}
    if algorithm is not None:
        fields["EncryptionAlgorithm"] = algorithm
    if context is not None:
        fields["EncryptionContext"] = context
    resp = kms.Decrypt(**fields)
    return resp.KeyId, unb64(resp.Plaintext)


# ================================================================================================
# RSA-2048
# ================================================================================================

@pytest.mark.parametrize("algorithm", list(RSA_PADDINGS))
def test_generate_data_key_wraps_plaintext_to_rsa_key(kms_a, key_a, rsa_key, algorithm):
    private, pem = rsa_key
    for size, expected_len in (({"KeySpec": "AES_256"}, 32), ({"KeySpec": "AES_128"}, 16),
                               ({"NumberOfBytes": 1}, 1)):
        wrapped, plaintext = generate_wrapped(kms_a, key_a, pem, algorithm, **size)
        assert len(wrapped) == 256, f"{size}: RSA-2048 ciphertext of {len(wrapped)} bytes"
        assert private.decrypt(wrapped, RSA_PADDINGS[algorithm]()) == plaintext, size
        assert len(plaintext) == expected_len, size


@pytest.mark.parametrize("algorithm", list(RSA_PADDINGS))
def test_decrypt_wraps_plaintext_to_rsa_key(kms_a, key_a, rsa_key, algorithm):
    private, pem = rsa_key
    context = '{"wrapped":"rsa"}'
    for data in (b"s", os.urandom(RSA_CAPACITY[algorithm])):  # up to the padding's capacity
        blob = kms_a.encrypt(key_a, data, context)
        key_id, wrapped = decrypt_wrapped(kms_a, blob, pem, algorithm, context)
        assert key_id == key_a
        assert len(wrapped) == 256
        assert private.decrypt(wrapped, RSA_PADDINGS[algorithm]()) == data, f"{len(data)}-byte plaintext"


@pytest.mark.parametrize("algorithm", list(RSA_PADDINGS))
def test_rsa_wrapping_is_randomised(fips_a, rsa_key, algorithm):
    private, pem = rsa_key
    key_id = fips_a.new_key_id()
    blob = fips_a.encrypt(key_id, b"same plaintext twice")
    first, second = (decrypt_wrapped(fips_a, blob, pem, algorithm)[1] for _ in range(2))
    assert first != second, "RSA encryption padding must be randomised"
    assert private.decrypt(first, RSA_PADDINGS[algorithm]()) == private.decrypt(second, RSA_PADDINGS[algorithm]())


@pytest.mark.parametrize("algorithm", list(RSA_PADDINGS))
def test_plaintext_too_long_for_rsa_key_is_invalid_parameter_value(fips_a, rsa_key, algorithm):
    _, pem = rsa_key
    key_id = fips_a.new_key_id()
    too_long = RSA_CAPACITY[algorithm] + 1
    blob = fips_a.encrypt(key_id, os.urandom(too_long))
    assert_codes([
        ("Decrypt", lambda: decrypt_wrapped(fips_a, blob, pem, algorithm), INVALID),
        ("GenerateDataKey", lambda: generate_wrapped(fips_a, key_id, pem, algorithm, NumberOfBytes=too_long),
         INVALID),
    ])


# ================================================================================================
# SM2
# ================================================================================================

def test_generate_data_key_wraps_plaintext_to_sm2_key_as_asn1(kms_a, key_a, sm2_key):
    for size, n in (({"KeySpec": "AES_256"}, 32), ({"KeySpec": "AES_128"}, 16), ({"NumberOfBytes": 1024}, 1024)):
        wrapped, plaintext = generate_wrapped(kms_a, key_a, sm2_key.public_pem, "SM2_C1C3C2_ASN1", **size)
        assert len(plaintext) == n
        _, _, c3, c2 = sm2_der_parts(wrapped)
        assert (len(c3), len(c2)) == (32, n), size
        assert sm2_key.decrypt(wrapped) == plaintext, size


def test_decrypt_wraps_plaintext_to_sm2_key_as_asn1(kms_a, key_a, sm2_key):
    for data in (b"x", os.urandom(4096)):
        blob = kms_a.encrypt(key_a, data)
        key_id, wrapped = decrypt_wrapped(kms_a, blob, sm2_key.public_pem, "SM2_C1C3C2_ASN1")
        assert key_id == key_a
        _, _, c3, c2 = sm2_der_parts(wrapped)
        assert (len(c3), len(c2)) == (32, len(data))
        assert sm2_key.decrypt(wrapped) == data, f"{len(data)}-byte plaintext"


@pytest.mark.parametrize("algorithm", ["SM2", None], ids=["SM2", "default"])
def test_generate_data_key_wraps_plaintext_to_sm2_key_as_raw_c1c3c2(kms_a, key_a, sm2_key, algorithm):
    for size, n in (({"KeySpec": "AES_256"}, 32), ({"NumberOfBytes": 1}, 1), ({"NumberOfBytes": 1024}, 1024)):
        wrapped, plaintext = generate_wrapped(kms_a, key_a, sm2_key.public_pem, algorithm, **size)
        assert len(plaintext) == n
        check_raw_sm2(wrapped, n)
        assert sm2_key.decrypt(sm2_raw_to_der(wrapped)) == plaintext, size


@pytest.mark.parametrize("algorithm", ["SM2", None], ids=["SM2", "default"])
def test_decrypt_wraps_plaintext_to_sm2_key_as_raw_c1c3c2(kms_a, key_a, sm2_key, algorithm):
    context = '{"wrapped":"sm2"}'
    for data in (b"x", b"sixteen byte key", os.urandom(4096)):
        blob = kms_a.encrypt(key_a, data, context)
        key_id, wrapped = decrypt_wrapped(kms_a, blob, sm2_key.public_pem, algorithm, context)
        assert key_id == key_a
        check_raw_sm2(wrapped, len(data))
        assert sm2_key.decrypt(sm2_raw_to_der(wrapped)) == data, f"{len(data)}-byte plaintext"


def test_sm2_wrapping_is_randomised(fips_a, sm2_key):
    key_id = fips_a.new_key_id()
    blob = fips_a.encrypt(key_id, b"same plaintext twice")
    first, second = (decrypt_wrapped(fips_a, blob, sm2_key.public_pem, "SM2")[1] for _ in range(2))
    assert first[:65] != second[:65], "C1 must come from a fresh ephemeral key"
    assert sm2_key.decrypt(sm2_raw_to_der(first)) == sm2_key.decrypt(sm2_raw_to_der(second))


# ================================================================================================
# rejected keys and algorithms
# ================================================================================================

@pytest.fixture(scope="module")
def wrong_keys():
    return {
        "rsa1024": public_pem(rsa.generate_private_key(public_exponent=65537, key_size=2048 // 2)),
        "p256": public_pem(ec.generate_private_key(ec.SECP256R1())),
    }


def test_unusable_public_key_or_algorithm_is_invalid_parameter_value(kms_a, key_a, rsa_key, sm2_key, wrong_keys):
    _, rsa_pem = rsa_key
    blob = kms_a.encrypt(key_a, b"never leaves unwrapped")
    bad = {
        "garbage key": ("not a PEM public key", "RSAES_PKCS1_V1_5"),
        "garbage inside PEM armour": ("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", "RSAES_OAEP_SHA_256"),
        "garbage key, default algorithm": ("garbage", None),
        "RSA key with SM2": (rsa_pem, "SM2"),
        "RSA key with SM2_C1C3C2_ASN1": (rsa_pem, "SM2_C1C3C2_ASN1"),
        "RSA key, default (SM2) algorithm": (rsa_pem, None),
        "SM2 key with RSAES_PKCS1_V1_5": (sm2_key.public_pem, "RSAES_PKCS1_V1_5"),
        "SM2 key with RSAES_OAEP_SHA_256": (sm2_key.public_pem, "RSAES_OAEP_SHA_256"),
        "RSA-1024 key": (wrong_keys["rsa1024"], "RSAES_OAEP_SHA_1"),
        "P-256 key with SM2": (wrong_keys["p256"], "SM2"),
        "unknown algorithm": (rsa_pem, "RSAES_OAEP_SHA_512"),
        "unknown algorithm for SM2 key": (sm2_key.public_pem, "SM2_C1C2C3"),
    }
    cases = []
    for label, (pem, algorithm) in bad.items():
        cases.append((f"GenerateDataKey: {label}",
                      lambda p=pem, a=algorithm: generate_wrapped(kms_a, key_a, p, a), INVALID))
        cases.append((f"Decrypt: {label}", lambda p=pem, a=algorithm: decrypt_wrapped(kms_a, blob, p, a), INVALID))
    assert_codes(cases)


def test_wrapping_does_not_bypass_key_state_or_context(kms_a, key_a, sm2_key):
    context = '{"wrapped":"state"}'
    blob = kms_a.encrypt(key_a, b"still guarded", context)
    assert_code(lambda: decrypt_wrapped(kms_a, blob, sm2_key.public_pem, "SM2"),
                "InvalidParameterValue.InvalidCiphertext")
    kms_a.DisableKey(KeyId=key_a)
    assert_codes([
        ("Decrypt", lambda: decrypt_wrapped(kms_a, blob, sm2_key.public_pem, "SM2", context),
         "ResourceUnavailable.CmkDisabled"),
        ("GenerateDataKey", lambda: generate_wrapped(kms_a, key_a, sm2_key.public_pem, "SM2"),
         "ResourceUnavailable.CmkDisabled"),
    ])


def test_sm2_der_helpers_encode_and_parse_a_known_vector():
    """Guard for the DER helpers used above: a known raw C1C3C2 converts to the expected DER."""
    x = b"\x80" + bytes(31)    # high bit set -> leading 0x00
    y = bytes(31) + b"\x01"    # leading zeros stripped -> one byte
    raw = b"\x04" + x + y + bytes(range(32)) + b"abc"
    expected = der(0x30, der(0x02, b"\x00" + x) + der(0x02, b"\x01") + der(0x04, bytes(range(32))) + der(0x04, b"abc"))
    assert sm2_raw_to_der(raw) == expected
    assert sm2_der_parts(expected) == (b"\x00" + x, b"\x01", bytes(range(32)), b"abc")
    assert der_length(300) == b"\x82\x01\x2c"
