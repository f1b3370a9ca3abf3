"""A caller's ``EncryptionPublicKey`` is checked before a secret is encrypted to it (SPEC §6):
RSA of exactly 2048 bits with an odd modulus and an odd exponent 65537 <= e < 2^256, SM2 points
on the curve and not at infinity, PEM (exactly one PUBLIC KEY block) or Base64 DER with nothing
trailing. Anything else is ``InvalidParameterValue`` -- never ``InternalError``, never an
error-level line in the responder's log. The hostile keys are built as raw DER here."""

import base64
import os
import subprocess

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from e2e_support import FIPS_REGION, SM_REGION, assert_codes, unb64

INVALID = "InvalidParameterValue"  # Tencent has no more specific code for a bad public key
RSA_ENCRYPTION = "1.2.840.113549.1.1.1"
EC_PUBLIC_KEY = "1.2.840.10045.2.1"
SM2_CURVE = "1.2.156.10197.1.301"


# ------------------------------------------------------------------------------------------------
# raw DER
# ------------------------------------------------------------------------------------------------

def tlv(tag, content):
    n = len(content)
    length = bytes([n]) if n < 0x80 else (lambda b: bytes([0x80 | len(b)]) + b)(n.to_bytes((n.bit_length() + 7) // 8, "big"))
    return bytes([tag]) + length + content


def der_int(value):
    return tlv(0x02, value.to_bytes(value.bit_length() // 8 + 1, "big"))


def der_oid(dotted):
    parts = [int(x) for x in dotted.split(".")]
    body = bytes([40 * parts[0] + parts[1]])
    for p in parts[2:]:
        chunk = [p & 0x7F]
        p >>= 7
        while p:
            chunk.append(0x80 | (p & 0x7F))
            p >>= 7
        body += bytes(reversed(chunk))
    return tlv(0x06, body)


def rsa_spki(n, e):
    algorithm = tlv(0x30, der_oid(RSA_ENCRYPTION) + b"\x05\x00")
    return tlv(0x30, algorithm + tlv(0x03, b"\x00" + tlv(0x30, der_int(n) + der_int(e))))


def sm2_spki(point):
    algorithm = tlv(0x30, der_oid(EC_PUBLIC_KEY) + der_oid(SM2_CURVE))
    return tlv(0x30, algorithm + tlv(0x03, b"\x00" + point))


def pem(der):
    body = base64.b64encode(der).decode()
    lines = "\n".join(body[i:i + 64] for i in range(0, len(body), 64))
    return f"-----BEGIN PUBLIC KEY-----\n{lines}\n-----END PUBLIC KEY-----\n"


# ------------------------------------------------------------------------------------------------
# fixtures
# ------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def rsa_private():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def good_rsa_der(rsa_private):
    return rsa_private.public_key().public_bytes(serialization.Encoding.DER,
                                                 serialization.PublicFormat.SubjectPublicKeyInfo)


@pytest.fixture(scope="module")
def good_sm2_der(tmp_path_factory):
    directory = tmp_path_factory.mktemp("sm2")
    key = str(directory / "sm2.pem")
    subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:SM2", "-out", key],
                   check=True, capture_output=True, timeout=60)
    return subprocess.run(["openssl", "pkey", "-in", key, "-pubout", "-outform", "DER"], check=True,
                          capture_output=True, timeout=60).stdout


@pytest.fixture(scope="module")
def fips(client, account_a):
    kms = client(account_a, FIPS_REGION)
    key_id = kms.new_key_id(Description="e2e public key checks")
    return kms, key_id, kms.encrypt(key_id, b"only to a sound public key")


@pytest.fixture(scope="module")
def sm(client, account_a):
    kms = client(account_a, SM_REGION)
    key_id = kms.new_key_id(Description="e2e public key checks (SM)")
    return kms, key_id, kms.encrypt(key_id, b"only to a sound SM2 point")


def error_lines(kms_env):
    """The responder log's error-level lines so far (plain "<ts> error …" or JSON lines)."""
    path = os.path.join(kms_env.home, "log", "responder.log")
    with open(path, encoding="utf-8", errors="replace") as fh:
        lines = fh.readlines()
    return [line for line in lines
            if line.split(" ", 2)[1:2] == ["error"] or '"level":"error"' in line.replace(" ", "")]


def refusals(kms, key_id, blob, key_text, algorithm, label):
    """The same hostile key on GenerateDataKey and on Decrypt."""
    return [
        (f"GenerateDataKey: {label}", lambda: kms.GenerateDataKey(
            KeyId=key_id, KeySpec="AES_256", EncryptionPublicKey=key_text, EncryptionAlgorithm=algorithm), INVALID),
        (f"Decrypt: {label}", lambda: kms.Decrypt(
            CiphertextBlob=blob, EncryptionPublicKey=key_text, EncryptionAlgorithm=algorithm), INVALID),
    ]


# ------------------------------------------------------------------------------------------------
# tests
# ------------------------------------------------------------------------------------------------

def test_weak_rsa_public_keys_are_refused_as_invalid_parameter_value(fips, rsa_private, kms_env):
    kms, key_id, blob = fips
    n = rsa_private.public_key().public_numbers().n
    hostile = {
        "e = 1 (the 'ciphertext' is the plaintext)": rsa_spki(n, 1),
        "e = 3": rsa_spki(n, 3),
        "e = 17": rsa_spki(n, 17),
        "even e = 65538": rsa_spki(n, 65538),
        "e > n": rsa_spki(n, n + 2),
        "e >= 2^256": rsa_spki(n, (1 << 256) + 1),
        "even modulus": rsa_spki(n + 1, 65537),
        "3072-bit modulus": rsa.generate_private_key(public_exponent=65537, key_size=3072).public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo),
    }
    before = len(error_lines(kms_env))
    cases = []
    for label, der in hostile.items():
        for algorithm in ("RSAES_PKCS1_V1_5", "RSAES_OAEP_SHA_256"):
            cases += refusals(kms, key_id, blob, pem(der), algorithm, f"{label}, {algorithm}")
    assert_codes(cases)
    assert error_lines(kms_env)[before:] == [], "a refused public key must not log at error level"


def test_sm2_point_at_infinity_or_off_the_curve_is_refused(sm, good_sm2_der, kms_env):
    kms, key_id, blob = sm
    good_point = good_sm2_der[-65:]
    off_curve = good_point[:-1] + bytes([good_point[-1] ^ 0x01])
    hostile = {
        "point at infinity": sm2_spki(b"\x00"),
        "point off the curve": sm2_spki(off_curve),
    }
    before = len(error_lines(kms_env))
    cases = []
    for label, der in hostile.items():
        for algorithm in ("SM2", "SM2_C1C3C2_ASN1"):
            cases += refusals(kms, key_id, blob, pem(der), algorithm, f"{label}, {algorithm}")
    assert_codes(cases)
    assert error_lines(kms_env)[before:] == [], "a refused public key must not log at error level"


def test_public_key_with_anything_trailing_or_around_it_is_refused(fips, good_rsa_der):
    kms, key_id, blob = fips
    good = pem(good_rsa_der)
    other = pem(rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo))
    hostile = {
        "PEM followed by garbage": good + "garbage",
        "PEM followed by a second block": good + other,
        "text before the PEM block": "hello\n" + good,
        "another block type first": good.replace("PUBLIC KEY", "CERTIFICATE") + good,
        "PEM whose DER has a trailing byte": pem(good_rsa_der + b"\x00"),
        "PEM with headers": good.replace("-----\n", "-----\nProc-Type: 4,ENCRYPTED\n\n", 1),
        "Base64 DER with a trailing byte": base64.b64encode(good_rsa_der + b"\x00").decode(),
    }
    cases = []
    for label, text in hostile.items():
        cases += refusals(kms, key_id, blob, text, "RSAES_OAEP_SHA_256", label)
    assert_codes(cases)


def test_sound_keys_still_work_with_surrounding_whitespace(fips, sm, rsa_private, good_rsa_der, good_sm2_der):
    kms, key_id, blob = fips
    for text in (pem(good_rsa_der), "\n  " + pem(good_rsa_der) + "\n\n", base64.b64encode(good_rsa_der).decode()):
        out = kms.Decrypt(CiphertextBlob=blob, EncryptionPublicKey=text, EncryptionAlgorithm="RSAES_OAEP_SHA_256")
        plain = rsa_private.decrypt(unb64(out.Plaintext), padding.OAEP(
            mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None))
        assert plain == b"only to a sound public key"
    sm_kms, sm_key, _ = sm
    out = sm_kms.GenerateDataKey(KeyId=sm_key, KeySpec="AES_128", EncryptionPublicKey=pem(good_sm2_der),
                                 EncryptionAlgorithm="SM2")
    assert len(unb64(out.Plaintext)) == 97 + 16
