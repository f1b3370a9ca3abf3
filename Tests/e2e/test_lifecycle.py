"""Key lifecycle beyond enable/disable: ScheduleKeyDeletion / CancelKeyDeletion, ArchiveKey /
CancelKeyArchive, EnableKeys / DisableKeys, rotation (EnableKeyRotation, DisableKeyRotation,
GetKeyRotationStatus, RotateKey), ReEncrypt, and other accounts on all of them -- in a FIPS and in
the SM region (SPEC §3, §4). Destruction at the end of the deletion window and automatic rotation
are tested in Swift with an injected clock."""

import pytest

from e2e_support import (
    FIPS_REGION, FIPS_REGION_2, SM_REGION, assert_code, assert_codes, now, random_key_id, unb64,
    unique_alias,
)

NOT_FOUND = "ResourceUnavailable.CmkNotFound"
STATE_NOT_SUPPORTED = "ResourceUnavailable.CmkStateNotSupport"
SHOULD_BE_DISABLED = "ResourceUnavailable.CmkShouldBeDisabled"
NOT_PENDING_DELETE = "ResourceUnavailable.CmkNotPendingDelete"
KEY_PENDING_DELETE = "ResourceUnavailable.KeyPendingDelete"
DISABLED = "ResourceUnavailable.CmkDisabled"
INVALID_WINDOW = "InvalidParameter.InvalidPendingWindowInDays"
INVALID_CIPHERTEXT = "InvalidParameterValue.InvalidCiphertext"
EXTERNAL_CANNOT_ROTATE = "UnsupportedOperation.ExternalCmkCanNotRotate"
ARCHIVED = "ResourceUnavailable.CmkArchived"
INVALID_KEY_ID = "InvalidParameterValue.InvalidKeyId"
DUPLICATED_KEY_ID = "InvalidParameterValue.DuplicatedKeyId"

DAY = 86400
SLACK = 5  # seconds of tolerance on service-computed timestamps
CONTEXT = '{"purpose":"lifecycle","tenant":"a"}'
OTHER_CONTEXT = '{"purpose":"lifecycle","tenant":"b"}'


# ------------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------------

def disabled_key(kms, **fields):
    key_id = kms.new_key_id(**fields)
    kms.DisableKey(KeyId=key_id)
    return key_id


def archived_key(kms, **fields):
    key_id = kms.new_key_id(**fields)
    kms.ArchiveKey(KeyId=key_id)
    return key_id


def pending_delete_key(kms, days=7, **fields):
    key_id = disabled_key(kms, **fields)
    kms.ScheduleKeyDeletion(KeyId=key_id, PendingWindowInDays=days)
    return key_id


def keys_in_every_state(kms):
    """One fresh key per state: name -> KeyId."""
    return {
        "Enabled": kms.new_key_id(),
        "Disabled": disabled_key(kms),
        "PendingImport": kms.new_key_id(Type=2),
        "Archived": archived_key(kms),
        "PendingDelete": pending_delete_key(kms),
    }


def snapshot(kms, key_id):
    return kms.DescribeKey(KeyId=key_id).KeyMetadata.to_json_string(sort_keys=True)


def states(kms, key_ids):
    return {k: kms.state(k) for k in key_ids}


def assert_about(actual, expected, label):
    assert isinstance(actual, int), f"{label}: {actual!r} is not an integer"
    assert abs(actual - expected) <= SLACK, f"{label}: {actual} differs from {expected} by {actual - expected} s"


def timed(call):
    """Run ``call()``; return (result, mid-point of the call in Unix seconds)."""
    before = now()
    result = call()
    return result, (before + now()) / 2


def _ids(metadatas):
    return [m.KeyId for m in (metadatas or [])]


def detail_ids(kms, key_state):
    return _ids(kms.ListKeyDetail(KeyState=key_state, Limit=200).KeyMetadatas)


# blob layout (SPEC §4, Sources/KMSCore/CiphertextEnvelope.swift):
# format version (1) | algorithm (1) | key id (16) | material version (u32 BE) | nonce | ciphertext | tag
KEY_ID_END = 18
HEADER_END = 22


def material_version(blob):
    return int.from_bytes(unb64(blob)[KEY_ID_END:HEADER_END], "big")


# ================================================================================================
# ScheduleKeyDeletion
# ================================================================================================

@pytest.mark.parametrize("days", [7, 30])
def test_schedule_deletion_of_disabled_key_makes_it_pending_delete_with_deletion_date(kms_a, days):
    key_id = disabled_key(kms_a)
    resp, at = timed(lambda: kms_a.ScheduleKeyDeletion(KeyId=key_id, PendingWindowInDays=days))
    assert resp.KeyId == key_id
    assert_about(resp.DeletionDate, at + days * DAY, "ScheduleKeyDeletion.DeletionDate")
    meta = kms_a.DescribeKey(KeyId=key_id).KeyMetadata
    assert meta.KeyState == "PendingDelete"
    assert meta.DeletionDate == resp.DeletionDate


