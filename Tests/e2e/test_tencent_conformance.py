"""Behaviour as Tencent documents it where the first build differed (SPEC §3, §4, §9 last bullet;
issue 10 items 11-20): ResourceId, GetServiceStatus, ReEncrypt without change, RotateKey's
preconditions, rotation status of EXTERNAL keys, Archived keys, Role, idempotent Enable/Disable,
malformed and duplicated KeyIds, and the SDK's MemberAccount object."""

import pytest

from e2e_support import (
    FIPS_REGION, SM_REGION, assert_code, assert_codes, b64, now, random_key_id, unb64,
)

NOT_FOUND = "ResourceUnavailable.CmkNotFound"
ARCHIVED = "ResourceUnavailable.CmkArchived"
INVALID_KEY_ID = "InvalidParameterValue.InvalidKeyId"
DUPLICATED_KEY_ID = "InvalidParameterValue.DuplicatedKeyId"
ROTATE_NOT_SUPPORTED = "UnsupportedOperation.RotateNotSupported"
ROTATE_RATE_LIMITED = "RequestLimitExceeded.RotateRateLimited"
EXTERNAL_CANNOT_ROTATE = "UnsupportedOperation.ExternalCmkCanNotRotate"
NOT_ROLE_OPERATION = "UnsupportedOperation.NotRoleOperation"
CONTEXT = '{"purpose":"conformance","tenant":"a"}'
SAME_CONTEXT_REORDERED = '{ "tenant": "a", "purpose": "conformance" }'
OTHER_CONTEXT = '{"purpose":"conformance","tenant":"b"}'

# Every action that takes one KeyId, with the other parameters it needs.
SINGLE_KEY_ACTIONS = {
    "DescribeKey": {}, "EnableKey": {}, "DisableKey": {}, "ArchiveKey": {}, "CancelKeyArchive": {},
    "UpdateAlias": {"Alias": "conformance-never-applied"}, "UpdateKeyDescription": {"Description": "never"},
    "ScheduleKeyDeletion": {"PendingWindowInDays": 7}, "CancelKeyDeletion": {},
    "EnableKeyRotation": {}, "DisableKeyRotation": {}, "GetKeyRotationStatus": {}, "RotateKey": {},
    "Encrypt": {"Plaintext": "aGVsbG8="}, "GenerateDataKey": {"KeySpec": "AES_256"},
    "GetParametersForImport": {"WrappingAlgorithm": "RSAES_OAEP_SHA_256", "WrappingKeySpec": "RSA_2048"},
    "ImportKeyMaterial": {"ImportToken": "dG9rZW4=", "EncryptedKeyMaterial": "bWF0ZXJpYWw="},
    "DeleteImportedKeyMaterial": {},
}
BATCH_ACTIONS = ("DescribeKeys", "EnableKeys", "DisableKeys")
MALFORMED_IDS = ["not-a-key-id", "' OR '1'='1", "x" * 36, random_key_id() + "0", random_key_id()[:-1] + "g"]


def material_version(blob):
    """The envelope's material version: big-endian u32 after the key id (format, profile, 16-byte id)."""
    raw = unb64(blob)
    return int.from_bytes(raw[18:22], "big")


def key_params(action, key_id):
    params = {"KeyId": key_id, **SINGLE_KEY_ACTIONS.get(action, {})}
    if action == "UpdateAlias":
        params["Alias"] = f"conf-{random_key_id()[:12]}"
    return params


# ------------------------------------------------------------------------------------------------
# 11, 12: ResourceId and GetServiceStatus
# ------------------------------------------------------------------------------------------------

def test_resource_id_is_creator_uin_and_key_id(kms_a, account_a):
    key_id = kms_a.new_key_id()
    expected = f"creatorUin/{account_a.uin}/{key_id}"
    assert kms_a.DescribeKey(KeyId=key_id).KeyMetadata.ResourceId == expected
    assert [m.ResourceId for m in kms_a.DescribeKeys(KeyIds=[key_id]).KeyMetadatas] == [expected]
    listed = {m.KeyId: m.ResourceId for m in kms_a.ListKeyDetail(Limit=200).KeyMetadatas}
    assert listed[key_id] == expected


