"""The audit trail covers asymmetric keys like any (SPEC §5, §9): CreateKey of an asymmetric key is
recorded with its KeyId, region, caller and result (committed with the key), and so are
GetPublicKey, Sign, Verify and the asymmetric decrypts, refusals included; `kmsctl audit verify`
still passes. No message, signature, plaintext or ciphertext reaches the audit trail or the
responder's log."""

import json
import os
import time

from asymmetric_support import new_asymmetric_key, openssl_encrypt, public_key_of
from e2e_support import FIPS_REGION, SM_REGION, assert_code, b64, owner_psql, run_ctl


def audit_records(kms_env, account, expected_actions, deadline=5.0):
    """The account's audit records (kmsctl audit tail --json) once every action in
    ``expected_actions`` shows (read-only calls are written in batches)."""
    started = time.monotonic()
    while True:
        out = run_ctl(kms_env.repo, ["audit", "tail", "--account", account.app_id, "--json", "--limit", "0"])
        rows = [json.loads(line) for line in out.splitlines() if line.strip()]
        seen = {r["Action"] for r in rows}
        if set(expected_actions) <= seen or time.monotonic() - started > deadline:
            return rows
        time.sleep(0.1)


def test_asymmetric_key_creation_and_use_are_audited(kms_env, client, make_account):
    account = make_account("asym-audit")
    fips, sm = client(account, FIPS_REGION), client(account, SM_REGION)
    created = fips.CreateKey(Alias="audited-signing-key", KeyUsage="ASYMMETRIC_SIGN_VERIFY_ECC")
    # State changes commit with their record: it is there the moment CreateKey answers.
    [record] = [r for r in audit_records(kms_env, account, ["CreateKey"], deadline=0)
                if r["RequestId"] == created.RequestId]
    assert (record["Action"], record["KeyId"], record["Region"], record["Result"]) == \
        ("CreateKey", created.KeyId, FIPS_REGION, "Success")
    assert str(record["CallerUin"]) == account.uin and str(record["AppId"]) == account.app_id

    sm_key = new_asymmetric_key(sm, "ASYMMETRIC_DECRYPT_SM2")
    public = fips.GetPublicKey(KeyId=created.KeyId)
    signed = fips.SignByAsymmetricKey(KeyId=created.KeyId, Algorithm="ECC_P256_R1", Message=b64(b"audited message"))
    verified = fips.VerifyByAsymmetricKey(KeyId=created.KeyId, Algorithm="ECC_P256_R1", Message=b64(b"audited message"),
                                          SignatureValue=signed.Signature)
    decrypted = sm.AsymmetricSm2Decrypt(KeyId=sm_key, Ciphertext=b64(openssl_encrypt(public_key_of(sm, sm_key)[1],
                                                                                     b"audited plaintext", "sm2")))
    assert_code(lambda: fips.SignByAsymmetricKey(KeyId=created.KeyId, Algorithm="SM2DSA",
                                                              Message=b64(b"x")), "InvalidParameter")
    expected = {public.RequestId: ("GetPublicKey", created.KeyId, "Success"),
                signed.RequestId: ("SignByAsymmetricKey", created.KeyId, "Success"),
                verified.RequestId: ("VerifyByAsymmetricKey", created.KeyId, "Success"),
                decrypted.RequestId: ("AsymmetricSm2Decrypt", sm_key, "Success")}
    rows = audit_records(kms_env, account, ["GetPublicKey", "SignByAsymmetricKey", "VerifyByAsymmetricKey",
                                            "AsymmetricSm2Decrypt"])
    by_id = {r["RequestId"]: r for r in rows}
    for request_id, (action, key_id, result) in expected.items():
        assert request_id in by_id, f"{action} ({request_id}) is not in the audit trail"
        row = by_id[request_id]
        assert (row["Action"], row["KeyId"], row["Result"]) == (action, key_id, result), row
    refused = [r for r in rows if r["Action"] == "SignByAsymmetricKey" and r["Result"] == "InvalidParameter"]
    assert len(refused) == 1, f"the refused Sign is not recorded once: {refused}"

    run_ctl(kms_env.repo, ["audit", "verify"])   # fails the test unless the chain verifies