def test_schedule_deletion_of_pending_import_key_makes_it_pending_delete(kms_a):
    key_id = kms_a.new_key_id(Type=2)
    resp, at = timed(lambda: kms_a.ScheduleKeyDeletion(KeyId=key_id, PendingWindowInDays=10))
    assert resp.KeyId == key_id
    assert_about(resp.DeletionDate, at + 10 * DAY, "DeletionDate")
    meta = kms_a.DescribeKey(KeyId=key_id).KeyMetadata
    assert (meta.KeyState, meta.DeletionDate) == ("PendingDelete", resp.DeletionDate)


def test_schedule_deletion_rejects_window_outside_7_to_30_days(fips_a):
    key_id = disabled_key(fips_a)
    cases = [(f"{d} days", lambda d=d: fips_a.ScheduleKeyDeletion(KeyId=key_id, PendingWindowInDays=d),
              INVALID_WINDOW) for d in (6, 31, 0)]
    cases.append(("no PendingWindowInDays", lambda: fips_a.call("ScheduleKeyDeletion", KeyId=key_id),
                  "MissingParameter"))
    assert_codes(cases)
    meta = fips_a.DescribeKey(KeyId=key_id).KeyMetadata
    assert (meta.KeyState, meta.DeletionDate) == ("Disabled", 0)


def test_schedule_deletion_of_enabled_key_requires_disabling_first(kms_a, key_a):
    assert_code(lambda: kms_a.ScheduleKeyDeletion(KeyId=key_a, PendingWindowInDays=7), SHOULD_BE_DISABLED)
    meta = kms_a.DescribeKey(KeyId=key_a).KeyMetadata
    assert (meta.KeyState, meta.DeletionDate) == ("Enabled", 0)


def test_schedule_deletion_of_archived_or_already_pending_delete_key_fails(kms_a):
    archived = archived_key(kms_a)
    pending = pending_delete_key(kms_a, days=20)
    pending_before = snapshot(kms_a, pending)
    assert_codes([
        ("Archived", lambda: kms_a.ScheduleKeyDeletion(KeyId=archived, PendingWindowInDays=7), STATE_NOT_SUPPORTED),
        ("PendingDelete", lambda: kms_a.ScheduleKeyDeletion(KeyId=pending, PendingWindowInDays=7),
         STATE_NOT_SUPPORTED),
    ])
    meta = kms_a.DescribeKey(KeyId=archived).KeyMetadata
    assert (meta.KeyState, meta.DeletionDate) == ("Archived", 0)
    assert snapshot(kms_a, pending) == pending_before, "a refused re-schedule must not move the DeletionDate"


def test_schedule_deletion_of_unknown_key_is_cmk_not_found(fips_a):
    assert_code(lambda: fips_a.ScheduleKeyDeletion(KeyId=random_key_id(), PendingWindowInDays=7), NOT_FOUND)


# ================================================================================================
# a PendingDelete key
# ================================================================================================

def test_pending_delete_key_refuses_encrypt_generate_and_decrypt(kms_a, key_a):
    blob = kms_a.encrypt(key_a, b"written before deletion was scheduled", CONTEXT)
    kms_a.DisableKey(KeyId=key_a)
    kms_a.ScheduleKeyDeletion(KeyId=key_a, PendingWindowInDays=7)
    assert_codes([
        ("Encrypt", lambda: kms_a.encrypt(key_a, b"x"), KEY_PENDING_DELETE),
        ("GenerateDataKey", lambda: kms_a.GenerateDataKey(KeyId=key_a, KeySpec="AES_256"), KEY_PENDING_DELETE),
        ("Decrypt", lambda: kms_a.decrypt(blob, CONTEXT), KEY_PENDING_DELETE),
    ])


def test_pending_delete_key_cannot_be_enabled_disabled_archived_renamed_or_redescribed(kms_a):
    alias = unique_alias("doomed")
    key_id = pending_delete_key(kms_a, Alias=alias, Description="doomed")
    before = snapshot(kms_a, key_id)
    assert_codes([
        ("EnableKey", lambda: kms_a.EnableKey(KeyId=key_id), STATE_NOT_SUPPORTED),
        ("DisableKey", lambda: kms_a.DisableKey(KeyId=key_id), STATE_NOT_SUPPORTED),
        ("ArchiveKey", lambda: kms_a.ArchiveKey(KeyId=key_id), STATE_NOT_SUPPORTED),
        ("UpdateAlias", lambda: kms_a.UpdateAlias(KeyId=key_id, Alias=unique_alias()), STATE_NOT_SUPPORTED),
        ("UpdateKeyDescription", lambda: kms_a.UpdateKeyDescription(KeyId=key_id, Description="changed"),
         STATE_NOT_SUPPORTED),
    ])
    assert snapshot(kms_a, key_id) == before
    meta = kms_a.DescribeKey(KeyId=key_id).KeyMetadata
    assert (meta.KeyState, meta.Alias, meta.Description) == ("PendingDelete", alias, "doomed")