def test_get_service_status_reports_a_normal_service(fips_a):
    resp = fips_a.GetServiceStatus()
    assert (resp.ServiceEnabled, resp.InvalidType) == (True, 1)


# ------------------------------------------------------------------------------------------------
# 13: ReEncrypt
# ------------------------------------------------------------------------------------------------

def test_reencrypt_into_same_unrotated_key_and_context_returns_the_original_blob(kms_a):
    key_id = kms_a.new_key_id()
    blob = kms_a.encrypt(key_id, b"leave me be", CONTEXT)
    resp = kms_a.ReEncrypt(CiphertextBlob=blob, SourceEncryptionContext=CONTEXT,
                           DestinationEncryptionContext=SAME_CONTEXT_REORDERED)
    assert (resp.CiphertextBlob, resp.ReEncrypted, resp.KeyId, resp.SourceKeyId) == (blob, False, key_id, key_id)
    resp = kms_a.ReEncrypt(CiphertextBlob=blob, DestinationKeyId=key_id, SourceEncryptionContext=CONTEXT,
                           DestinationEncryptionContext=CONTEXT)
    assert (resp.CiphertextBlob, resp.ReEncrypted) == (blob, False)
    plain = kms_a.encrypt(key_id, b"no context")
    assert (kms_a.ReEncrypt(CiphertextBlob=plain).CiphertextBlob, kms_a.ReEncrypt(CiphertextBlob=plain).ReEncrypted) \
        == (plain, False)


def test_reencrypt_reports_true_whenever_the_blob_changes(kms_a):
    key_id, other = kms_a.new_key_id(), kms_a.new_key_id()
    blob = kms_a.encrypt(key_id, b"change me", CONTEXT)
    new_context = kms_a.ReEncrypt(CiphertextBlob=blob, SourceEncryptionContext=CONTEXT,
                                  DestinationEncryptionContext=OTHER_CONTEXT)
    assert new_context.ReEncrypted is True and new_context.CiphertextBlob != blob
    assert kms_a.decrypt(new_context.CiphertextBlob, OTHER_CONTEXT) == b"change me"
    dropped = kms_a.ReEncrypt(CiphertextBlob=blob, SourceEncryptionContext=CONTEXT)
    assert dropped.ReEncrypted is True and kms_a.decrypt(dropped.CiphertextBlob) == b"change me"
    moved = kms_a.ReEncrypt(CiphertextBlob=blob, DestinationKeyId=other, SourceEncryptionContext=CONTEXT,
                            DestinationEncryptionContext=CONTEXT)
    assert (moved.ReEncrypted, moved.KeyId) == (True, other) and moved.CiphertextBlob != blob
    kms_a.EnableKeyRotation(KeyId=key_id)
    kms_a.RotateKey(KeyId=key_id)
    rotated = kms_a.ReEncrypt(CiphertextBlob=blob, SourceEncryptionContext=CONTEXT,
                              DestinationEncryptionContext=CONTEXT)
    assert rotated.ReEncrypted is True and rotated.CiphertextBlob != blob
    assert (material_version(blob), material_version(rotated.CiphertextBlob)) == (1, 2)
    again = kms_a.ReEncrypt(CiphertextBlob=rotated.CiphertextBlob, SourceEncryptionContext=CONTEXT,
                            DestinationEncryptionContext=CONTEXT)
    assert (again.CiphertextBlob, again.ReEncrypted) == (rotated.CiphertextBlob, False)


# ------------------------------------------------------------------------------------------------
# 14, 15: RotateKey, rotation of EXTERNAL keys
# ------------------------------------------------------------------------------------------------

