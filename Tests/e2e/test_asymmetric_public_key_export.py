"""GetPublicKey (SPEC §9): `PublicKey` (Base64 DER SubjectPublicKeyInfo) and `PublicKeyPem` are the
same key, `openssl` parses both and names the right kind and size (RSA 2048 bits, P-256, P-384,
SM2 under id-ecPublicKey with the SM2 curve OID, as Tencent's example), Python's `cryptography`
loads the RSA and NIST ones; the key is the same on every call and different for every key."""

import base64

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from asymmetric_support import USAGES, new_asymmetric_key, openssl, openssl_pkey_text, public_key_of, usage_ids

ID_EC_PUBLIC_KEY = bytes.fromhex("06072a8648ce3d0201")      # OID 1.2.840.10045.2.1
SM2_CURVE = bytes.fromhex("06082a811ccf5501822d")            # OID 1.2.156.10197.1.301
PEM_RE_LINES = ("-----BEGIN PUBLIC KEY-----", "-----END PUBLIC KEY-----")


def pem_body(pem):
    lines = pem.strip().splitlines()
    assert (lines[0], lines[-1]) == PEM_RE_LINES, f"not a PEM public key: {pem!r}"
    assert all(len(line) <= 64 for line in lines[1:-1]), "PEM lines longer than 64 characters"
    return base64.b64decode("".join(lines[1:-1]), validate=True)


@pytest.mark.parametrize("usage", list(USAGES.values()), ids=usage_ids)
def test_public_key_der_and_pem_are_the_same_key_that_openssl_reads(client, account_a, usage):
    kms = client(account_a, usage.region)
    key_id = new_asymmetric_key(kms, usage.key_usage)
    der, pem = public_key_of(kms, key_id)
    assert pem_body(pem) == der, "PublicKeyPem and PublicKey hold different keys"

    # openssl reads the PEM and the DER alike, to the same key.
    text = openssl_pkey_text(pem)
    der_text = openssl("pkey", "-pubin", "-inform", "DER", "-text", "-noout", stdin=der)[1].decode()
    assert der_text == text
    reencoded = openssl("pkey", "-pubin", "-outform", "DER", stdin=pem.encode())[1]
    assert reencoded == der, "openssl re-encodes the key differently: not canonical SubjectPublicKeyInfo DER"

    if usage.kind == "rsa":
        assert "Public-Key: (2048 bit)" in text and "Exponent: 65537 (0x10001)" in text, text
        key = serialization.load_der_public_key(der)
        assert isinstance(key, rsa.RSAPublicKey) and key.key_size == 2048 and key.public_numbers().e == 65537
    elif usage.kind == "ec":
        assert f"ASN1 OID: {usage.curve}" in text, text
        key = serialization.load_der_public_key(der)
        assert isinstance(key, ec.EllipticCurvePublicKey) and key.curve.key_size == usage.bits
        assert key.curve.name == {"prime256v1": "secp256r1", "secp384r1": "secp384r1"}[usage.curve]
    else:
        assert "ASN1 OID: SM2" in text, text
        assert ID_EC_PUBLIC_KEY in der and SM2_CURVE in der, f"SM2 key is not id-ecPublicKey + sm2 curve: {der.hex()}"
        assert len(der) == 91 and der[-65] == 4, "SM2 SubjectPublicKeyInfo with an uncompressed point is 91 bytes"

    # The same key each time; another key is another key.
    assert public_key_of(kms, key_id) == (der, pem)
    assert public_key_of(kms, new_asymmetric_key(kms, usage.key_usage))[0] != der
