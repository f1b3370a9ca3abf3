"""SignByAsymmetricKey / VerifyByAsymmetricKey interoperate (SPEC §9): with every algorithm Tencent
lists (SM2DSA with the default ID 1234567812345678, ECC_P256_R1, ECDSA384_SHA384 for P-384 keys,
RSA_PSS_SHA_256, RSA_PKCS1_SHA_256), a signature the service makes over a RAW message or over its
DIGEST verifies with the `openssl` command line (dgst over the message, pkeyutl over the digest)
and with Python's `cryptography` (which has no SM2 signatures), against the key GetPublicKey
exports; VerifyByAsymmetricKey says true for good signatures, the DIGEST of a message verifying
the RAW message's signature and the other way round, and false for a changed message or
signature, another key's signature, or the other RSA padding."""

import os

import pytest

from asymmetric_support import (
    SIGNING, USAGES, cryptography_verify, flip, message_digest, new_asymmetric_key, openssl,
    openssl_verify_digest, openssl_verify_message, public_key_of, usage_ids, Files, SM2_DEFAULT_ID,
)
from e2e_support import b64, unb64


def sign(kms, key_id, algorithm, message, message_type="RAW"):
    return unb64(kms.SignByAsymmetricKey(KeyId=key_id, Algorithm=algorithm, Message=b64(message),
                                         MessageType=message_type).Signature)


def verify(kms, key_id, algorithm, message, signature, message_type="RAW"):
    valid = kms.VerifyByAsymmetricKey(KeyId=key_id, Algorithm=algorithm, Message=b64(message),
                                      SignatureValue=b64(signature), MessageType=message_type).SignatureValid
    assert isinstance(valid, bool), f"SignatureValid is {valid!r}, not a boolean"
    return valid


def pair_id(pair):
    return f"{usage_ids(pair[0])}-{pair[1].lower()}"


@pytest.mark.parametrize("pair", SIGNING, ids=pair_id)
def test_signatures_verify_with_openssl_and_cryptography_in_both_message_types(client, account_a, pair):
    key_usage, algorithm = pair
    kms = client(account_a, USAGES[key_usage].region)
    key_id = new_asymmetric_key(kms, key_usage)
    der, pem = public_key_of(kms, key_id)
    local = algorithm != "SM2DSA"   # cryptography has no SM2 signatures: openssl alone for those

    for message in (b"hello, asymmetric keys", os.urandom(4096), b"\x00", b""):
        digest = message_digest(algorithm, message, der)
        raw_signature = sign(kms, key_id, algorithm, message)
        digest_signature = sign(kms, key_id, algorithm, digest, "DIGEST")
        for label, signature in (("RAW", raw_signature), ("DIGEST", digest_signature)):
            where = f"{algorithm} {label} signature of {len(message)} bytes"
            assert openssl_verify_message(pem, algorithm, message, signature), f"{where}: openssl dgst -verify failed"
            assert openssl_verify_digest(pem, algorithm, digest, signature), f"{where}: openssl pkeyutl -verify failed"
            if local:
                assert cryptography_verify(der, algorithm, message, signature), f"{where}: cryptography refused it"
                assert cryptography_verify(der, algorithm, digest, signature, prehashed=True), where
            # A signature is valid for the message and for its digest alike.
            assert verify(kms, key_id, algorithm, message, signature) is True, f"{where}: Verify RAW said false"
            assert verify(kms, key_id, algorithm, digest, signature, "DIGEST") is True, f"{where}: Verify DIGEST said false"
            # ... and for nothing else.
            assert not openssl_verify_message(pem, algorithm, message + b"!", signature), where
            if local:
                assert not cryptography_verify(der, algorithm, message + b"!", signature), where


