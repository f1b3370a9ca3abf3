"""A key is used only for what its KeyUsage says (SPEC §9), each misuse answered with the code the
action's Tencent page lists: Encrypt, GenerateDataKey and ReEncrypt to an asymmetric key and
AsymmetricRsa/Sm2Decrypt with a key of another kind → `InvalidParameterValue.InvalidKeyUsage`;
Sign/Verify with a key that does not sign, GetPublicKey of a symmetric key and rotating an
asymmetric key → `ResourceUnavailable.CmkStateNotSupport`; AsymmetricSm2Decrypt in a region
without SM2 keys → `UnsupportedOperation.UnsupportedKeyUsageInCurrentRegion`; Decrypt of an
asymmetric ciphertext → `InvalidParameterValue.InvalidCiphertext`; Type 2 (EXTERNAL) with an
asymmetric KeyUsage → `InvalidParameterValue.InvalidType`. Nothing refused changes the key."""

import pytest

from asymmetric_support import USAGES, new_asymmetric_key, openssl_encrypt, public_key_of, usage_ids
from e2e_support import FIPS_REGION, SM_REGION, assert_code, assert_codes, b64, unique_alias

INVALID_KEY_USAGE = "InvalidParameterValue.InvalidKeyUsage"
STATE_NOT_SUPPORTED = "ResourceUnavailable.CmkStateNotSupport"


def keys_of(kms, region):
    """One key of every usage the region offers, the symmetric one included: {KeyUsage: KeyId}."""
    keys = {u.key_usage: new_asymmetric_key(kms, u.key_usage) for u in USAGES.values() if u.region == region}
    keys["ENCRYPT_DECRYPT"] = kms.new_key_id()
    return keys


@pytest.mark.parametrize("region_name", [FIPS_REGION, SM_REGION], ids=["fips", "sm"])
def test_every_action_refuses_keys_of_another_usage(client, make_account, region_name):
    # v1 signing (a nonce each): many of these requests share a body ({"KeyId": …}) across actions,
    # and TC3 would make the helpers wait a second for each such pair.
    kms = client(make_account("asym-misuse"), region_name, sign="HmacSHA256")
    keys = keys_of(kms, region_name)
    symmetric = keys["ENCRYPT_DECRYPT"]
    blob = kms.encrypt(symmetric, b"symmetric data")
    cases = []
    for key_usage, key_id in keys.items():
        usage = USAGES.get(key_usage)
        if usage is not None:   # asymmetric: no symmetric action
            cases += [
                (f"Encrypt with {key_usage}", lambda k=key_id: kms.encrypt(k, b"x"), INVALID_KEY_USAGE),
                (f"GenerateDataKey with {key_usage}", lambda k=key_id: kms.GenerateDataKey(KeyId=k, KeySpec="AES_256"),
                 INVALID_KEY_USAGE),
                (f"ReEncrypt to {key_usage}", lambda k=key_id: kms.ReEncrypt(CiphertextBlob=blob, DestinationKeyId=k),
                 INVALID_KEY_USAGE),
                (f"EnableKeyRotation of {key_usage}", lambda k=key_id: kms.EnableKeyRotation(KeyId=k), STATE_NOT_SUPPORTED),
                (f"RotateKey of {key_usage}", lambda k=key_id: kms.call("RotateKey", KeyId=k), STATE_NOT_SUPPORTED),
            ]
        signs = usage is not None and bool(usage.signs)
        if not signs:
            for algorithm in {"ASYMMETRIC_DECRYPT_RSA_2048": ("RSA_PSS_SHA_256",), "ASYMMETRIC_DECRYPT_SM2": ("SM2DSA",),
                              "ENCRYPT_DECRYPT": ("ECC_P256_R1", "SM2DSA")}[key_usage]:
                cases += [
                    (f"Sign with {key_usage}", lambda k=key_id, a=algorithm: kms.SignByAsymmetricKey(
                        KeyId=k, Algorithm=a, Message=b64(b"m")), STATE_NOT_SUPPORTED),
                    (f"Verify with {key_usage}", lambda k=key_id, a=algorithm: kms.VerifyByAsymmetricKey(
                        KeyId=k, Algorithm=a, Message=b64(b"m"), SignatureValue=b64(b"s" * 64)), STATE_NOT_SUPPORTED),
                ]
        if key_usage != "ASYMMETRIC_DECRYPT_RSA_2048":
            cases.append((f"AsymmetricRsaDecrypt with {key_usage}", lambda k=key_id: kms.AsymmetricRsaDecrypt(
                KeyId=k, Ciphertext=b64(b"c" * 256), Algorithm="RSAES_OAEP_SHA_256"), INVALID_KEY_USAGE))
        if key_usage != "ASYMMETRIC_DECRYPT_SM2":
            cases.append((f"AsymmetricSm2Decrypt with {key_usage}", lambda k=key_id: kms.AsymmetricSm2Decrypt(
                KeyId=k, Ciphertext=b64(b"c" * 120)),
                INVALID_KEY_USAGE if region_name == SM_REGION else "UnsupportedOperation.UnsupportedKeyUsageInCurrentRegion"))
    cases.append(("GetPublicKey of a symmetric key", lambda: kms.GetPublicKey(KeyId=symmetric), STATE_NOT_SUPPORTED))
    assert_codes(cases)

    # Nothing refused changed a key: all still Enabled, none rotating, every asymmetric one still working.
    for key_usage, key_id in keys.items():
        meta = kms.DescribeKey(KeyId=key_id).KeyMetadata
        assert (meta.KeyState, meta.KeyUsage, meta.KeyRotationEnabled) == ("Enabled", key_usage, False), key_usage
        assert kms.GetKeyRotationStatus(KeyId=key_id).KeyRotationEnabled is False
        if key_usage in USAGES:
            assert public_key_of(kms, key_id)[0]
    assert kms.decrypt(blob) == b"symmetric data"