def access_log_count(path, needle):
    with open(path, "rb") as fh:
        return fh.read().count(needle)


def test_no_message_signature_or_plaintext_reaches_the_log_or_the_audit_trail(kms_env, client, make_account):
    account = make_account("asym-secrets")
    fips, sm = client(account, FIPS_REGION), client(account, SM_REGION)
    access = os.path.join(kms_env.home, "log", "nginx-access.log")
    signs_before = access_log_count(access, b'"SignByAsymmetricKey"')
    sign_key = new_asymmetric_key(fips, "ASYMMETRIC_SIGN_VERIFY_RSA_2048")
    rsa_key = new_asymmetric_key(fips, "ASYMMETRIC_DECRYPT_RSA_2048")
    sm_key = new_asymmetric_key(sm, "ASYMMETRIC_DECRYPT_SM2")
    message = b"asym-message-" + os.urandom(12).hex().encode()
    plaintext = b"asym-plaintext-" + os.urandom(12).hex().encode()
    signature = fips.SignByAsymmetricKey(KeyId=sign_key, Algorithm="RSA_PKCS1_SHA_256", Message=b64(message)).Signature
    fips.VerifyByAsymmetricKey(KeyId=sign_key, Algorithm="RSA_PKCS1_SHA_256", Message=b64(message),
                               SignatureValue=signature)
    rsa_ciphertext = b64(openssl_encrypt(public_key_of(fips, rsa_key)[1], plaintext, "pkcs1"))
    assert fips.AsymmetricRsaDecrypt(KeyId=rsa_key, Ciphertext=rsa_ciphertext, Algorithm="RSAES_PKCS1_V1_5").Plaintext
    sm_ciphertext = b64(openssl_encrypt(public_key_of(sm, sm_key)[1], plaintext, "sm2"))
    assert sm.AsymmetricSm2Decrypt(KeyId=sm_key, Ciphertext=sm_ciphertext).Plaintext
    # Refusals carry the input too: a decrypt with the wrong algorithm, a Sign over the limit.
    assert_code(lambda: fips.AsymmetricRsaDecrypt(KeyId=rsa_key, Ciphertext=rsa_ciphertext,
                                                  Algorithm="RSAES_OAEP_SHA_1"), "FailedOperation.DecryptError")
    assert_code(lambda: fips.SignByAsymmetricKey(KeyId=sign_key, Algorithm="RSA_PKCS1_SHA_256",
                                                 Message=b64(message * 300)), "InvalidParameter")
    audit_records(kms_env, account, ["AsymmetricSm2Decrypt", "AsymmetricRsaDecrypt", "VerifyByAsymmetricKey"])

    secrets = {"message": message, "message (Base64)": b64(message).encode(), "plaintext": plaintext,
               "plaintext (Base64)": b64(plaintext).encode(), "signature": signature.encode(),
               "signature (part)": signature[20:60].encode(), "RSA ciphertext": rsa_ciphertext[10:60].encode(),
               "SM2 ciphertext": sm_ciphertext[10:60].encode()}
    with open(os.path.join(kms_env.home, "log", "responder.log"), "rb") as fh:
        log = fh.read()
    # nginx writes its access log every second (buffer=64k flush=1s): wait for this test's lines.
    deadline = time.monotonic() + 5
    while access_log_count(access, b'"SignByAsymmetricKey"') < signs_before + 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    with open(access, "rb") as fh:
        log += fh.read()
    dump = owner_psql(kms_env.home, f"SELECT set_config('kms.app_id', '{account.app_id}', false); "
                                    f"SELECT coalesce(string_agg(a::text, '|'), '') FROM audit_log a "
                                    f"WHERE app_id = {account.app_id}").encode()
    assert dump.count(b"SignByAsymmetricKey") >= 2, "the account's audit records were not read"
    leaked = [f"{what} in {where}" for what, value in secrets.items()
              for where, text in (("the logs", log), ("the audit trail", dump)) if value in text]
    assert leaked == [], f"secrets leaked: {leaked}"