@pytest.mark.parametrize("pair", SIGNING, ids=pair_id)
def test_verify_says_false_for_anything_but_the_keys_signature_of_that_message(client, account_a, pair):
    key_usage, algorithm = pair
    kms = client(account_a, USAGES[key_usage].region)
    key_id, other_key = new_asymmetric_key(kms, key_usage), new_asymmetric_key(kms, key_usage)
    der, _ = public_key_of(kms, key_id)
    message = b"pay 100 to alice"
    digest = message_digest(algorithm, message, der)
    signature = sign(kms, key_id, algorithm, message)
    other_signature = sign(kms, other_key, algorithm, message)
    assert verify(kms, key_id, algorithm, message, signature) is True

    cases = {
        "a changed message": verify(kms, key_id, algorithm, b"pay 900 to alice", signature),
        "a changed digest": verify(kms, key_id, algorithm, flip(digest, 0), signature, "DIGEST"),
        "a changed signature (last byte)": verify(kms, key_id, algorithm, message, flip(signature)),
        "a changed signature (middle)": verify(kms, key_id, algorithm, message, flip(signature, len(signature) // 2)),
        "a truncated signature": verify(kms, key_id, algorithm, message, signature[:-1]),
        "an empty signature": verify(kms, key_id, algorithm, message, b""),
        "random bytes": verify(kms, key_id, algorithm, message, os.urandom(len(signature))),
        "another key's signature": verify(kms, key_id, algorithm, message, other_signature),
    }
    if algorithm.startswith("RSA_"):
        other_padding = "RSA_PKCS1_SHA_256" if algorithm == "RSA_PSS_SHA_256" else "RSA_PSS_SHA_256"
        cases["the other RSA padding"] = verify(kms, key_id, other_padding, message, signature)
    assert {label: valid for label, valid in cases.items() if valid is not False} == {}, \
        "VerifyByAsymmetricKey did not answer SignatureValid false"
    # The other key's own signature is fine, with its own key.
    assert verify(kms, other_key, algorithm, message, other_signature) is True


def test_sm2_signatures_use_the_default_id_and_sm3(client, account_a):
    """Z is computed with ID 1234567812345678: openssl with another ID (or none of SM2's) refuses."""
    kms = client(account_a, USAGES["ASYMMETRIC_SIGN_VERIFY_SM2"].region)
    key_id = new_asymmetric_key(kms, "ASYMMETRIC_SIGN_VERIFY_SM2")
    der, pem = public_key_of(kms, key_id)
    message = b"\xe4\xbd\xa0\xe5\xa5\xbd, SM2"
    signature = sign(kms, key_id, "SM2DSA", message)
    files = Files()
    try:
        pub, msg, sig = files.write("pub.pem", pem), files.write("msg", message), files.write("sig", signature)

        def dgst(distid):
            status, out, _ = openssl("dgst", "-sm3", "-verify", pub, "-signature", sig, "-sigopt", f"distid:{distid}", msg,
                                     check=False)
            return status == 0 and out.strip() == b"Verified OK"
        assert dgst(SM2_DEFAULT_ID.decode()), "openssl does not verify the SM2 signature with the default ID"
        assert not dgst("ALICE123@YAHOO.COM"), "the SM2 signature verifies with another ID too"
    finally:
        files.close()
    # DIGEST is e = SM3(Z || M), not SM3(M): the plain SM3 of the message verifies nothing.
    import hashlib
    assert verify(kms, key_id, "SM2DSA", hashlib.new("sm3", message).digest(), signature, "DIGEST") is False
    assert verify(kms, key_id, "SM2DSA", message_digest("SM2DSA", message, der), signature, "DIGEST") is True


def test_signatures_are_der_and_pkcs1_is_deterministic(client, account_a):
    fips = client(account_a, USAGES["ASYMMETRIC_SIGN_VERIFY_RSA_2048"].region)
    rsa_key = new_asymmetric_key(fips, "ASYMMETRIC_SIGN_VERIFY_RSA_2048")
    message = b"same message twice"
    first, second = sign(fips, rsa_key, "RSA_PKCS1_SHA_256", message), sign(fips, rsa_key, "RSA_PKCS1_SHA_256", message)
    assert first == second and len(first) == 256, "RSASSA-PKCS1-v1_5 signatures are deterministic, 256 bytes for RSA-2048"
    pss = {sign(fips, rsa_key, "RSA_PSS_SHA_256", message) for _ in range(3)}
    assert len(pss) == 3 and all(len(s) == 256 for s in pss), "PSS signatures are randomised (a salt each time)"
    for key_usage, algorithm in SIGNING:
        if not key_usage.startswith(("ASYMMETRIC_SIGN_VERIFY_ECC", "ASYMMETRIC_SIGN_VERIFY_ECDSA", "ASYMMETRIC_SIGN_VERIFY_SM2")):
            continue
        kms = client(account_a, USAGES[key_usage].region)
        signature = sign(kms, new_asymmetric_key(kms, key_usage), algorithm, message)
        files = Files()
        try:
            parsed = openssl("asn1parse", "-inform", "DER", "-in", files.write("sig", signature))[1].decode()
        finally:
            files.close()
        assert parsed.count("INTEGER") == 2 and "SEQUENCE" in parsed, f"{algorithm}: not DER SEQUENCE{{r, s}}: {parsed}"