def test_pending_delete_key_is_listed_only_by_list_key_detail_state_3(client, make_account, region):
    kms = client(make_account("pending"), region)
    live = kms.new_key_id()
    pending = pending_delete_key(kms)
    assert kms.list_all_key_ids() == [live]
    assert kms.ListKeys().TotalCount == 1
    assert detail_ids(kms, 3) == [pending]
    assert detail_ids(kms, 2) == []
    assert detail_ids(kms, 1) == [live]
    assert sorted(detail_ids(kms, 0)) == sorted([live, pending])  # 0 = all states


# ================================================================================================
# CancelKeyDeletion
# ================================================================================================

def test_cancel_key_deletion_returns_key_to_disabled_and_keeps_its_material(kms_a, key_a):
    blob = kms_a.encrypt(key_a, b"survives a cancelled deletion", CONTEXT)
    kms_a.DisableKey(KeyId=key_a)
    kms_a.ScheduleKeyDeletion(KeyId=key_a, PendingWindowInDays=7)
    resp = kms_a.CancelKeyDeletion(KeyId=key_a)
    assert resp.KeyId == key_a
    meta = kms_a.DescribeKey(KeyId=key_a).KeyMetadata
    assert (meta.KeyState, meta.DeletionDate) == ("Disabled", 0)
    assert key_a in kms_a.list_all_key_ids()
    kms_a.EnableKey(KeyId=key_a)
    assert kms_a.decrypt(blob, CONTEXT) == b"survives a cancelled deletion"


def test_cancel_key_deletion_of_external_key_without_material_returns_to_pending_import(kms_a):
    key_id = kms_a.new_key_id(Type=2)
    kms_a.ScheduleKeyDeletion(KeyId=key_id, PendingWindowInDays=7)
    assert kms_a.CancelKeyDeletion(KeyId=key_id).KeyId == key_id
    meta = kms_a.DescribeKey(KeyId=key_id).KeyMetadata
    assert (meta.KeyState, meta.DeletionDate) == ("PendingImport", 0)


def test_cancel_key_deletion_of_key_not_pending_delete_fails(kms_a):
    keys = keys_in_every_state(kms_a)
    del keys["PendingDelete"]
    assert_codes((state, lambda k=k: kms_a.CancelKeyDeletion(KeyId=k), NOT_PENDING_DELETE)
                 for state, k in keys.items())
    assert states(kms_a, keys.values()) == {k: s for s, k in keys.items()}


def test_key_can_be_scheduled_again_after_cancelled_deletion(fips_a):
    key_id = pending_delete_key(fips_a, days=30)
    fips_a.CancelKeyDeletion(KeyId=key_id)
    resp, at = timed(lambda: fips_a.ScheduleKeyDeletion(KeyId=key_id, PendingWindowInDays=8))
    assert_about(resp.DeletionDate, at + 8 * DAY, "DeletionDate of the second schedule")
    assert fips_a.DescribeKey(KeyId=key_id).KeyMetadata.DeletionDate == resp.DeletionDate


# ================================================================================================
# ArchiveKey / CancelKeyArchive
# ================================================================================================

def test_archived_key_decrypts_but_refuses_encrypt_and_generate_data_key(kms_a, key_a):
    blob = kms_a.encrypt(key_a, b"archived but readable", CONTEXT)
    kms_a.ArchiveKey(KeyId=key_a)
    assert kms_a.state(key_a) == "Archived"
    assert_codes([
        ("Encrypt", lambda: kms_a.encrypt(key_a, b"x"), ARCHIVED),
        ("GenerateDataKey", lambda: kms_a.GenerateDataKey(KeyId=key_a, KeySpec="AES_256"), ARCHIVED),
    ])
    dec = kms_a.Decrypt(CiphertextBlob=blob, EncryptionContext=CONTEXT)
    assert (unb64(dec.Plaintext), dec.KeyId) == (b"archived but readable", key_a)


def test_archive_key_refuses_every_state_but_enabled(kms_a):
    keys = keys_in_every_state(kms_a)
    del keys["Enabled"]
    assert_codes((state, lambda k=k: kms_a.ArchiveKey(KeyId=k), STATE_NOT_SUPPORTED) for state, k in keys.items())
    assert states(kms_a, keys.values()) == {k: s for s, k in keys.items()}


def test_archived_key_cannot_be_disabled(fips_a):
    key_id = archived_key(fips_a)
    assert_code(lambda: fips_a.DisableKey(KeyId=key_id), STATE_NOT_SUPPORTED)
    assert fips_a.state(key_id) == "Archived"


def test_cancel_key_archive_restores_enabled_key(kms_a, key_a):
    kms_a.ArchiveKey(KeyId=key_a)
    kms_a.CancelKeyArchive(KeyId=key_a)
    assert kms_a.state(key_a) == "Enabled"
    assert kms_a.decrypt(kms_a.encrypt(key_a, b"usable again")) == b"usable again"


