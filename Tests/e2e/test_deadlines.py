"""Every deadline holds on arrival, before the scheduled worker has run (SPEC §3, §5; issue 10
item 4): a key past its DeletionDate is gone for every action, material past its ValidTo is
unusable, import parameters past ParametersValidTo are expired.

Nobody waits seven days here: each test moves a deadline into the past directly in the database,
as the owner role inside the key's tenant (like the fault suite reaches PostgreSQL), and in the
same transaction pushes the scheduled job for it far into the future, so the worker cannot have
done the work when the API is called. The tests then check that the row is still there: what is
refused is refused by the check on arrival."""

import os

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from e2e_support import FIPS_REGION, owner_psql, assert_codes, b64, now, unb64, unique_alias

NOT_FOUND = "ResourceUnavailable.CmkNotFound"
STATE_NOT_SUPPORTED = "ResourceUnavailable.CmkStateNotSupport"
TOKEN_EXPIRED = "ResourceUnavailable.TokenExpired"
FAR_FUTURE = 4_000_000_000


def psql(sql):
    """``sql`` as kms_owner on this stack's PostgreSQL."""
    return owner_psql(os.environ["KMS_HOME"], sql)


def in_tenant(kms, *statements):
    """``statements`` in one transaction scoped to ``kms``'s account and region (the tables force
    row-level security, also on their owner)."""
    return psql("BEGIN; "
                f"SELECT set_config('kms.app_id', '{int(kms.account.app_id)}', true), "
                f"set_config('kms.region', '{kms.region}', true); "
                + " ".join(statements) + " COMMIT;")


def move_deadline(kms, key_id, *, column, table="keys", job):
    """Sets ``table.column`` of ``key_id`` to a second ago and the ``job`` that would act on it to
    the far future."""
    in_tenant(kms,
              f"UPDATE {table} SET {column} = extract(epoch FROM now())::bigint - 1 WHERE key_id = '{key_id}';",
              f"UPDATE scheduled_jobs SET due_at = {FAR_FUTURE} WHERE kind = '{job}' AND key_id = '{key_id}';")
    jobs = psql(f"SELECT count(*) FROM scheduled_jobs WHERE kind = '{job}' AND key_id = '{key_id}' "
                f"AND due_at = {FAR_FUTURE}")
    assert jobs == "1", f"the {job} job of {key_id} should be pending in the far future"


def rows_of(kms, key_id, table="keys"):
    return int(in_tenant(kms, f"SELECT count(*) FROM {table} WHERE key_id = '{key_id}';").splitlines()[-1])


def import_material(kms, key_id, material, valid_to=0):
    params = kms.GetParametersForImport(KeyId=key_id, WrappingAlgorithm="RSAES_OAEP_SHA_256",
                                        WrappingKeySpec="RSA_2048")
    wrapped = serialization.load_der_public_key(unb64(params.PublicKey)).encrypt(
        material, padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None))
    kms.ImportKeyMaterial(KeyId=key_id, ImportToken=params.ImportToken, EncryptedKeyMaterial=b64(wrapped),
                          ValidTo=valid_to)


def test_key_past_its_deletion_date_is_gone_for_every_action_before_the_worker_runs(client, make_account):
    kms = client(make_account("deadline"), FIPS_REGION)
    survivor = kms.new_key_id()
    key_id = kms.new_key_id(Alias=unique_alias("doomed"))
    blob = kms.encrypt(key_id, b"written before the deletion window", '{"k":"v"}')
    kms.DisableKey(KeyId=key_id)
    kms.ScheduleKeyDeletion(KeyId=key_id, PendingWindowInDays=7)
    assert kms.decrypt(kms.encrypt(survivor, b"x")) == b"x"
    move_deadline(kms, key_id, column="deletion_date", job="delete_key")

    assert_codes([
        ("CancelKeyDeletion", lambda: kms.CancelKeyDeletion(KeyId=key_id), NOT_FOUND),
        ("EnableKey", lambda: kms.EnableKey(KeyId=key_id), NOT_FOUND),
        ("DisableKey", lambda: kms.DisableKey(KeyId=key_id), NOT_FOUND),
        ("Decrypt", lambda: kms.decrypt(blob, '{"k":"v"}'), NOT_FOUND),
        ("ReEncrypt", lambda: kms.ReEncrypt(CiphertextBlob=blob, DestinationKeyId=survivor,
                                            SourceEncryptionContext='{"k":"v"}'), NOT_FOUND),
        ("Encrypt", lambda: kms.encrypt(key_id, b"y"), NOT_FOUND),
        ("GenerateDataKey", lambda: kms.GenerateDataKey(KeyId=key_id, KeySpec="AES_256"), NOT_FOUND),
        ("DescribeKey", lambda: kms.DescribeKey(KeyId=key_id), NOT_FOUND),
        ("UpdateAlias", lambda: kms.UpdateAlias(KeyId=key_id, Alias=unique_alias("late")), NOT_FOUND),
        ("UpdateKeyDescription", lambda: kms.UpdateKeyDescription(KeyId=key_id, Description="late"), NOT_FOUND),
        ("ScheduleKeyDeletion", lambda: kms.ScheduleKeyDeletion(KeyId=key_id, PendingWindowInDays=30), NOT_FOUND),
        ("ArchiveKey", lambda: kms.ArchiveKey(KeyId=key_id), NOT_FOUND),
        ("GetKeyRotationStatus", lambda: kms.GetKeyRotationStatus(KeyId=key_id), NOT_FOUND),
        ("EnableKeyRotation", lambda: kms.EnableKeyRotation(KeyId=key_id), NOT_FOUND),
        ("EnableKeys", lambda: kms.EnableKeys(KeyIds=[key_id]), NOT_FOUND),
        ("DisableKeys", lambda: kms.DisableKeys(KeyIds=[survivor, key_id]), NOT_FOUND),
    ])
    assert kms.DescribeKeys(KeyIds=[survivor, key_id]).KeyMetadatas[0].KeyId == survivor
    assert len(kms.DescribeKeys(KeyIds=[survivor, key_id]).KeyMetadatas) == 1
    for state in (0, 3):
        listed = kms.ListKeyDetail(KeyState=state, Limit=200)
        assert [m.KeyId for m in listed.KeyMetadatas] == ([survivor] if state == 0 else []), f"KeyState={state}"
        assert listed.TotalCount == (1 if state == 0 else 0), f"KeyState={state}"
    assert kms.list_all_key_ids() == [survivor]
    assert kms.state(survivor) == "Enabled", "a refused batch changes nothing"
    assert rows_of(kms, key_id) == 1, "the worker must not have run: the refusals above are checks on arrival"


