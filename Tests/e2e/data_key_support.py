"""What the KMS-hosted data-key tests (test_data_key_*.py) share (docs/DATA_KEYS.md, SPEC §10).

* ``DataKeys(kms_env, account, region)`` -- the official SDK for one account and region, each action
  signing with a credential of its own (made once per account and action with `kmsctl credential
  create`). The SDK signs only the body, so DescribeDataKey, GetDataKeyPlaintext, EnableDataKey …
  of one DataKeyId carry the same signature within a second, and the replay memory (SPEC §6)
  refuses a signature sent again for another action; one credential per action keeps them apart
  without waiting a second between calls. ``dk.kms`` is a plain ``e2e_support.Kms`` of the account.
* ``hosted(dk, key_id, …)`` / ``imported(dk, …)`` -- a new hosted data key; its response.
* ``psql_in_tenant`` / ``move_deletion_date`` -- reaching the stack's database as its owner, for the
  deadline tests (nobody waits seven days).
* The fixtures ``dks`` (``dks(account, region)``) and ``dk_a`` (account A in the parametrised
  region), imported by the test modules that use them.
"""

import os
import threading
import uuid

import pytest

from e2e_support import FIPS_REGION, SM_REGION, Account, Kms, ctl_json, now, owner_psql, run_ctl, b64, unb64

REGIONS = [FIPS_REGION, SM_REGION]
REGION_IDS = ["fips", "sm"]

# codes (docs/DATA_KEYS.md)
NOT_FOUND = "ResourceUnavailable.DataKeyNotFound"
DK_DISABLED = "ResourceUnavailable.DataKeyDisabled"
DK_PENDING_DELETE = "ResourceUnavailable.DataKeyPendingDelete"
DK_STATE = "ResourceUnavailable.DataKeyStateNotSupport"
DK_NOT_PENDING = "ResourceUnavailable.DataKeyNotPendingDelete"
CMK_NOT_FOUND = "ResourceUnavailable.CmkNotFound"
CMK_DISABLED = "ResourceUnavailable.CmkDisabled"
CMK_STATE = "ResourceUnavailable.CmkStateNotSupport"
CMK_ARCHIVED = "ResourceUnavailable.CmkArchived"
CMK_PENDING_DELETE = "ResourceUnavailable.KeyPendingDelete"
INVALID_VALUE = "InvalidParameterValue"
INVALID_ID = "InvalidParameterValue.InvalidDataKeyId"
INVALID_NAME = "InvalidParameterValue.InvalidDataKeyName"
NAME_EXISTS = "InvalidParameterValue.DataKeyNameAlreadyExists"
DUPLICATED_ID = "InvalidParameterValue.DuplicatedDataKeyId"
INVALID_MATERIAL = "InvalidParameterValue.InvalidImportKeyMaterial"
INVALID_KEY_ID = "InvalidParameterValue.InvalidKeyId"
INVALID_TYPE = "InvalidParameterValue.InvalidType"
INVALID_KEY_USAGE = "InvalidParameterValue.InvalidKeyUsage"
INVALID_HSM = "InvalidParameterValue.InvalidHsmClusterId"
INVALID_WINDOW = "InvalidParameter.InvalidPendingWindowInDays"
LIMIT = "LimitExceeded.DataKeyLimitExceeded"
MISSING = "MissingParameter"
UNSUPPORTED = "UnsupportedOperation"
UNAUTHORIZED = "UnauthorizedOperation"

# every action on one existing data key, with the other parameters it needs
PER_KEY_ACTIONS = {
    "DescribeDataKey": {},
    "GetDataKeyPlaintext": {},
    "GetDataKeyCiphertextBlob": {},
    "UpdateDataKeyName": {"DataKeyName": None},      # None: a fresh name per call
    "UpdateDataKeyDescription": {"Description": "never applied"},
    "EnableDataKey": {},
    "DisableDataKey": {},
    "ScheduleDataKeyDeletion": {"PendingWindowInDays": 7},
    "CancelDataKeyDeletion": {},
}
BATCH_ACTIONS = ("DescribeDataKeys", "EnableDataKeys", "DisableDataKeys")

# METADATA_FIELDS: every DataKeyMetadata field the contract fills
METADATA_FIELDS = ("DataKeyId", "KeyId", "KeyName", "DataKeyName", "NumberOfBytes", "CreateTime", "Description",
                   "KeyState", "CreatorUin", "Owner", "DeletionDate", "Origin", "ResourceId")


def unique_name(prefix="dk"):
    """A fresh DataKeyName (letters, digits, '-')."""
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


def random_data_key_id():
    return str(uuid.uuid4())


# --------------------------------------------------------------------------------------------------
# the client
# --------------------------------------------------------------------------------------------------

_CREDENTIALS = {}          # (AppId, action) -> Account with a credential of its own
_CREDENTIALS_LOCK = threading.Lock()


def credential_for(kms_env, account, action):
    """A credential of ``account`` used for ``action`` only (made once per session)."""
    with _CREDENTIALS_LOCK:
        key = (account.app_id, account.secret_id, action)
        if key not in _CREDENTIALS:
            data = ctl_json(run_ctl(kms_env.repo, ["credential", "create", "--app-id", account.app_id, "--json"]),
                            "kmsctl credential create")
            made = Account.from_ctl(account.name, data)
            assert made.app_id == account.app_id
            _CREDENTIALS[key] = made
        return _CREDENTIALS[key]