def test_cancel_key_archive_refuses_every_state_but_archived(kms_a):
    keys = keys_in_every_state(kms_a)
    del keys["Archived"]
    assert_codes((state, lambda k=k: kms_a.CancelKeyArchive(KeyId=k), STATE_NOT_SUPPORTED)
                 for state, k in keys.items())
    assert states(kms_a, keys.values()) == {k: s for s, k in keys.items()}


def test_archived_keys_are_listed_by_list_key_detail_state_5_only(client, make_account, region):
    kms = client(make_account("archive"), region)
    live = kms.new_key_id()
    archived = archived_key(kms)
    assert detail_ids(kms, 5) == [archived]
    assert detail_ids(kms, 1) == [live]
    assert sorted(detail_ids(kms, 0)) == sorted([live, archived])
    assert kms.list_all_key_ids() == [live], "ListKeys lists only Enabled, Disabled and PendingImport keys"


# ================================================================================================
# EnableKeys / DisableKeys
# ================================================================================================

def test_disable_keys_and_enable_keys_change_every_listed_key(kms_a):
    ids = [kms_a.new_key_id() for _ in range(3)]
    kms_a.DisableKeys(KeyIds=ids)
    assert set(states(kms_a, ids).values()) == {"Disabled"}
    kms_a.EnableKeys(KeyIds=ids)
    assert set(states(kms_a, ids).values()) == {"Enabled"}


def test_batch_state_change_refuses_duplicate_ids(fips_a):
    a, b = fips_a.new_key_id(), fips_a.new_key_id()
    assert_codes([
        ("DisableKeys", lambda: fips_a.DisableKeys(KeyIds=[a, b, a, a]), DUPLICATED_KEY_ID),
        ("EnableKeys", lambda: fips_a.EnableKeys(KeyIds=[b, b, a]), DUPLICATED_KEY_ID),
    ])
    assert states(fips_a, [a, b]) == {a: "Enabled", b: "Enabled"}


def test_batch_state_change_takes_1_to_100_ids(client, make_account):
    kms = client(make_account("batch"), FIPS_REGION)
    key_ids = [kms.new_key_id() for _ in range(100)]
    assert_codes([
        (f"{action} with {n} ids", lambda action=action, n=n: kms.call(action, KeyIds=(key_ids + [random_key_id()])[:n]),
         "InvalidParameterValue*")
        for action in ("DisableKeys", "EnableKeys") for n in (0, 101)
    ])
    assert kms.state(key_ids[0]) == "Enabled"
    kms.DisableKeys(KeyIds=key_ids)
    assert set(states(kms, key_ids).values()) == {"Disabled"}
    kms.EnableKeys(KeyIds=key_ids)
    assert set(states(kms, key_ids).values()) == {"Enabled"}


def test_batch_with_a_foreign_unknown_or_malformed_id_changes_nothing(kms_a, kms_b):
    enabled = [kms_a.new_key_id() for _ in range(2)]
    disabled = [disabled_key(kms_a) for _ in range(2)]
    b_enabled, b_disabled = kms_b.new_key_id(), disabled_key(kms_b)
    cases = []
    for label, intruder_enabled, intruder_disabled, code in (
        ("another account's key", b_enabled, b_disabled, NOT_FOUND),
        ("non-existent key", random_key_id(), random_key_id(), NOT_FOUND),
        ("non-UUID string", "not-a-key-id", "not-a-key-id", INVALID_KEY_ID),
    ):
        cases.append((f"DisableKeys with {label}",
                      lambda i=intruder_enabled: kms_a.DisableKeys(KeyIds=[enabled[0], i, enabled[1]]), code))
        cases.append((f"EnableKeys with {label}",
                      lambda i=intruder_disabled: kms_a.EnableKeys(KeyIds=[disabled[0], i, disabled[1]]), code))
    assert_codes(cases)
    assert set(states(kms_a, enabled).values()) == {"Enabled"}, "DisableKeys must be all-or-nothing"
    assert set(states(kms_a, disabled).values()) == {"Disabled"}, "EnableKeys must be all-or-nothing"
    assert (kms_b.state(b_enabled), kms_b.state(b_disabled)) == ("Enabled", "Disabled")


def test_batch_with_a_key_already_in_target_state_changes_the_others(kms_a):
    enabled = [kms_a.new_key_id() for _ in range(2)]
    disabled = [disabled_key(kms_a) for _ in range(2)]
    kms_a.DisableKeys(KeyIds=[enabled[0], disabled[0], enabled[1]])
    assert set(states(kms_a, enabled + disabled[:1]).values()) == {"Disabled"}
    kms_a.EnableKeys(KeyIds=[disabled[0], enabled[0], disabled[1]])
    assert set(states(kms_a, [disabled[0], enabled[0], disabled[1]]).values()) == {"Enabled"}
    assert kms_a.state(enabled[1]) == "Disabled"


