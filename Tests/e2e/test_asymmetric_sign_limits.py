"""SignByAsymmetricKey / VerifyByAsymmetricKey limits and parameter errors, as Tencent documents
them: a RAW message of at most 4096 bytes before Base64 (4097 refused), a DIGEST exactly as long
as the algorithm's hash (32 bytes; 48 for ECDSA384_SHA384, whose hash is SHA-384), MessageType RAW
(the default) or DIGEST, an Algorithm Tencent lists and the key signs with; each refusal is
`InvalidParameter` (or `MissingParameter`), the codes both actions' pages list, and is the same
for Verify as for Sign."""

import pytest

from asymmetric_support import SIGNING, USAGES, new_asymmetric_key, usage_ids
from e2e_support import assert_code, assert_codes, b64, unb64

DIGEST_LENGTH = {"SM2DSA": 32, "ECC_P256_R1": 32, "ECDSA384_SHA384": 48, "RSA_PSS_SHA_256": 32, "RSA_PKCS1_SHA_256": 32}
ALL_ALGORITHMS = sorted(DIGEST_LENGTH)


@pytest.mark.parametrize("pair", SIGNING, ids=lambda p: f"{usage_ids(p[0])}-{p[1].lower()}")
def test_message_length_limits_of_sign_and_verify(client, account_a, pair):
    key_usage, algorithm = pair
    kms = client(account_a, USAGES[key_usage].region)
    key_id = new_asymmetric_key(kms, key_usage)

    def sign(message, message_type=None):
        fields = {"KeyId": key_id, "Algorithm": algorithm, "Message": b64(message)}
        if message_type:
            fields["MessageType"] = message_type
        return kms.SignByAsymmetricKey(**fields).Signature

    def verify(message, signature, message_type="RAW"):
        return kms.VerifyByAsymmetricKey(KeyId=key_id, Algorithm=algorithm, Message=b64(message),
                                         SignatureValue=signature, MessageType=message_type).SignatureValid

    largest = b"m" * 4096
    signature = sign(largest)                     # MessageType absent: RAW
    assert verify(largest, signature) is True
    assert sign(largest, "RAW") and unb64(signature)
    digest = b"d" * DIGEST_LENGTH[algorithm]
    digest_signature = sign(digest, "DIGEST")
    assert verify(digest, digest_signature, "DIGEST") is True

    too_long = b"m" * 4097
    wrong_digests = {n: b"d" * n for n in (0, 1, 20, 31, 32, 33, 47, 48, 49, 64) if n != DIGEST_LENGTH[algorithm]}
    cases = [
        ("RAW of 4097 bytes", lambda: sign(too_long), "InvalidParameter"),
        ("RAW of 4097 bytes (explicit)", lambda: sign(too_long, "RAW"), "InvalidParameter"),
        ("Verify RAW of 4097 bytes", lambda: verify(too_long, signature), "InvalidParameter"),
        ("RAW of 40000 bytes (under nginx's 64 KiB body limit)", lambda: sign(b"m" * 40000), "InvalidParameter"),
    ]
    for n, wrong in wrong_digests.items():
        cases.append((f"DIGEST of {n} bytes", (lambda w=wrong: sign(w, "DIGEST")), ("InvalidParameter", "MissingParameter")
                      if n == 0 else "InvalidParameter"))
        cases.append((f"Verify DIGEST of {n} bytes", (lambda w=wrong: verify(w, digest_signature, "DIGEST")),
                      ("InvalidParameter", "MissingParameter") if n == 0 else "InvalidParameter"))
    assert_codes(cases)


