"""The asymmetric actions in every request style a Tencent client uses: TC3-HMAC-SHA256 over POST
JSON and GET query, signature v1 (HmacSHA1, HmacSHA256) over POST form and GET query — by hand
and through the SDK — and `tccli kms …` over HTTPS. Base64 with `+`, `/` and `=` survives every
encoding; each signature verifies with `openssl` against the public key the same style fetched."""

import json
import os

import pytest

from asymmetric_support import USAGES, message_digest, new_asymmetric_key, openssl_verify_message, public_key_of
from e2e_support import FIPS_REGION, SM_REGION, assert_code, b64, ok, unb64
from tccli_support import private_tccli, run_tccli

# (usage, algorithm) signed in every style: one curve per profile, and RSA for its long Base64.
STYLED = [("ASYMMETRIC_SIGN_VERIFY_ECC", "ECC_P256_R1"), ("ASYMMETRIC_SIGN_VERIFY_SM2", "SM2DSA"),
          ("ASYMMETRIC_SIGN_VERIFY_RSA_2048", "RSA_PSS_SHA_256")]
# A message whose Base64 has '+', '/' and '=' in it.
MESSAGE = bytes([0xfb, 0xef, 0xff, 0x3e, 0x3f, 0x00, 0x01])
assert all(c in b64(MESSAGE) for c in "+/=")

RAW_STYLES = [
    ("tc3-post", lambda raw, acct, action, params, region: raw.tc3(acct, action, params, region=region)),
    ("tc3-get", lambda raw, acct, action, params, region: raw.tc3(acct, action, params, region=region, method="GET")),
    ("v1-post-sha256", lambda raw, acct, action, params, region: raw.v1(acct, action, params, region=region)),
    ("v1-get-sha256", lambda raw, acct, action, params, region: raw.v1(acct, action, params, region=region, method="GET")),
    ("v1-post-sha1", lambda raw, acct, action, params, region: raw.v1(acct, action, params, region=region,
                                                                      sign_method="HmacSHA1")),
    ("v1-get-sha1", lambda raw, acct, action, params, region: raw.v1(acct, action, params, region=region, method="GET",
                                                                     sign_method="HmacSHA1")),
]


@pytest.mark.parametrize("style", RAW_STYLES, ids=[s[0] for s in RAW_STYLES])
@pytest.mark.parametrize("pair", STYLED, ids=lambda p: p[1].lower())
def test_sign_verify_and_get_public_key_by_hand_in_every_style(raw, client, account_a, style, pair):
    name, send = style
    key_usage, algorithm = pair
    region = USAGES[key_usage].region
    key_id = new_asymmetric_key(client(account_a, region), key_usage)

    public = ok(send(raw, account_a, "GetPublicKey", {"KeyId": key_id}, region))
    der, pem = unb64(public["PublicKey"]), public["PublicKeyPem"]
    assert public["KeyId"] == key_id

    signed = ok(send(raw, account_a, "SignByAsymmetricKey",
                     {"KeyId": key_id, "Algorithm": algorithm, "Message": b64(MESSAGE), "MessageType": "RAW"}, region))
    signature = unb64(signed["Signature"])
    assert openssl_verify_message(pem, algorithm, MESSAGE, signature), f"{name}: openssl refused the signature"

    digest = message_digest(algorithm, MESSAGE, der)
    for message, message_type, expected in ((MESSAGE, "RAW", True), (digest, "DIGEST", True), (MESSAGE + b"x", "RAW", False)):
        verified = ok(send(raw, account_a, "VerifyByAsymmetricKey",
                           {"KeyId": key_id, "Algorithm": algorithm, "Message": b64(message), "MessageType": message_type,
                            "SignatureValue": signed["Signature"]}, region))
        assert verified["SignatureValid"] is expected, f"{name}: {message_type} {message!r}"

    # An error in this style is Tencent's error object, not a transport failure.
    assert_code(send(raw, account_a, "SignByAsymmetricKey",
                     {"KeyId": key_id, "Algorithm": algorithm, "Message": b64(b"m" * 4097)}, region), "InvalidParameter")


@pytest.mark.parametrize("method,sign", [("POST", "TC3-HMAC-SHA256"), ("GET", "TC3-HMAC-SHA256"),
                                         ("POST", "HmacSHA256"), ("GET", "HmacSHA1")])