def test_batch_with_a_pending_import_archived_or_pending_delete_key_changes_nothing(fips_a):
    enabled, disabled = fips_a.new_key_id(), disabled_key(fips_a)
    others = {s: k for s, k in keys_in_every_state(fips_a).items() if s not in ("Enabled", "Disabled")}
    cases = []
    for state, other in others.items():
        cases.append((f"DisableKeys with {state}", lambda o=other: fips_a.DisableKeys(KeyIds=[enabled, o]),
                      STATE_NOT_SUPPORTED))
        cases.append((f"EnableKeys with {state}", lambda o=other: fips_a.EnableKeys(KeyIds=[disabled, o]),
                      STATE_NOT_SUPPORTED))
    assert_codes(cases)
    assert states(fips_a, [enabled, disabled]) == {enabled: "Enabled", disabled: "Disabled"}
    assert states(fips_a, others.values()) == {k: s for s, k in others.items()}


# ================================================================================================
# rotation
# ================================================================================================

def test_enable_key_rotation_reports_status_and_next_rotate_time(kms_a, key_a):
    assert kms_a.GetKeyRotationStatus(KeyId=key_a).KeyRotationEnabled is False
    _, at = timed(lambda: kms_a.EnableKeyRotation(KeyId=key_a, RotateDays=30))
    assert kms_a.GetKeyRotationStatus(KeyId=key_a).KeyRotationEnabled is True
    meta = kms_a.DescribeKey(KeyId=key_a).KeyMetadata
    assert meta.KeyRotationEnabled is True
    assert meta.RotateDays == 30
    assert_about(meta.NextRotateTime, at + 30 * DAY, "NextRotateTime")


def test_enable_key_rotation_defaults_to_365_days(fips_a):
    key_id = fips_a.new_key_id()
    _, at = timed(lambda: fips_a.EnableKeyRotation(KeyId=key_id))
    meta = fips_a.DescribeKey(KeyId=key_id).KeyMetadata
    assert (meta.KeyRotationEnabled, meta.RotateDays) == (True, 365)
    assert_about(meta.NextRotateTime, at + 365 * DAY, "NextRotateTime")


@pytest.mark.parametrize("days", [7, 365])
def test_enable_key_rotation_accepts_boundary_periods(fips_a, days):
    key_id = fips_a.new_key_id()
    _, at = timed(lambda: fips_a.EnableKeyRotation(KeyId=key_id, RotateDays=days))
    meta = fips_a.DescribeKey(KeyId=key_id).KeyMetadata
    assert (meta.KeyRotationEnabled, meta.RotateDays) == (True, days)
    assert_about(meta.NextRotateTime, at + days * DAY, "NextRotateTime")


def test_enable_key_rotation_rejects_period_outside_7_to_365_days(fips_a):
    key_id = fips_a.new_key_id()
    assert_codes((f"RotateDays={d}", lambda d=d: fips_a.EnableKeyRotation(KeyId=key_id, RotateDays=d),
                  "InvalidParameterValue*") for d in (6, 366))
    meta = fips_a.DescribeKey(KeyId=key_id).KeyMetadata
    assert (meta.KeyRotationEnabled, meta.NextRotateTime) == (False, 0)


def test_disable_key_rotation_clears_status_and_next_rotate_time(kms_a, key_a):
    kms_a.EnableKeyRotation(KeyId=key_a, RotateDays=90)
    kms_a.DisableKeyRotation(KeyId=key_a)
    assert kms_a.GetKeyRotationStatus(KeyId=key_a).KeyRotationEnabled is False
    meta = kms_a.DescribeKey(KeyId=key_a).KeyMetadata
    assert (meta.KeyRotationEnabled, meta.NextRotateTime) == (False, 0)


def test_rotate_key_adds_versions_and_every_older_ciphertext_keeps_decrypting(kms_a, key_a):
    made = []  # (blob, context, plaintext)

    def produce(tag):
        with_ctx = f"{tag} with context".encode()
        made.append((kms_a.encrypt(key_a, with_ctx, CONTEXT), CONTEXT, with_ctx))
        plain = f"{tag} without context".encode()
        made.append((kms_a.encrypt(key_a, plain), None, plain))
        dk = kms_a.GenerateDataKey(KeyId=key_a, KeySpec="AES_256")
        made.append((dk.CiphertextBlob, None, unb64(dk.Plaintext)))

    produce("v1")
    kms_a.EnableKeyRotation(KeyId=key_a)
    # RotateKey runs once in 24 h: further versions come from automatic rotation (tested in Swift).
    resp, at = timed(lambda: kms_a.RotateKey(KeyId=key_a))
    assert isinstance(resp.TaskId, str) and resp.TaskId, f"RotateKey TaskId {resp.TaskId!r}"
    assert_about(kms_a.DescribeKey(KeyId=key_a).KeyMetadata.LastRotateTime, at, "LastRotateTime")
    produce("after rotation")
    versions = [material_version(blob) for blob, _, _ in made]
    assert versions == [1, 1, 1, 2, 2, 2], f"new ciphertexts must use the newest version: {versions}"
    for blob, ctx, plaintext in made:
        dec = kms_a.Decrypt(CiphertextBlob=blob, **({"EncryptionContext": ctx} if ctx else {}))
        assert (unb64(dec.Plaintext), dec.KeyId) == (plaintext, key_a)
    assert_code(lambda: kms_a.decrypt(made[0][0]), INVALID_CIPHERTEXT)  # contexts still bind old versions


