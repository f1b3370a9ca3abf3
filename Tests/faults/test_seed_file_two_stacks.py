"""Issue 18's payoff: two stacks seeded from the same file (different KMS_HOME, different master
keys) each decrypt the ciphertexts the other made, so a repository can commit ciphertext fixtures
that decrypt on every developer's stack and in CI. One stack is the suite's, seeded with
`scripts/kms ctl apply FILE`; the other a spare one, seeded by `scripts/kms up` from KMS_SEED.
Driven with Tencent's Python SDK, as an application would. Also: a second apply changes nothing,
--dry-run changes nothing, and fixed secrets are refused beyond loopback without the flag.
"""

import os
import re
import secrets
import string
import sys
import uuid

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "e2e"))

from e2e_support import FIPS_REGION, SM_REGION, Account, Kms  # noqa: E402
from kmsctl_support import ctl_run  # noqa: E402
from spare_stack import SpareStack  # noqa: E402

ALNUM = string.ascii_letters + string.digits


@pytest.fixture
def spare():
    stack = SpareStack("seed")
    yield stack
    stack.close()


def seed_file(path):
    """A seed file of a fresh account (fixed AppId, Uin, credential) with a generated FIPS key, a
    generated SM key and an EXTERNAL key, each with fixed material; returns the account and key ids."""
    account = Account(name="seed-" + uuid.uuid4().hex[:8],
                      app_id=str(1_250_000_000 + secrets.randbelow(150_000_000)),
                      uin=str(100_000_000_000 + secrets.randbelow(99_999_999_999)),
                      secret_id="AKID" + "".join(secrets.choice(ALNUM) for _ in range(32)),
                      secret_key="".join(secrets.choice(ALNUM) for _ in range(32)))
    keys = {"fips": str(uuid.uuid4()), "sm": str(uuid.uuid4()), "byok": str(uuid.uuid4())}
    with open(path, "w") as fh:
        fh.write(f"""# fixtures of the seed test
accounts:
  - name: {account.name}
    AppId: {account.app_id}
    Uin: {account.uin}
    SecretId: {account.secret_id}
    SecretKey: {account.secret_key}
    regions:
      {FIPS_REGION}:
        keys:
          - KeyId: {keys["fips"]}
            Alias: orders
            Description: order numbers
            Material: {secrets.token_hex(32)}
          - KeyId: {keys["byok"]}
            Alias: byok
            Origin: EXTERNAL
            Material: {secrets.token_hex(32)}
            ValidTo: 0
      {SM_REGION}:
        keys:
          - KeyId: {keys["sm"]}
            Alias: orders-sm
            Material: {secrets.token_hex(16)}
""")
    os.chmod(path, 0o644)
    return account, keys


def ctl(stack, *args, **env):
    """``scripts/kms ctl ARGS`` against ``stack``, ``env`` on top of this process's environment."""
    return ctl_run(stack, *args, env={**os.environ, "KMS_HOME": stack.home, **env})


def test_two_stacks_seeded_from_one_file_decrypt_each_others_ciphertexts(stack, spare):
    path = os.path.join(spare.dir, "seed.yaml")
    account, keys = seed_file(path)

    applied = ctl(stack, "apply", path)
    assert applied.returncode == 0, applied.stderr
    assert f"create the key {keys['fips']} (orders) in {FIPS_REGION}" in applied.stdout
    assert applied.stdout.splitlines()[-1] == "6 changes applied", applied.stdout
    again = ctl(stack, "apply", path)
    assert again.returncode == 0 and again.stdout.startswith("no changes"), again.stdout + again.stderr

    up = spare.up(KMS_SEED=path)
    assert f"applying the seed file {path}" in up.stdout + up.stderr
    assert spare.stack_env() and "KMS_SEED" not in spare.stack_env()

    a_endpoint, b_endpoint = stack.endpoint, f"127.0.0.1:{spare.http_port}"
    for region, key in ((FIPS_REGION, keys["fips"]), (SM_REGION, keys["sm"]), (FIPS_REGION, keys["byok"])):
        a, b = Kms(account, region, a_endpoint), Kms(account, region, b_endpoint)
        assert a.DescribeKey(KeyId=key).KeyMetadata.KeyState == "Enabled"
        assert b.DescribeKey(KeyId=key).KeyMetadata.KeyState == "Enabled"
        for maker, opener in ((a, b), (b, a)):
            data = os.urandom(48)
            blob = maker.encrypt(key, data, context='{"fixture":"yes"}')
            assert opener.decrypt(blob, context='{"fixture":"yes"}') == data, (region, key)
    # Different master keys all the same: the stacks share the file, nothing else.
    with open(os.path.join(stack.home, "master.key"), "rb") as fa, open(os.path.join(spare.home, "master.key"), "rb") as fb:
        assert fa.read() != fb.read()