def test_rotate_key_needs_rotation_enabled(kms_a):
    key_id = kms_a.new_key_id()
    assert_code(lambda: kms_a.RotateKey(KeyId=key_id), ROTATE_NOT_SUPPORTED)
    kms_a.EnableKeyRotation(KeyId=key_id, RotateDays=30)
    kms_a.DisableKeyRotation(KeyId=key_id)
    assert_code(lambda: kms_a.RotateKey(KeyId=key_id), ROTATE_NOT_SUPPORTED)
    meta = kms_a.DescribeKey(KeyId=key_id).KeyMetadata
    assert meta.LastRotateTime == 0
    assert material_version(kms_a.encrypt(key_id, b"v1")) == 1


def test_rotate_key_runs_at_most_once_in_24_hours(kms_a):
    key_id = kms_a.new_key_id()
    kms_a.EnableKeyRotation(KeyId=key_id, RotateDays=7)
    kms_a.RotateKey(KeyId=key_id)
    first = kms_a.DescribeKey(KeyId=key_id).KeyMetadata.LastRotateTime
    assert abs(first - now()) <= 5
    assert_code(lambda: kms_a.RotateKey(KeyId=key_id), ROTATE_RATE_LIMITED)
    assert kms_a.DescribeKey(KeyId=key_id).KeyMetadata.LastRotateTime == first
    assert material_version(kms_a.encrypt(key_id, b"v2")) == 2
    other = kms_a.new_key_id()  # the limit is per key
    kms_a.EnableKeyRotation(KeyId=other)
    kms_a.RotateKey(KeyId=other)


def test_external_key_reports_rotation_disabled_and_disabling_it_is_a_no_op(kms_a):
    key_id = kms_a.new_key_id(Type=2)
    assert kms_a.GetKeyRotationStatus(KeyId=key_id).KeyRotationEnabled is False
    kms_a.DisableKeyRotation(KeyId=key_id)
    assert_codes([
        ("EnableKeyRotation", lambda: kms_a.EnableKeyRotation(KeyId=key_id, RotateDays=30), EXTERNAL_CANNOT_ROTATE),
        ("RotateKey", lambda: kms_a.RotateKey(KeyId=key_id), EXTERNAL_CANNOT_ROTATE),
    ])
    meta = kms_a.DescribeKey(KeyId=key_id).KeyMetadata
    assert (meta.KeyState, meta.KeyRotationEnabled, meta.NextRotateTime) == ("PendingImport", False, 0)


# ------------------------------------------------------------------------------------------------
# 16: Archived keys
# ------------------------------------------------------------------------------------------------

def test_archived_key_refuses_encryption_with_cmk_archived(kms_a):
    key_id, source = kms_a.new_key_id(), kms_a.new_key_id()
    blob = kms_a.encrypt(key_id, b"archived", CONTEXT)
    source_blob = kms_a.encrypt(source, b"to an archived key")
    kms_a.ArchiveKey(KeyId=key_id)
    assert_codes([
        ("Encrypt", lambda: kms_a.encrypt(key_id, b"x"), ARCHIVED),
        ("GenerateDataKey", lambda: kms_a.GenerateDataKey(KeyId=key_id, KeySpec="AES_256"), ARCHIVED),
        ("GenerateDataKey NumberOfBytes", lambda: kms_a.GenerateDataKey(KeyId=key_id, NumberOfBytes=8), ARCHIVED),
        ("ReEncrypt to it", lambda: kms_a.ReEncrypt(CiphertextBlob=source_blob, DestinationKeyId=key_id), ARCHIVED),
        ("ReEncrypt into itself", lambda: kms_a.ReEncrypt(CiphertextBlob=blob, SourceEncryptionContext=CONTEXT,
                                                          DestinationEncryptionContext=CONTEXT), ARCHIVED),
    ])
    assert kms_a.decrypt(blob, CONTEXT) == b"archived"


# ------------------------------------------------------------------------------------------------
# 17: Role
# ------------------------------------------------------------------------------------------------