def test_disabling_rotation_of_an_asymmetric_key_changes_nothing(client, account_a):
    kms = client(account_a, FIPS_REGION)
    key_id = new_asymmetric_key(kms, "ASYMMETRIC_SIGN_VERIFY_ECC")
    kms.DisableKeyRotation(KeyId=key_id)   # README: a no-op, as for EXTERNAL keys
    assert kms.GetKeyRotationStatus(KeyId=key_id).KeyRotationEnabled is False


def test_decrypt_of_an_asymmetric_ciphertext_is_an_invalid_ciphertext(client, account_a, region):
    """A user who calls Decrypt instead of AsymmetricRsa/Sm2Decrypt gets a clear refusal."""
    kms = client(account_a, region)
    usage = "ASYMMETRIC_DECRYPT_SM2" if region == SM_REGION else "ASYMMETRIC_DECRYPT_RSA_2048"
    key_id = new_asymmetric_key(kms, usage)
    _, pem = public_key_of(kms, key_id)
    ciphertext = openssl_encrypt(pem, b"for the asymmetric key", "sm2" if region == SM_REGION else "oaep-sha256")
    assert_code(lambda: kms.Decrypt(CiphertextBlob=b64(ciphertext)), "InvalidParameterValue.InvalidCiphertext")


@pytest.mark.parametrize("usage", list(USAGES.values()), ids=usage_ids)
def test_asymmetric_keys_cannot_be_external(client, make_account, usage):
    account = make_account("asym-external")
    kms = client(account, usage.region)
    alias = unique_alias()
    assert_code(lambda: kms.CreateKey(Alias=alias, KeyUsage=usage.key_usage, Type=2), "InvalidParameterValue.InvalidType")
    assert kms.ListKeyDetail(KeyUsage="ALL", Limit=200).TotalCount == 0, "a refused CreateKey left a key"
    # the alias is still free
    assert kms.CreateKey(Alias=alias, KeyUsage=usage.key_usage, Type=1).KeyState == "Enabled"
