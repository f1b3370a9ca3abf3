"""Asymmetric keys in the state machine and behind the isolation walls (SPEC §3, §9): every
asymmetric action (GetPublicKey, Sign, Verify, AsymmetricRsa/Sm2Decrypt) needs an Enabled key —
Disabled, PendingDelete and Archived keys answer `ResourceUnavailable.CmkStateNotSupport` (Tencent:
only Enabled keys decrypt or give their public key), and the key works again once Enabled; another
account's key, or the key from another region, is `ResourceUnavailable.CmkNotFound`, exactly like
a key that never existed."""

import pytest

from asymmetric_support import (
    USAGES, new_asymmetric_key, openssl_encrypt, openssl_verify_message, public_key_of, usage_ids,
)
from e2e_support import FIPS_REGION, SM_REGION, assert_codes, b64, owner_psql, random_key_id, unb64

STATE_NOT_SUPPORTED = "ResourceUnavailable.CmkStateNotSupport"
NOT_FOUND = "ResourceUnavailable.CmkNotFound"


def asymmetric_calls(kms, usage, key_id, pem):
    """(label, call) for every asymmetric action the key's usage allows, with valid inputs."""
    calls = [("GetPublicKey", lambda: kms.GetPublicKey(KeyId=key_id))]
    for algorithm in usage.signs:
        calls += [
            (f"Sign {algorithm}", lambda a=algorithm: kms.SignByAsymmetricKey(KeyId=key_id, Algorithm=a, Message=b64(b"m"))),
            (f"Verify {algorithm}", lambda a=algorithm: kms.VerifyByAsymmetricKey(
                KeyId=key_id, Algorithm=a, Message=b64(b"m"), SignatureValue=b64(b"s" * 70))),
        ]
    if usage.key_usage == "ASYMMETRIC_DECRYPT_RSA_2048":
        ciphertext = b64(openssl_encrypt(pem, b"state", "oaep-sha256"))
        calls.append(("AsymmetricRsaDecrypt", lambda: kms.AsymmetricRsaDecrypt(
            KeyId=key_id, Ciphertext=ciphertext, Algorithm="RSAES_OAEP_SHA_256")))
    if usage.key_usage == "ASYMMETRIC_DECRYPT_SM2":
        ciphertext = b64(openssl_encrypt(pem, b"state", "sm2"))
        calls.append(("AsymmetricSm2Decrypt", lambda: kms.AsymmetricSm2Decrypt(KeyId=key_id, Ciphertext=ciphertext)))
    return calls


def all_work(calls):
    for label, call in calls:
        assert call().RequestId, label


@pytest.mark.parametrize("usage", list(USAGES.values()), ids=usage_ids)
def test_only_enabled_asymmetric_keys_are_used(client, account_a, usage):
    kms = client(account_a, usage.region)
    # State changes go signed with v1 (a nonce each): TC3 requests of the same body for different
    # actions in one second would share a signature, and the SDK helpers wait a second for each.
    admin = client(account_a, usage.region, sign="HmacSHA256")
    key_id = new_asymmetric_key(kms, usage.key_usage)
    _, pem = public_key_of(kms, key_id)
    calls = asymmetric_calls(kms, usage, key_id, pem)
    all_work(calls)

    admin.DisableKey(KeyId=key_id)
    assert_codes([(f"Disabled: {label}", call, STATE_NOT_SUPPORTED) for label, call in calls])
    admin.EnableKey(KeyId=key_id)
    all_work(calls)

    admin.DisableKey(KeyId=key_id)
    admin.ScheduleKeyDeletion(KeyId=key_id, PendingWindowInDays=7)
    assert admin.state(key_id) == "PendingDelete"
    assert_codes([(f"PendingDelete: {label}", call, STATE_NOT_SUPPORTED) for label, call in calls])
    admin.CancelKeyDeletion(KeyId=key_id)
    admin.EnableKey(KeyId=key_id)
    all_work(calls)

    admin.ArchiveKey(KeyId=key_id)
    assert admin.state(key_id) == "Archived"
    assert_codes([(f"Archived: {label}", call, STATE_NOT_SUPPORTED) for label, call in calls])
    admin.CancelKeyArchive(KeyId=key_id)
    assert admin.state(key_id) == "Enabled"
    all_work(calls)
    # The same key pair throughout: the public key did not change.
    assert public_key_of(kms, key_id)[1] == pem