def test_rotate_key_does_not_change_key_state_or_rotation_schedule(fips_a):
    key_id = fips_a.new_key_id()
    fips_a.EnableKeyRotation(KeyId=key_id, RotateDays=60)
    before = fips_a.DescribeKey(KeyId=key_id).KeyMetadata
    fips_a.RotateKey(KeyId=key_id)
    after = fips_a.DescribeKey(KeyId=key_id).KeyMetadata
    assert (after.KeyState, after.KeyRotationEnabled, after.RotateDays) == ("Enabled", True, 60)
    assert after.NextRotateTime >= before.NextRotateTime


def test_rotate_key_on_disabled_key_fails(kms_a):
    key_id = disabled_key(kms_a)
    assert_code(lambda: kms_a.RotateKey(KeyId=key_id), DISABLED)
    kms_a.EnableKey(KeyId=key_id)
    assert material_version(kms_a.encrypt(key_id, b"still v1")) == 1


def test_rotate_key_on_pending_delete_key_fails(fips_a):
    key_id = pending_delete_key(fips_a)
    assert_code(lambda: fips_a.RotateKey(KeyId=key_id), STATE_NOT_SUPPORTED)
    assert fips_a.state(key_id) == "PendingDelete"


def test_external_key_cannot_rotate(kms_a):
    key_id = kms_a.new_key_id(Type=2)
    assert_codes([
        ("EnableKeyRotation", lambda: kms_a.EnableKeyRotation(KeyId=key_id, RotateDays=30), EXTERNAL_CANNOT_ROTATE),
        ("RotateKey", lambda: kms_a.RotateKey(KeyId=key_id), EXTERNAL_CANNOT_ROTATE),
    ])
    # ... while DisableKeyRotation is a no-op for it and its status reads false (as Tencent).
    kms_a.DisableKeyRotation(KeyId=key_id)
    assert kms_a.GetKeyRotationStatus(KeyId=key_id).KeyRotationEnabled is False
    meta = kms_a.DescribeKey(KeyId=key_id).KeyMetadata
    assert (meta.KeyState, meta.KeyRotationEnabled, meta.NextRotateTime) == ("PendingImport", False, 0)


# ================================================================================================
# ReEncrypt
# ================================================================================================

def test_reencrypt_to_same_key_and_newest_version_is_not_reencrypted(kms_a, key_a):
    blob = kms_a.encrypt(key_a, b"already current")
    resp = kms_a.ReEncrypt(CiphertextBlob=blob)
    assert (resp.KeyId, resp.SourceKeyId, resp.ReEncrypted) == (key_a, key_a, False)
    assert material_version(resp.CiphertextBlob) == 1
    assert kms_a.decrypt(resp.CiphertextBlob) == b"already current"


def test_reencrypt_after_rotation_moves_blob_to_newest_version(kms_a, key_a):
    blob = kms_a.encrypt(key_a, b"rotate me", CONTEXT)
    kms_a.EnableKeyRotation(KeyId=key_a)
    kms_a.RotateKey(KeyId=key_a)
    resp = kms_a.ReEncrypt(CiphertextBlob=blob, SourceEncryptionContext=CONTEXT,
                           DestinationEncryptionContext=CONTEXT)
    assert (resp.KeyId, resp.SourceKeyId, resp.ReEncrypted) == (key_a, key_a, True)
    old, new = unb64(blob), unb64(resp.CiphertextBlob)
    assert old[:KEY_ID_END] == new[:KEY_ID_END], "same format, algorithm and key"
    assert old[:HEADER_END] != new[:HEADER_END], "the re-encrypted blob must name the new material version"
    assert material_version(resp.CiphertextBlob) == 2
    assert kms_a.decrypt(resp.CiphertextBlob, CONTEXT) == b"rotate me"
    again = kms_a.ReEncrypt(CiphertextBlob=resp.CiphertextBlob, SourceEncryptionContext=CONTEXT,
                            DestinationEncryptionContext=CONTEXT)
    assert again.ReEncrypted is False