class DataKeys:
    """``dk.GenerateDataKey(...)``, ``dk.call("Action", ...)``: the official SDK as ``account`` in
    ``region``, each action signed with its own credential of the account (``per_action=False``:
    with ``account``'s own credential only -- a sub-user's, which `kmsctl credential create`
    cannot multiply, since it makes root credentials)."""

    def __init__(self, kms_env, account, region, *, per_action=True):
        self.kms_env, self.account, self.region = kms_env, account, region
        self.kms = Kms(account, region, kms_env.endpoint)
        self.per_action = per_action
        self._clients = {}

    def client(self, action):
        if not self.per_action:
            return self.kms
        if action not in self._clients:
            self._clients[action] = Kms(credential_for(self.kms_env, self.account, action), self.region,
                                        self.kms_env.endpoint)
        return self._clients[action]

    def __getattr__(self, action):
        if not action[:1].isupper():
            raise AttributeError(action)
        return getattr(self.client(action), action)

    def call(self, action, **params):
        return self.client(action).call(action, **params)

    # conveniences ----------------------------------------------------------------------------
    def new_cmk(self, **fields):
        return self.kms.new_key_id(**fields)

    def meta(self, data_key_id):
        return self.DescribeDataKey(DataKeyId=data_key_id).DataKeyMetadata

    def state(self, data_key_id):
        return self.meta(data_key_id).KeyState

    def plaintext(self, data_key_id) -> bytes:
        return unb64(self.GetDataKeyPlaintext(DataKeyId=data_key_id).Plaintext)

    def blob(self, data_key_id):
        return self.GetDataKeyCiphertextBlob(DataKeyId=data_key_id).CiphertextBlob

    def status(self):
        return self.GetServiceStatus()


def hosted(dk, key_id, name=None, **fields):
    """GenerateDataKey with IsHostedByKms=1 (32 bytes unless told); the response."""
    if "KeySpec" not in fields:
        fields.setdefault("NumberOfBytes", 32)
    resp = dk.GenerateDataKey(KeyId=key_id, IsHostedByKms=1, DataKeyName=unique_name() if name is None else name,
                              **fields)
    assert resp.DataKeyId, f"hosted GenerateDataKey returned no DataKeyId: {resp}"
    return resp


def imported(dk, material: bytes, key_id=None, name=None, import_type=2, **fields):
    """ImportDataKey; the response. ``material``: the data key (type 2) or a CiphertextBlob (type 1, str)."""
    if key_id is not None:
        fields["KeyId"] = key_id
    text = material if isinstance(material, str) else b64(material)
    return dk.ImportDataKey(DataKeyName=unique_name("imp") if name is None else name, ImportKeyMaterial=text,
                            ImportType=import_type, **fields)


def per_key_params(action, data_key_id):
    params = {"DataKeyId": data_key_id, **PER_KEY_ACTIONS[action]}
    if "DataKeyName" in params:
        params["DataKeyName"] = unique_name("never")
    return params


# --------------------------------------------------------------------------------------------------
# the database (deadlines)
# --------------------------------------------------------------------------------------------------

FAR_FUTURE = 4_000_000_000


def psql_in_tenant(dk, *statements):
    """``statements`` in one transaction scoped to ``dk``'s account and region (row-level security
    is forced on the owner too); the output's lines."""
    out = owner_psql(dk.kms_env.home,
                     "BEGIN; "
                     f"SELECT set_config('kms.app_id', '{int(dk.account.app_id)}', true), "
                     f"set_config('kms.region', '{dk.region}', true); " + " ".join(statements) + " COMMIT;")
    return out.splitlines()


def data_key_rows(dk, data_key_id):
    return int(psql_in_tenant(dk, f"SELECT count(*) FROM data_keys WHERE data_key_id = '{data_key_id}';")[-1])


def purge_job_due(dk, data_key_id):
    """due_at of the data key's delete_data_key job, or None."""
    out = psql_in_tenant(dk, f"SELECT due_at FROM scheduled_jobs WHERE kind = 'delete_data_key' "
                             f"AND key_id = '{data_key_id}';")
    return int(out[-1]) if out and out[-1].strip().isdigit() and len(out) > 1 else None


def move_deletion_date(dk, data_key_id, *, job_due_at=FAR_FUTURE):
    """DeletionDate of a PendingDelete data key to a second ago; its purge job to ``job_due_at``."""
    psql_in_tenant(dk,
                   f"UPDATE data_keys SET deletion_date = extract(epoch FROM now())::bigint - 1 "
                   f"WHERE data_key_id = '{data_key_id}' AND state = 'PendingDelete';",
                   f"UPDATE scheduled_jobs SET due_at = {job_due_at} WHERE kind = 'delete_data_key' "
                   f"AND key_id = '{data_key_id}';")


# --------------------------------------------------------------------------------------------------
# fixtures (import them into a test module to use them)
# --------------------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def dks(kms_env):
    """``dks(account, region=FIPS_REGION)`` -> DataKeys."""
    return lambda account, region=FIPS_REGION: DataKeys(kms_env, account, region)


@pytest.fixture
def dk_a(dks, account_a, region):
    """Account A's data keys in the parametrised region (FIPS and SM)."""
    return dks(account_a, region)


@pytest.fixture
def cmk_a(dk_a):
    """A fresh Enabled symmetric CMK of account A in the parametrised region."""
    return dk_a.new_cmk(Description="data-key CMK")


__all__ = [name for name in dir() if not name.startswith("_")]