def test_dry_run_and_the_loopback_rule(stack, spare):
    path = os.path.join(spare.dir, "seed.yaml")
    account, keys = seed_file(path)
    assert ctl(stack, "apply", path).returncode == 0
    with open(path) as fh:
        text = fh.read()
    with open(path, "w") as fh:
        fh.write(text.replace("Description: order numbers", "Description: invoices"))

    dry = ctl(stack, "apply", "--dry-run", path)
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.splitlines() == [f"{account.name}: {keys['fips']} (orders) in {FIPS_REGION}: Description changed",
                                       "1 change would be made; nothing was changed (--dry-run)"]
    kms = Kms(account, FIPS_REGION, stack.endpoint)
    assert kms.DescribeKey(KeyId=keys["fips"]).KeyMetadata.Description == "order numbers"

    # A stack listening beyond loopback takes no fixed secrets unless told to, and says why.
    refused = ctl(stack, "apply", path, KMS_LISTEN="0.0.0.0")
    assert refused.returncode != 0 and refused.stdout == ""
    assert "listens beyond loopback (0.0.0.0)" in refused.stderr and "--allow-fixed-secrets" in refused.stderr
    assert kms.DescribeKey(KeyId=keys["fips"]).KeyMetadata.Description == "order numbers"
    allowed = ctl(stack, "apply", "--allow-fixed-secrets", path, KMS_LISTEN="0.0.0.0")
    assert allowed.returncode == 0, allowed.stderr
    assert kms.DescribeKey(KeyId=keys["fips"]).KeyMetadata.Description == "invoices"

    # A bad file names its line and field, and `up` stops on it without changing anything.
    with open(path, "w") as fh:
        fh.write(text.replace("Alias: orders-sm", "Alias: orders-sm\n            Colour: blue"))
    bad = ctl(stack, "apply", path)
    assert bad.returncode != 0
    assert f"{path}:24: accounts[0].regions.{SM_REGION}.keys[0].Colour: unknown field" in bad.stderr, bad.stderr
    proc = spare.kms("up", KMS_SEED=path)
    assert proc.returncode != 0
    assert "the seed file was not applied (nothing of it was changed)" in proc.stderr and "Colour" in proc.stderr


def readme_seed(repo):
    """The seed file the README shows (the ```yaml block after <!-- readme:seed -->)."""
    with open(os.path.join(repo, "README.md"), encoding="utf-8") as fh:
        text = fh.read()
    blocks = re.findall(r"^<!-- readme:seed -->[ \t]*\n```yaml[ \t]*\n(.*?)^```[ \t]*$", text, re.MULTILINE | re.DOTALL)
    assert len(blocks) == 1, "README.md must show one ```yaml seed file after <!-- readme:seed -->"
    return blocks[0]


def test_the_readmes_seed_file_applies_and_serves_as_it_says(stack, spare):
    text = readme_seed(stack.repo)
    path = os.path.join(spare.dir, "seed.yaml")
    with open(path, "w") as fh:
        fh.write(text)
    os.chmod(path, 0o644)
    applied = ctl(stack, "apply", path)
    assert applied.returncode == 0, applied.stderr
    assert ctl(stack, "apply", path).stdout.startswith("no changes")

    fixture = Account("fixture", "1300000001", "100000000001", "AKIDfixturefixturefixturefixture0001",
                      "fixturefixturefixturefixture0001")
    for region, key in ((FIPS_REGION, "11111111-2222-3333-4444-555555555555"), (SM_REGION, "66666666-7777-8888-9999-000000000000")):
        kms = Kms(fixture, region, stack.endpoint)
        assert kms.decrypt(kms.encrypt(key, b"fixture")) == b"fixture"
    kms = Kms(fixture, FIPS_REGION, stack.endpoint)
    metadata = kms.DescribeKey(KeyId="11111111-2222-3333-4444-555555555555").KeyMetadata
    assert (metadata.Alias, metadata.Description, metadata.KeyState) == ("fixture-key", "orders", "Enabled")
    byok = [k for k in kms.call("ListKeyDetail", Limit=200)["KeyMetadatas"] if k["Alias"] == "byok-fixture"]
    assert len(byok) == 1 and byok[0]["Origin"] == "EXTERNAL" and byok[0]["KeyState"] == "Enabled", byok

    # The refusal the README quotes, word for word.
    material = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
    with open(path, "w") as fh:
        fh.write(text.replace(material, material[:-2]))
    short = ctl(stack, "apply", path)
    assert short.returncode != 0
    quoted = ("16: accounts[0].regions.ap-guangzhou.keys[0].Material: 31 bytes; keys in a FIPS region take 32 "
              "(64 hexadecimal digits)")
    assert f"{path}:{quoted}" in short.stderr, short.stderr
    with open(os.path.join(stack.repo, "README.md"), encoding="utf-8") as fh:
        assert "`seed.yaml:" + quoted.replace("Material: 31", "Material:\n  31") + "`" in fh.read()
