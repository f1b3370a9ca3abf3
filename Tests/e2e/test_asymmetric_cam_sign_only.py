"""CAM covers the asymmetric actions like any (SPEC §6, §9): a sub-user allowed only
`kms:SignByAsymmetricKey` on one key signs with it — signatures `openssl` verifies — and is refused
(`UnauthorizedOperation`) signing with another key, verifying, fetching the public key, decrypting
or creating keys; allowing `kms:GetPublicKey` and `kms:VerifyByAsymmetricKey` on that key adds
exactly those; a detach holds within a second."""

import time

from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from asymmetric_support import new_asymmetric_key, openssl_encrypt, openssl_verify_message, public_key_of
from cam_support import Cam, add_sub_user, allow, key_resource
from e2e_support import FIPS_REGION, SM_REGION, assert_codes, b64, unb64, unique_alias

DENIED = "UnauthorizedOperation"


def eventually(call, deadline=1.0):
    """``call()``'s result once the sub-user's new policy holds (within ``deadline`` seconds)."""
    started = time.monotonic()
    while True:
        try:
            return call()
        except TencentCloudSDKException as exc:
            assert exc.code == DENIED and time.monotonic() - started < deadline, exc
            time.sleep(0.02)


def test_a_sub_user_allowed_to_sign_with_one_key_signs_with_it_and_nothing_else(kms_env, client, make_account):
    root = make_account("asym-cam")
    cam = Cam(root, kms_env.endpoint)
    owner = client(root, FIPS_REGION)
    signing_key = new_asymmetric_key(owner, "ASYMMETRIC_SIGN_VERIFY_ECC")
    other_key = new_asymmetric_key(owner, "ASYMMETRIC_SIGN_VERIFY_ECC")
    rsa_key = new_asymmetric_key(owner, "ASYMMETRIC_DECRYPT_RSA_2048")
    _, pem = public_key_of(owner, signing_key)
    added, sub = add_sub_user(cam, root)
    kms = client(sub, FIPS_REGION)
    message = b64(b"release v1.2.3")

    def sign(key_id):
        return lambda: kms.SignByAsymmetricKey(KeyId=key_id, Algorithm="ECC_P256_R1", Message=message)

    policy = allow(cam, added.Uin, ["kms:SignByAsymmetricKey"], key_resource(FIPS_REGION, root.uin, signing_key))
    signature = eventually(sign(signing_key)).Signature
    assert openssl_verify_message(pem, "ECC_P256_R1", b"release v1.2.3", unb64(signature))

    ciphertext = b64(openssl_encrypt(public_key_of(owner, rsa_key)[1], b"x", "oaep-sha256"))
    sm_kms = client(sub, SM_REGION)
    assert_codes([
        ("Sign with another key", sign(other_key), DENIED),
        ("Verify with the allowed key", lambda: kms.VerifyByAsymmetricKey(
            KeyId=signing_key, Algorithm="ECC_P256_R1", Message=message, SignatureValue=signature), DENIED),
        ("GetPublicKey of the allowed key", lambda: kms.GetPublicKey(KeyId=signing_key), DENIED),
        ("AsymmetricRsaDecrypt", lambda: kms.AsymmetricRsaDecrypt(KeyId=rsa_key, Ciphertext=ciphertext,
                                                                  Algorithm="RSAES_OAEP_SHA_256"), DENIED),
        ("CreateKey", lambda: kms.CreateKey(Alias=unique_alias(), KeyUsage="ASYMMETRIC_SIGN_VERIFY_ECC"), DENIED),
        ("DisableKey of the allowed key", lambda: kms.DisableKey(KeyId=signing_key), DENIED),
        ("Sign in another region", lambda: sm_kms.SignByAsymmetricKey(KeyId=signing_key, Algorithm="ECC_P256_R1",
                                                                      Message=message), DENIED),
    ])
    assert owner.state(signing_key) == "Enabled"

    # Adding GetPublicKey and Verify on the same key allows those, and still nothing on the other key.
    allow(cam, added.Uin, ["kms:GetPublicKey", "kms:VerifyByAsymmetricKey"],
          key_resource(FIPS_REGION, root.uin, signing_key))
    assert eventually(lambda: kms.GetPublicKey(KeyId=signing_key)).PublicKeyPem == pem
    assert kms.VerifyByAsymmetricKey(KeyId=signing_key, Algorithm="ECC_P256_R1", Message=message,
                                     SignatureValue=signature).SignatureValid is True
    assert_codes([("GetPublicKey of another key", lambda: kms.GetPublicKey(KeyId=other_key), DENIED)])

    # Detaching the signing policy stops signing within a second.
    cam.DetachUserPolicy(PolicyId=policy, DetachUin=added.Uin)
    started = time.monotonic()
    while True:
        try:
            sign(signing_key)()
        except TencentCloudSDKException as exc:
            assert exc.code == DENIED, exc
            break
        assert time.monotonic() - started < 1.0, "the detached policy still allowed signing after a second"
        time.sleep(0.02)