def test_role_1_lists_no_keys_and_role_0_lists_the_users_keys(client, make_account):
    kms = client(make_account("role"), FIPS_REGION)
    keys = sorted(kms.new_key_id() for _ in range(2))
    for role in (None, 0):
        fields = {} if role is None else {"Role": role}
        listed = kms.ListKeys(**fields)
        assert (sorted(k.KeyId for k in listed.Keys), listed.TotalCount) == (keys, 2), f"ListKeys Role={role}"
        detail = kms.ListKeyDetail(**fields)
        assert (sorted(m.KeyId for m in detail.KeyMetadatas), detail.TotalCount) == (keys, 2), f"Detail Role={role}"
    listed = kms.ListKeys(Role=1)
    assert (listed.Keys or [], listed.TotalCount) == ([], 0)
    for state in (0, 1):
        detail = kms.ListKeyDetail(Role=1, KeyState=state)
        assert (detail.KeyMetadatas or [], detail.TotalCount) == ([], 0), f"KeyState={state}"
    assert_code(lambda: kms.ListKeys(Role=2), "InvalidParameterValue*")


# ------------------------------------------------------------------------------------------------
# 18: EnableKey / DisableKey / EnableKeys / DisableKeys in the state they ask for
# ------------------------------------------------------------------------------------------------

def test_enable_enabled_key_and_disable_disabled_key_succeed_without_change(kms_a):
    enabled = kms_a.new_key_id()
    kms_a.EnableKey(KeyId=enabled)
    assert kms_a.state(enabled) == "Enabled"
    disabled = kms_a.new_key_id()
    kms_a.DisableKey(KeyId=disabled)
    kms_a.DisableKey(KeyId=disabled)
    assert kms_a.state(disabled) == "Disabled"
    assert_code(lambda: kms_a.encrypt(disabled, b"x"), "ResourceUnavailable.CmkDisabled")


def test_batches_accept_keys_already_in_the_target_state(kms_a):
    enabled = [kms_a.new_key_id() for _ in range(2)]
    disabled = kms_a.new_key_id()
    kms_a.DisableKey(KeyId=disabled)
    kms_a.DisableKeys(KeyIds=[enabled[0], disabled, enabled[1]])
    assert {kms_a.state(k) for k in enabled + [disabled]} == {"Disabled"}
    kms_a.EnableKey(KeyId=enabled[0])
    kms_a.EnableKeys(KeyIds=[enabled[0], disabled, enabled[1]])
    assert {kms_a.state(k) for k in enabled + [disabled]} == {"Enabled"}


# ------------------------------------------------------------------------------------------------
# 19: malformed and duplicated KeyIds
# ------------------------------------------------------------------------------------------------

def test_a_key_id_that_is_not_a_uuid_is_invalid_key_id_in_every_action(fips_a):
    cases = [(f"{action} {bad!r}", lambda a=action, k=bad: fips_a.call(a, **key_params(a, k)), INVALID_KEY_ID)
             for action in SINGLE_KEY_ACTIONS for bad in MALFORMED_IDS[:2]]
    cases += [(f"{action} {bad!r}", lambda a=action, k=bad: fips_a.call(a, KeyIds=[k]), INVALID_KEY_ID)
              for action in BATCH_ACTIONS for bad in MALFORMED_IDS]
    blob = fips_a.encrypt(fips_a.new_key_id(), b"x")
    cases.append(("ReEncrypt DestinationKeyId",
                  lambda: fips_a.ReEncrypt(CiphertextBlob=blob, DestinationKeyId="not-a-key-id"), INVALID_KEY_ID))
    cases += [(f"DescribeKey {bad!r}", lambda k=bad: fips_a.DescribeKey(KeyId=k), INVALID_KEY_ID)
              for bad in MALFORMED_IDS]
    # a well-formed id of no key stays CmkNotFound
    cases += [(f"{action} unknown", lambda a=action: fips_a.call(a, **key_params(a, random_key_id())), NOT_FOUND)
              for action in ("DescribeKey", "EnableKey", "Encrypt", "RotateKey")]
    assert_codes(cases)