def test_algorithm_and_message_type_errors(client, account_a, region):
    kms = client(account_a, region)
    keys = {u.key_usage: new_asymmetric_key(kms, u.key_usage) for u in USAGES.values() if u.region == region and u.signs}
    message = b64(b"hello")
    cases = []
    for key_usage, key_id in keys.items():
        own = USAGES[key_usage].signs

        def sign(algorithm, key=key_id, **more):
            return lambda: kms.call("SignByAsymmetricKey", KeyId=key, Algorithm=algorithm,
                                    **{"Message": message, **more})

        def verify(algorithm, key=key_id, **more):
            return lambda: kms.call("VerifyByAsymmetricKey", KeyId=key, Algorithm=algorithm, SignatureValue=b64(b"sig"),
                                    **{"Message": message, **more})

        for other in ALL_ALGORITHMS:
            if other not in own:   # a Tencent algorithm, but not one this key signs with
                cases.append((f"{key_usage} with {other}", sign(other), "InvalidParameter"))
                cases.append((f"{key_usage} verify with {other}", verify(other), "InvalidParameter"))
        for unknown in ("ECDSA_SHA_256", "ECC_P384_R1", "sm2dsa", "RSA_PSS_SHA_384", "SM3", ""):
            cases.append((f"{key_usage} with {unknown!r}", sign(unknown), ("InvalidParameter", "MissingParameter")
                          if unknown == "" else "InvalidParameter"))
            cases.append((f"{key_usage} verify with {unknown!r}", verify(unknown), ("InvalidParameter", "MissingParameter")
                          if unknown == "" else "InvalidParameter"))
        algorithm = own[0]
        cases += [
            (f"{key_usage} MessageType HASH", sign(algorithm, MessageType="HASH"), "InvalidParameter"),
            (f"{key_usage} MessageType raw", sign(algorithm, MessageType="raw"), "InvalidParameter"),
            (f"{key_usage} verify MessageType HASH", verify(algorithm, MessageType="HASH"), "InvalidParameter"),
            (f"{key_usage} Message not Base64", sign(algorithm, Message="hello world!"), "InvalidParameter"),
            (f"{key_usage} verify Message not Base64", verify(algorithm, Message="***"), "InvalidParameter"),
            (f"{key_usage} SignatureValue not Base64",
             lambda k=key_id, a=algorithm: kms.call("VerifyByAsymmetricKey", KeyId=k, Algorithm=a, Message=message,
                                                    SignatureValue="!!"), "InvalidParameter"),
            (f"{key_usage} no Algorithm", lambda k=key_id: kms.call("SignByAsymmetricKey", KeyId=k, Message=message),
             "MissingParameter"),
            (f"{key_usage} no Message", lambda k=key_id, a=algorithm: kms.call("SignByAsymmetricKey", KeyId=k, Algorithm=a),
             "MissingParameter"),
            (f"{key_usage} no SignatureValue",
             lambda k=key_id, a=algorithm: kms.call("VerifyByAsymmetricKey", KeyId=k, Algorithm=a, Message=message),
             "MissingParameter"),
            (f"{key_usage} no KeyId", lambda a=algorithm: kms.call("SignByAsymmetricKey", Algorithm=a, Message=message),
             "MissingParameter"),
            (f"{key_usage} KeyId not a key id", sign(algorithm, key="not-a-key"), "InvalidParameterValue.InvalidKeyId"),
        ]
    assert_codes(cases)
    # None of the refusals above disturbed the keys.
    for key_usage, key_id in keys.items():
        algorithm = USAGES[key_usage].signs[0]
        signature = kms.SignByAsymmetricKey(KeyId=key_id, Algorithm=algorithm, Message=message).Signature
        assert kms.VerifyByAsymmetricKey(KeyId=key_id, Algorithm=algorithm, Message=message,
                                         SignatureValue=signature).SignatureValid is True


def test_an_empty_raw_message_is_a_message_like_any(client, account_a):
    """Tencent sets no lower bound for RAW; the empty message has a digest like any other."""
    usage = USAGES["ASYMMETRIC_SIGN_VERIFY_ECC"]
    kms = client(account_a, usage.region)
    key_id = new_asymmetric_key(kms, usage.key_usage)
    signature = kms.call("SignByAsymmetricKey", KeyId=key_id, Algorithm="ECC_P256_R1", Message="")["Signature"]
    assert kms.call("VerifyByAsymmetricKey", KeyId=key_id, Algorithm="ECC_P256_R1", Message="",
                    SignatureValue=signature)["SignatureValid"] is True
    assert_code(lambda: kms.call("SignByAsymmetricKey", KeyId=key_id, Algorithm="ECC_P256_R1", Message="",
                                 MessageType="DIGEST"), "InvalidParameter")