def test_reencrypt_to_another_key_binds_destination_context(kms_a):
    source, destination = kms_a.new_key_id(), kms_a.new_key_id()
    blob = kms_a.encrypt(source, b"moving house", CONTEXT)
    resp = kms_a.ReEncrypt(CiphertextBlob=blob, DestinationKeyId=destination,
                           SourceEncryptionContext=CONTEXT, DestinationEncryptionContext=OTHER_CONTEXT)
    assert (resp.KeyId, resp.SourceKeyId, resp.ReEncrypted) == (destination, source, True)
    dec = kms_a.Decrypt(CiphertextBlob=resp.CiphertextBlob, EncryptionContext=OTHER_CONTEXT)
    assert (unb64(dec.Plaintext), dec.KeyId) == (b"moving house", destination)
    assert_codes([
        ("no context", lambda: kms_a.decrypt(resp.CiphertextBlob), INVALID_CIPHERTEXT),
        ("source context", lambda: kms_a.decrypt(resp.CiphertextBlob, CONTEXT), INVALID_CIPHERTEXT),
    ])
    assert kms_a.decrypt(blob, CONTEXT) == b"moving house"  # the source blob is untouched


def test_reencrypt_without_destination_context_produces_context_free_blob(kms_a):
    source, destination = kms_a.new_key_id(), kms_a.new_key_id()
    blob = kms_a.encrypt(source, b"drop the context", CONTEXT)
    resp = kms_a.ReEncrypt(CiphertextBlob=blob, DestinationKeyId=destination, SourceEncryptionContext=CONTEXT)
    assert kms_a.decrypt(resp.CiphertextBlob) == b"drop the context"


def test_reencrypt_with_wrong_or_missing_source_context_fails(kms_a, key_a):
    destination = kms_a.new_key_id()
    blob = kms_a.encrypt(key_a, b"context bound", CONTEXT)
    assert_codes([
        ("wrong", lambda: kms_a.ReEncrypt(CiphertextBlob=blob, DestinationKeyId=destination,
                                          SourceEncryptionContext=OTHER_CONTEXT), INVALID_CIPHERTEXT),
        ("missing", lambda: kms_a.ReEncrypt(CiphertextBlob=blob, DestinationKeyId=destination), INVALID_CIPHERTEXT),
        ("wrong, same key", lambda: kms_a.ReEncrypt(CiphertextBlob=blob, SourceEncryptionContext=OTHER_CONTEXT),
         INVALID_CIPHERTEXT),
    ])


def test_reencrypt_rejects_garbage_blob(fips_a):
    destination = fips_a.new_key_id()
    assert_codes((label, lambda b=b: fips_a.ReEncrypt(CiphertextBlob=b, DestinationKeyId=destination),
                  INVALID_CIPHERTEXT) for label, b in (("not Base64", "!!!"), ("three bytes", "AAAA")))


def test_reencrypt_respects_source_and_destination_key_state(kms_a):
    source = kms_a.new_key_id()
    blob = kms_a.encrypt(source, b"state matters")
    enabled_destination = kms_a.new_key_id()
    assert_codes([
        ("destination Disabled",
         lambda: kms_a.ReEncrypt(CiphertextBlob=blob, DestinationKeyId=disabled_key(kms_a)), DISABLED),
        ("destination Archived",
         lambda: kms_a.ReEncrypt(CiphertextBlob=blob, DestinationKeyId=archived_key(kms_a)), ARCHIVED),
        ("destination PendingImport",
         lambda: kms_a.ReEncrypt(CiphertextBlob=blob, DestinationKeyId=kms_a.new_key_id(Type=2)),
         STATE_NOT_SUPPORTED),
        ("destination PendingDelete",
         lambda: kms_a.ReEncrypt(CiphertextBlob=blob, DestinationKeyId=pending_delete_key(kms_a)),
         (KEY_PENDING_DELETE, STATE_NOT_SUPPORTED)),
        ("destination does not exist",
         lambda: kms_a.ReEncrypt(CiphertextBlob=blob, DestinationKeyId=random_key_id()), NOT_FOUND),
    ])
    kms_a.DisableKey(KeyId=source)
    assert_code(lambda: kms_a.ReEncrypt(CiphertextBlob=blob, DestinationKeyId=enabled_destination), DISABLED)
    doomed = kms_a.new_key_id()
    doomed_blob = kms_a.encrypt(doomed, b"doomed")
    kms_a.DisableKey(KeyId=doomed)
    kms_a.ScheduleKeyDeletion(KeyId=doomed, PendingWindowInDays=7)
    assert_code(lambda: kms_a.ReEncrypt(CiphertextBlob=doomed_blob, DestinationKeyId=enabled_destination),
                (KEY_PENDING_DELETE, STATE_NOT_SUPPORTED))
    kms_a.EnableKey(KeyId=source)
    kms_a.ArchiveKey(KeyId=source)
    resp = kms_a.ReEncrypt(CiphertextBlob=blob, DestinationKeyId=enabled_destination)
    assert (resp.KeyId, resp.SourceKeyId, resp.ReEncrypted) == (enabled_destination, source, True)
    assert kms_a.decrypt(resp.CiphertextBlob) == b"state matters"


