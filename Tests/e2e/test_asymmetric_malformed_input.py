"""Malformed input to the asymmetric actions is a clear Tencent error, never a crash or a 5xx, and
the error message never repeats what was sent (a message to sign, a ciphertext): wrong JSON types
→ `InvalidParameter`, unknown parameters → `UnknownParameter`, Base64 with spaces, newlines or no
padding → `InvalidParameter`; an empty `MessageType` is the default (RAW); an upper-case KeyId is
the same key; a signature of any size that is not the key's is `SignatureValid: false`."""

import pytest

from asymmetric_support import new_asymmetric_key
from e2e_support import FIPS_REGION, SM_REGION, assert_code, assert_codes, b64


@pytest.fixture
def keys(client, account_a):
    fips, sm = client(account_a, FIPS_REGION, language="en-US"), client(account_a, SM_REGION, language="en-US")
    return (fips, sm, new_asymmetric_key(fips, "ASYMMETRIC_SIGN_VERIFY_ECC"),
            new_asymmetric_key(fips, "ASYMMETRIC_DECRYPT_RSA_2048"), new_asymmetric_key(sm, "ASYMMETRIC_DECRYPT_SM2"))


def test_wrong_types_and_shapes_are_parameter_errors(keys):
    fips, sm, ecc, rsa, sm2 = keys
    secret = "c2VjcmV0LW1lc3NhZ2UtZG8tbm90LWVjaG8="  # Base64 of "secret-message-do-not-echo"

    def sign(**params):
        return lambda: fips.call("SignByAsymmetricKey", **{"KeyId": ecc, "Algorithm": "ECC_P256_R1", "Message": secret,
                                                           **params})

    cases = [
        ("Message a number", sign(Message=123), "InvalidParameter"),
        ("Message a list", sign(Message=[secret]), "InvalidParameter"),
        ("Message an object", sign(Message={"a": secret}), "InvalidParameter"),
        ("Algorithm a number", sign(Algorithm=1), "InvalidParameter"),
        ("MessageType a boolean", sign(MessageType=True), "InvalidParameter"),
        ("KeyId a list", sign(KeyId=[ecc]), "InvalidParameter"),
        ("Message without padding", sign(Message=secret.rstrip("=")), "InvalidParameter"),
        ("Message with a space", sign(Message=secret[:8] + " " + secret[8:]), "InvalidParameter"),
        ("Message with a newline", sign(Message=secret + "\n"), "InvalidParameter"),
        ("Message with URL-safe Base64", sign(Message=secret.replace("=", "").replace("c", "-")), "InvalidParameter"),
        ("an unknown parameter", sign(Salt="16"), "UnknownParameter"),
        ("GetPublicKey with a Format", lambda: fips.call("GetPublicKey", KeyId=ecc, Format="PEM"), "UnknownParameter"),
        ("RsaDecrypt Ciphertext a number", lambda: fips.call("AsymmetricRsaDecrypt", KeyId=rsa, Ciphertext=1,
                                                             Algorithm="RSAES_OAEP_SHA_256"), "InvalidParameter"),
        ("RsaDecrypt ciphertext with a newline", lambda: fips.call(
            "AsymmetricRsaDecrypt", KeyId=rsa, Ciphertext=b64(b"\x01" * 256)[:100] + "\n" + b64(b"\x01" * 256)[100:],
            Algorithm="RSAES_OAEP_SHA_256"), "InvalidParameter"),
        ("Sm2Decrypt with an Algorithm", lambda: sm.call("AsymmetricSm2Decrypt", KeyId=sm2, Ciphertext=secret,
                                                         Algorithm="SM2"), "UnknownParameter"),
    ]
    assert_codes(cases)
    for label, call, _ in cases:
        _, message = assert_code(call, ("InvalidParameter", "UnknownParameter"))
        assert secret not in message and "secret-message" not in message, f"{label}: the message echoes the input"


def test_defaults_and_spellings_a_client_may_send(keys):
    fips, _, ecc, _, _ = keys
    message = b64(b"defaults")
    signature = fips.call("SignByAsymmetricKey", KeyId=ecc, Algorithm="ECC_P256_R1", Message=message,
                          MessageType="")["Signature"]
    # An empty MessageType is the default, RAW: the signature verifies as RAW with the key's id in upper case.
    assert fips.call("VerifyByAsymmetricKey", KeyId=ecc.upper(), Algorithm="ECC_P256_R1", Message=message,
                     SignatureValue=signature, MessageType="RAW")["SignatureValid"] is True
    for size in (0, 1, 72, 512, 4096):
        assert fips.call("VerifyByAsymmetricKey", KeyId=ecc, Algorithm="ECC_P256_R1", Message=message,
                         SignatureValue=b64(b"\x30" * size))["SignatureValid"] is False, f"{size}-byte signature"