def test_the_sdk_signs_and_decrypts_in_every_style(client, account_a, method, sign):
    for key_usage, algorithm in STYLED:
        kms = client(account_a, USAGES[key_usage].region, method=method, sign=sign)
        key_id = new_asymmetric_key(kms, key_usage)
        _, pem = public_key_of(kms, key_id)
        signature = kms.SignByAsymmetricKey(KeyId=key_id, Algorithm=algorithm, Message=b64(MESSAGE)).Signature
        assert openssl_verify_message(pem, algorithm, MESSAGE, unb64(signature)), f"{method} {sign} {algorithm}"
    from asymmetric_support import openssl_encrypt
    for key_usage, scheme in (("ASYMMETRIC_DECRYPT_RSA_2048", "oaep-sha256"), ("ASYMMETRIC_DECRYPT_SM2", "sm2")):
        kms = client(account_a, USAGES[key_usage].region, method=method, sign=sign)
        key_id = new_asymmetric_key(kms, key_usage)
        ciphertext = b64(openssl_encrypt(public_key_of(kms, key_id)[1], MESSAGE, scheme))
        if scheme == "sm2":
            plaintext = kms.AsymmetricSm2Decrypt(KeyId=key_id, Ciphertext=ciphertext).Plaintext
        else:
            plaintext = kms.AsymmetricRsaDecrypt(KeyId=key_id, Ciphertext=ciphertext, Algorithm="RSAES_OAEP_SHA_256").Plaintext
        assert unb64(plaintext) == MESSAGE, f"{method} {sign} {scheme}"


@pytest.fixture(scope="module")
def tccli(kms_env, tmp_path_factory):
    """``tccli("kms", "Action", "--Param", v, …)``: (exit status, stdout, stderr) as account A."""
    directory = tmp_path_factory.mktemp("asym-tccli")
    tccli_dir = private_tccli(kms_env.ca_file, str(directory))
    home = directory / "home"
    home.mkdir()
    return lambda account, *args: run_tccli(tccli_dir, kms_env.https_endpoint, account, *args, home=str(home))


@pytest.mark.parametrize("region_name", [FIPS_REGION, SM_REGION], ids=["fips", "sm"])
def test_tccli_creates_signs_verifies_and_fetches_the_public_key(tccli, client, make_account, region_name):
    account = make_account("asym-tccli")
    key_usage, algorithm = ("ASYMMETRIC_SIGN_VERIFY_SM2", "SM2DSA") if region_name == SM_REGION \
        else ("ASYMMETRIC_SIGN_VERIFY_ECC", "ECC_P256_R1")

    def kms(*args):
        status, out, err = tccli(account, "kms", *args, "--region", region_name)
        assert status == 0, f"tccli kms {' '.join(args)} exited {status}: {out} {err}"
        return json.loads(out)

    created = kms("CreateKey", "--Alias", f"tccli-{key_usage.lower().replace('_', '-')}", "--KeyUsage", key_usage)
    assert created["KeyUsage"] == key_usage and created["KeyState"] == "Enabled"
    key_id = created["KeyId"]
    public = kms("GetPublicKey", "--KeyId", key_id)
    assert (unb64(public["PublicKey"]), public["PublicKeyPem"]) == public_key_of(client(account, region_name), key_id)

    message = os.urandom(300)
    signature = kms("SignByAsymmetricKey", "--KeyId", key_id, "--Algorithm", algorithm, "--Message", b64(message),
                    "--MessageType", "RAW")["Signature"]
    assert openssl_verify_message(public["PublicKeyPem"], algorithm, message, unb64(signature))
    digest = message_digest(algorithm, message, unb64(public["PublicKey"]))
    assert kms("VerifyByAsymmetricKey", "--KeyId", key_id, "--Algorithm", algorithm, "--Message", b64(digest),
               "--MessageType", "DIGEST", "--SignatureValue", signature)["SignatureValid"] is True
    assert kms("VerifyByAsymmetricKey", "--KeyId", key_id, "--Algorithm", algorithm, "--Message", b64(message[1:]),
               "--SignatureValue", signature)["SignatureValid"] is False
    listed = kms("ListKeyDetail", "--KeyUsage", key_usage)
    assert [k["KeyId"] for k in listed["KeyMetadatas"]] == [key_id]
    algorithms = kms("ListAlgorithms")
    assert key_usage in [a["KeyUsage"] for a in algorithms["AsymmetricSignVerifyAlgorithms"]]

    # A refusal reaches tccli's user as Tencent's code.
    status, out, err = tccli(account, "kms", "SignByAsymmetricKey", "--region", region_name, "--KeyId", key_id,
                             "--Algorithm", "RSA_PSS_SHA_256", "--Message", b64(message))
    assert status != 0 and "InvalidParameter" in out + err, f"{status}: {out} {err}"