def test_a_malformed_id_in_a_batch_changes_nothing(fips_a):
    enabled = fips_a.new_key_id()
    assert_code(lambda: fips_a.DisableKeys(KeyIds=[enabled, "not-a-key-id"]), INVALID_KEY_ID)
    assert fips_a.state(enabled) == "Enabled"


def test_the_same_key_id_twice_in_a_batch_is_duplicated_key_id(fips_a):
    a, b = fips_a.new_key_id(), fips_a.new_key_id()
    cases = []
    for action in BATCH_ACTIONS:
        for label, ids in (("twice", [a, b, a]), ("upper-case copy", [a, a.upper()]), ("100 of one", [b] * 100)):
            cases.append((f"{action} {label}", lambda act=action, i=ids: fips_a.call(act, KeyIds=i), DUPLICATED_KEY_ID))
    assert_codes(cases)
    assert (fips_a.state(a), fips_a.state(b)) == ("Enabled", "Enabled")
    assert fips_a.DescribeKey(KeyId=a.upper()).KeyMetadata.KeyId == a  # upper case names the same key


# ------------------------------------------------------------------------------------------------
# 20: MemberAccount
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("method,sign", [("POST", "TC3-HMAC-SHA256"), ("GET", "HmacSHA256")], ids=["tc3-json", "v1-get"])
def test_an_empty_member_account_object_is_accepted(client, account_a, method, sign):
    kms = client(account_a, FIPS_REGION, method=method, sign=sign)
    key_id = kms.new_key_id()
    # In an order every action succeeds in; the SDK model sends MemberAccount as {} (JSON) or,
    # flattened into a form, not at all.
    for action in ("DescribeKey", "EnableKey", "UpdateAlias", "UpdateKeyDescription", "EnableKeyRotation",
                   "GetKeyRotationStatus", "RotateKey", "DisableKeyRotation", "DisableKey"):
        getattr(kms, action)(**key_params(action, key_id), MemberAccount={})
    kms.DescribeKeys(KeyIds=[key_id], MemberAccount={})
    kms.EnableKey(KeyId=key_id)
    kms.DisableKeys(KeyIds=[key_id], MemberAccount={})
    kms.EnableKeys(KeyIds=[key_id], MemberAccount={})
    kms.ArchiveKey(KeyId=key_id, MemberAccount={})
    kms.CancelKeyArchive(KeyId=key_id, MemberAccount={})
    kms.DisableKey(KeyId=key_id)
    kms.ScheduleKeyDeletion(KeyId=key_id, PendingWindowInDays=7, MemberAccount={})
    kms.CancelKeyDeletion(KeyId=key_id, MemberAccount={})
    kms.ListKeyDetail(MemberAccounts=[])
    assert kms.state(key_id) == "Disabled"


def test_a_member_account_that_names_a_member_is_not_this_roles_operation(fips_a):
    # Acting for a member account is for a trusted service's admin or delegated admin; no caller
    # here is one: the code Tencent lists for every action that takes MemberAccount.
    key_id = fips_a.new_key_id()
    assert_codes([
        ("DescribeKey", lambda: fips_a.call("DescribeKey", KeyId=key_id, MemberAccount={"MemberAppId": 1}),
         NOT_ROLE_OPERATION),
        ("DisableKey", lambda: fips_a.call("DisableKey", KeyId=key_id, MemberAccount={"MemberUin": 2}), NOT_ROLE_OPERATION),
        ("DisableKeys", lambda: fips_a.call("DisableKeys", KeyIds=[key_id], MemberAccount={"MemberAppId": 1}),
         NOT_ROLE_OPERATION),
        ("ListKeyDetail", lambda: fips_a.call("ListKeyDetail", MemberAccounts=[{"MemberAppId": 1}]), NOT_ROLE_OPERATION),
        ("not an object", lambda: fips_a.call("DescribeKey", KeyId=key_id, MemberAccount="x"), "InvalidParameter"),
    ])
    assert fips_a.state(key_id) == "Enabled"
