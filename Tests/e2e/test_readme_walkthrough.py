"""The README's walkthroughs (BYOK in both profiles, least privilege with CAM, signing with an
asymmetric key in both profiles and verifying with openssl, a data key KMS keeps), run verbatim: each ```sh block right after a
``<!-- walkthrough:NAME -->`` marker in $KMS_REPO/README.md goes through ``bash -euo pipefail`` with
tccli and openssl, as a reader would run it, against the stack's HTTPS endpoint.

tccli verifies TLS only against the ``certifi`` bundle of the Python that runs it, so the session
builds a private tccli that trusts the local CA (tccli_support.private_tccli)."""

import os
import re
import subprocess
import sys

import pytest

from tccli_support import private_tccli

# name -> the walkthrough's last line: the decrypted plaintext, or openssl's verdict on a signature.
WALKTHROUGHS = {"fips": "hello, byok", "sm": "hello, sm", "least-privilege": "hello, least privilege",
                "asymmetric": "Verified OK", "asymmetric-sm": "Verified OK", "data-keys": "PendingDelete"}
# name -> lines the walkthrough must print on the way (beside its last line)
ALSO_PRINTED = {"data-keys": ["order 1: three apples", "orders-2026\torders-cmk\tEnabled\t32"]}
BLOCK_RE = r"^<!-- walkthrough:{name} -->[ \t]*\n```(?:sh|bash)[ \t]*\n(.*?)^```[ \t]*$"


def walkthrough_block(readme_text, name):
    """The code block right after ``<!-- walkthrough:NAME -->``; exactly one must exist."""
    blocks = re.findall(BLOCK_RE.format(name=re.escape(name)), readme_text, re.MULTILINE | re.DOTALL)
    assert len(blocks) == 1, (f"README.md must have exactly one ```sh block right after "
                              f"<!-- walkthrough:{name} -->, found {len(blocks)}")
    return blocks[0]


@pytest.fixture(scope="session")
def tccli_dir(kms_env, tmp_path_factory):
    """A directory holding a ``tccli`` that trusts KMS_CA_FILE (for the front of PATH)."""
    try:
        import tccli  # noqa: F401
    except ImportError as exc:
        pytest.fail(f"tccli is not installed for {sys.executable} ({exc}); `pip install tccli`",
                    pytrace=False)
    return private_tccli(kms_env.ca_file, str(tmp_path_factory.mktemp("tccli")))


@pytest.mark.parametrize("name", list(WALKTHROUGHS))
def test_readme_walkthrough_runs_verbatim(name, kms_env, make_account, tccli_dir, tmp_path):
    with open(os.path.join(kms_env.repo, "README.md"), encoding="utf-8") as fh:
        block = walkthrough_block(fh.read(), name)
    script = tmp_path / f"walkthrough-{name}.sh"
    script.write_text(block)
    work = tmp_path / "work"
    home = tmp_path / "home"  # no ~/.tccli profile of the machine's user can interfere
    work.mkdir()
    home.mkdir()
    account = make_account(f"walkthrough-{name}")
    env = dict(os.environ)
    env.update({
        "TENCENTCLOUD_SECRET_ID": account.secret_id,
        "TENCENTCLOUD_SECRET_KEY": account.secret_key,
        "KMS_HTTPS_PORT": kms_env.https_endpoint.rsplit(":", 1)[1],
        "PATH": tccli_dir + os.pathsep + os.environ.get("PATH", ""),
        "HOME": str(home),
    })
    proc = subprocess.run(["bash", "-euo", "pipefail", str(script)], cwd=work, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, (f"walkthrough:{name} exited {proc.returncode}\n--- script ---\n{block}"
                                  f"--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}")
    lines = proc.stdout.splitlines()
    assert lines and lines[-1] == WALKTHROUGHS[name], \
        f"walkthrough:{name} did not end with {WALKTHROUGHS[name]!r}:\n{proc.stdout}"
    for line in ALSO_PRINTED.get(name, []):
        assert line in lines, f"walkthrough:{name} did not print {line!r}:\n{proc.stdout}"