def test_reencrypt_to_archived_source_key_itself_fails(fips_a):
    """Archived keys decrypt but never encrypt, also not as their own ReEncrypt destination."""
    key_id = fips_a.new_key_id()
    blob = fips_a.encrypt(key_id, b"archived")
    fips_a.ArchiveKey(KeyId=key_id)
    assert_code(lambda: fips_a.ReEncrypt(CiphertextBlob=blob, DestinationKeyId=key_id), ARCHIVED)


@pytest.mark.parametrize("home,away", [(FIPS_REGION, FIPS_REGION_2), (SM_REGION, FIPS_REGION)],
                         ids=["guangzhou-to-beijing", "sm-to-guangzhou"])
def test_reencrypt_destination_in_another_region_is_cmk_not_found(client, account_a, home, away):
    kms = client(account_a, home)
    blob = kms.encrypt(kms.new_key_id(), b"stay in region")
    elsewhere = client(account_a, away).new_key_id()
    assert_code(lambda: kms.ReEncrypt(CiphertextBlob=blob, DestinationKeyId=elsewhere), NOT_FOUND)


# ================================================================================================
# another account
# ================================================================================================

def test_other_account_cannot_manage_lifecycle_rotation_or_reencrypt(kms_a, kms_b):
    a = {
        "enabled": kms_a.new_key_id(Description="A enabled"),
        "disabled": disabled_key(kms_a),
        "pending": pending_delete_key(kms_a),
        "archived": archived_key(kms_a),
        "rotating": kms_a.new_key_id(),
    }
    kms_a.EnableKeyRotation(KeyId=a["rotating"], RotateDays=30)
    blob = kms_a.encrypt(a["enabled"], b"A's data", CONTEXT)
    b_key = kms_b.new_key_id()
    before = {name: snapshot(kms_a, k) for name, k in a.items()}
    assert_codes([
        ("ScheduleKeyDeletion", lambda: kms_b.ScheduleKeyDeletion(KeyId=a["disabled"], PendingWindowInDays=7),
         NOT_FOUND),
        ("CancelKeyDeletion", lambda: kms_b.CancelKeyDeletion(KeyId=a["pending"]), NOT_FOUND),
        ("ArchiveKey", lambda: kms_b.ArchiveKey(KeyId=a["enabled"]), NOT_FOUND),
        ("CancelKeyArchive", lambda: kms_b.CancelKeyArchive(KeyId=a["archived"]), NOT_FOUND),
        ("EnableKeyRotation", lambda: kms_b.EnableKeyRotation(KeyId=a["enabled"], RotateDays=7), NOT_FOUND),
        ("DisableKeyRotation", lambda: kms_b.DisableKeyRotation(KeyId=a["rotating"]), NOT_FOUND),
        ("GetKeyRotationStatus", lambda: kms_b.GetKeyRotationStatus(KeyId=a["rotating"]), NOT_FOUND),
        ("RotateKey", lambda: kms_b.RotateKey(KeyId=a["enabled"]), NOT_FOUND),
        ("DisableKeys", lambda: kms_b.DisableKeys(KeyIds=[a["enabled"]]), NOT_FOUND),
        ("EnableKeys", lambda: kms_b.EnableKeys(KeyIds=[a["disabled"]]), NOT_FOUND),
        ("ReEncrypt A's blob to itself",
         lambda: kms_b.ReEncrypt(CiphertextBlob=blob, SourceEncryptionContext=CONTEXT), NOT_FOUND),
        ("ReEncrypt A's blob to B's key",
         lambda: kms_b.ReEncrypt(CiphertextBlob=blob, DestinationKeyId=b_key, SourceEncryptionContext=CONTEXT),
         NOT_FOUND),
        ("ReEncrypt B's blob to A's key",
         lambda: kms_b.ReEncrypt(CiphertextBlob=kms_b.encrypt(b_key, b"B's data"), DestinationKeyId=a["enabled"]),
         NOT_FOUND),
    ])
    after = {name: snapshot(kms_a, k) for name, k in a.items()}
    assert after == before, "another account's calls must leave A's keys unchanged"
    # no material version was added by B's RotateKey
    assert kms_a.ReEncrypt(CiphertextBlob=blob, SourceEncryptionContext=CONTEXT,
                           DestinationEncryptionContext=CONTEXT).ReEncrypted is False
    assert material_version(kms_a.encrypt(a["enabled"], b"v?")) == 1


def test_reencrypt_to_another_accounts_key_is_cmk_not_found(kms_a, kms_b, key_a):
    blob = kms_a.encrypt(key_a, b"keep it home")
    b_key = kms_b.new_key_id()
    assert_code(lambda: kms_a.ReEncrypt(CiphertextBlob=blob, DestinationKeyId=b_key), NOT_FOUND)
    assert kms_b.state(b_key) == "Enabled"