def test_a_signature_made_before_a_disable_verifies_with_openssl_meanwhile_and_with_the_key_after(client, account_a):
    usage = USAGES["ASYMMETRIC_SIGN_VERIFY_ECC"]
    kms = client(account_a, usage.region)
    key_id = new_asymmetric_key(kms, usage.key_usage)
    _, pem = public_key_of(kms, key_id)
    message = b"signed before the disable"
    signature = unb64(kms.SignByAsymmetricKey(KeyId=key_id, Algorithm="ECC_P256_R1", Message=b64(message)).Signature)
    kms.DisableKey(KeyId=key_id)
    assert openssl_verify_message(pem, "ECC_P256_R1", message, signature)  # the public key is the user's to keep
    kms.EnableKey(KeyId=key_id)
    assert kms.VerifyByAsymmetricKey(KeyId=key_id, Algorithm="ECC_P256_R1", Message=b64(message),
                                     SignatureValue=b64(signature)).SignatureValid is True


@pytest.mark.parametrize("region_name", [FIPS_REGION, SM_REGION], ids=["fips", "sm"])
def test_another_accounts_or_regions_asymmetric_key_is_not_found(client, make_account, region_name):
    owner, stranger = make_account("asym-owner"), make_account("asym-stranger")
    mine = client(owner, region_name)
    theirs = client(stranger, region_name)
    elsewhere = client(owner, SM_REGION if region_name == FIPS_REGION else FIPS_REGION)
    cases = []
    for usage in USAGES.values():
        if usage.region != region_name:
            continue
        key_id = new_asymmetric_key(mine, usage.key_usage)
        _, pem = public_key_of(mine, key_id)
        for who, kms in (("another account", theirs), ("another region", elsewhere)):
            for label, call in asymmetric_calls(kms, usage, key_id, pem):
                expected = NOT_FOUND
                if label == "AsymmetricSm2Decrypt" and who == "another region":
                    expected = "UnsupportedOperation.UnsupportedKeyUsageInCurrentRegion"  # no SM2 keys there at all
                cases.append((f"{usage.key_usage} from {who}: {label}", call, expected))
        # A key id that never existed answers the same.
        for label, call in asymmetric_calls(mine, usage, random_key_id(), pem):
            cases.append((f"{usage.key_usage} never existed: {label}", call, NOT_FOUND))
    assert_codes(cases)


def test_a_key_past_its_deletion_date_is_gone(client, make_account, kms_env):
    """Deadlines hold on arrival: an asymmetric key past its DeletionDate is CmkNotFound for the
    asymmetric actions before the scheduled worker has destroyed it (as test_deadlines does for
    symmetric keys: the deadline moved back in the database, the worker's job far ahead)."""
    account = make_account("asym-deleted")
    usage = USAGES["ASYMMETRIC_SIGN_VERIFY_SM2"]
    kms = client(account, usage.region)
    key_id = new_asymmetric_key(kms, usage.key_usage)
    _, pem = public_key_of(kms, key_id)
    kms.DisableKey(KeyId=key_id)
    kms.ScheduleKeyDeletion(KeyId=key_id, PendingWindowInDays=7)
    scope = (f"BEGIN; SELECT set_config('kms.app_id', '{account.app_id}', true), "
             f"set_config('kms.region', '{usage.region}', true); ")
    owner_psql(kms_env.home, scope + f"UPDATE keys SET deletion_date = extract(epoch FROM now())::bigint - 1 "
                                     f"WHERE key_id = '{key_id}'; UPDATE scheduled_jobs SET due_at = 4000000000 "
                                     f"WHERE kind = 'delete_key' AND key_id = '{key_id}'; COMMIT;")
    assert_codes([(label, call, NOT_FOUND) for label, call in asymmetric_calls(kms, usage, key_id, pem)])
    rows = owner_psql(kms_env.home, scope + f"SELECT count(*) FROM keys WHERE key_id = '{key_id}'; COMMIT;")
    assert rows.splitlines()[-1] == "1", "the worker ran: the refusals were not checks on arrival"
