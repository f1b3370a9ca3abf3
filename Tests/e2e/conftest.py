"""Fixtures of the end-to-end suite.

Run through ``scripts/kms test``, which starts an isolated stack and exports KMS_HOME, KMS_ENDPOINT,
KMS_HTTPS_ENDPOINT, KMS_CA_FILE and KMS_REPO. Without them every fixture fails (never skips).
"""

import os
import sys
import uuid
from dataclasses import dataclass

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from e2e_support import (  # noqa: E402
    ctl_json, run_ctl, stack_env,
    FIPS_REGION, SM_REGION, Account, Kms, RawClient,
)



@dataclass(frozen=True)
class KmsEnv:
    home: str
    endpoint: str        # host:port, plain HTTP
    https_endpoint: str  # host:port, TLS
    ca_file: str
    repo: str

    @property
    def kms_script(self):
        return os.path.join(self.repo, "scripts", "kms")

    def ctl(self, *args):
        """Run ``scripts/kms ctl ARGS`` with the caller's environment; return parsed JSON (or None)."""
        out = run_ctl(self.repo, args)
        return ctl_json(out, "scripts/kms ctl " + " ".join(args)) if "--json" in args else None


@pytest.fixture(scope="session")
def kms_env():
    return KmsEnv(**stack_env("e2e"))


# ------------------------------------------------------------------------------------------------
# accounts and credentials
# ------------------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def make_account(kms_env):
    """``make_account("label")`` -> a brand-new account (no keys anywhere)."""
    def make(label="acct"):
        name = f"e2e-{label}-{uuid.uuid4().hex[:8]}"
        return Account.from_ctl(name, kms_env.ctl("account", "create", "--name", name, "--json"))
    return make


@pytest.fixture(scope="session")
def account_a(make_account):
    return make_account("a")


@pytest.fixture(scope="session")
def account_b(make_account):
    return make_account("b")


@pytest.fixture(scope="session")
def make_credential(kms_env):
    """``make_credential(account)`` -> the same account with a second SecretId/SecretKey."""
    def make(account):
        data = kms_env.ctl("credential", "create", "--app-id", account.app_id, "--json")
        new = Account.from_ctl(account.name, data)
        assert new.app_id == account.app_id, f"credential created for AppId {new.app_id}, not {account.app_id}"
        return new
    return make


@pytest.fixture(scope="session")
def disable_credential(kms_env):
    def disable(account):
        kms_env.ctl("credential", "disable", "--secret-id", account.secret_id)
    return disable


# ------------------------------------------------------------------------------------------------
# clients
# ------------------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def client(kms_env):
    """``client(account, region, method="POST", sign="TC3-HMAC-SHA256", language=None)`` -> Kms
    (official SDK over plain HTTP). ``https=True`` goes to KMS_HTTPS_ENDPOINT with the local CA
    (``ca=None`` -> the SDK's default trust store)."""
    def make(account, region=FIPS_REGION, method="POST", sign="TC3-HMAC-SHA256", language=None,
             https=False, ca=True):
        if https:
            return Kms(account, region, kms_env.https_endpoint, scheme="https", method=method,
                       sign=sign, language=language, certification=kms_env.ca_file if ca else None)
        return Kms(account, region, kms_env.endpoint, scheme="http", method=method, sign=sign,
                   language=language)
    return make


@pytest.fixture(scope="session")
def raw(kms_env):
    """Hand-signed TC3 / v1 requests over plain HTTP (see e2e_support.RawClient)."""
    return RawClient(kms_env.endpoint)


@pytest.fixture(scope="session")
def raw_https(kms_env):
    return RawClient(kms_env.https_endpoint, scheme="https", verify=kms_env.ca_file)


# ------------------------------------------------------------------------------------------------
# regions: crypto-relevant tests run once per profile
# ------------------------------------------------------------------------------------------------

@pytest.fixture(params=[FIPS_REGION, SM_REGION], ids=["fips", "sm"])
def region(request):
    return request.param


@pytest.fixture
def kms_a(client, account_a, region):
    """Account A's SDK client in the parametrised region (FIPS and SM)."""
    return client(account_a, region)


@pytest.fixture
def kms_b(client, account_b, region):
    return client(account_b, region)


@pytest.fixture
def fips_a(client, account_a):
    """Account A in the FIPS region only, for tests where the profile does not matter."""
    return client(account_a, FIPS_REGION)


@pytest.fixture
def key_a(kms_a):
    """A fresh Enabled key of account A in the parametrised region."""
    return kms_a.new_key_id(Description="e2e key")