def test_key_before_its_deletion_date_is_still_pending_delete(client, make_account):
    """The boundary from the other side: one day left, the key is there and can be rescued."""
    kms = client(make_account("deadline"), FIPS_REGION)
    key_id = kms.new_key_id()
    kms.DisableKey(KeyId=key_id)
    kms.ScheduleKeyDeletion(KeyId=key_id, PendingWindowInDays=7)
    in_tenant(kms, f"UPDATE keys SET deletion_date = extract(epoch FROM now())::bigint + 86400 WHERE key_id = '{key_id}';")
    assert kms.state(key_id) == "PendingDelete"
    assert [m.KeyId for m in kms.ListKeyDetail(KeyState=3).KeyMetadatas] == [key_id]
    kms.CancelKeyDeletion(KeyId=key_id)
    assert kms.state(key_id) == "Disabled"


def test_material_past_valid_to_is_unusable_before_the_worker_runs(client, make_account):
    kms = client(make_account("deadline"), FIPS_REGION)
    key_id = kms.new_key_id(Type=2)
    import_material(kms, key_id, os.urandom(32), valid_to=now() + 30 * 86400)
    blob = kms.encrypt(key_id, b"before expiry")
    assert kms.decrypt(blob) == b"before expiry"  # warms the responder's key cache
    move_deadline(kms, key_id, column="valid_to", job="expire_material")

    assert_codes([
        ("Encrypt", lambda: kms.encrypt(key_id, b"after expiry"), STATE_NOT_SUPPORTED),
        ("GenerateDataKey", lambda: kms.GenerateDataKey(KeyId=key_id, KeySpec="AES_256"), STATE_NOT_SUPPORTED),
        ("Decrypt", lambda: kms.decrypt(blob), STATE_NOT_SUPPORTED),
    ])
    assert kms.state(key_id) == "PendingImport"
    assert rows_of(kms, key_id, "key_material") == 1, "the worker must not have destroyed the material yet"


def test_import_token_past_parameters_valid_to_is_expired_before_the_worker_runs(client, make_account):
    kms = client(make_account("deadline"), FIPS_REGION)
    key_id = kms.new_key_id(Type=2)
    params = kms.GetParametersForImport(KeyId=key_id, WrappingAlgorithm="RSAES_OAEP_SHA_256",
                                        WrappingKeySpec="RSA_2048")
    move_deadline(kms, key_id, table="import_parameters", column="valid_to", job="purge_import_parameters")
    wrapped = serialization.load_der_public_key(unb64(params.PublicKey)).encrypt(
        os.urandom(32), padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None))
    assert_codes([("ImportKeyMaterial", lambda: kms.ImportKeyMaterial(
        KeyId=key_id, ImportToken=params.ImportToken, EncryptedKeyMaterial=b64(wrapped)), TOKEN_EXPIRED)])
    assert kms.state(key_id) == "PendingImport"
    assert rows_of(kms, key_id, "import_parameters") == 1, "the worker must not have purged the parameters yet"


def test_alias_of_a_key_past_its_deletion_date_is_free_before_the_worker_runs(client, make_account):
    kms = client(make_account("deadline"), FIPS_REGION)
    doomed = {}
    for use in ("create", "rename"):
        alias = unique_alias(f"gone-{use}")
        doomed[use] = (kms.new_key_id(Alias=alias), alias)
        kms.DisableKey(KeyId=doomed[use][0])
        kms.ScheduleKeyDeletion(KeyId=doomed[use][0], PendingWindowInDays=7)
        move_deadline(kms, doomed[use][0], column="deletion_date", job="delete_key")
    created = kms.new_key(alias=doomed["create"][1])
    assert kms.DescribeKey(KeyId=created.KeyId).KeyMetadata.Alias == doomed["create"][1]
    renamed = kms.new_key_id()
    kms.UpdateAlias(KeyId=renamed, Alias=doomed["rename"][1])
    assert kms.DescribeKey(KeyId=renamed).KeyMetadata.Alias == doomed["rename"][1]
    for key_id, _ in doomed.values():
        assert rows_of(kms, key_id) == 0, "the key holding the alias is destroyed with its jobs"
        assert psql(f"SELECT count(*) FROM scheduled_jobs WHERE key_id = '{key_id}'") == "0"
    # a live key's alias stays taken
    assert_codes([("CreateKey", lambda: kms.new_key(alias=doomed["create"][1]),
                   "InvalidParameterValue.AliasAlreadyExists")])
