"""The README's walkthroughs run one after another, in one shell, against one stack, as a new user
runs them: every ```sh or ```python block right after a ``<!-- readme:run -->`` marker in
$KMS_REPO/README.md, in the README's order (quickstart with the Python SDK, tccli, BYOK, signing
with asymmetric keys, a data key KMS keeps). Shell
blocks run verbatim in one ``bash -euo pipefail``; Python blocks go to this Python through a here-doc
at their place in that script, so state (PATH, tccli's profile, files) carries over as it would.

tccli: the README installs it with ``pip install tccli`` into ``~/.venvs/tccli`` unless a tccli is
already there (a minute and 600 MB from PyPI). HOME is a fresh directory holding a
``--system-site-packages`` venv at that path with the tccli this suite already installed and a
private copy of certifi *without* the local CA: the README's own step must add it, or every
tccli call fails TLS verification.
"""

import os
import re
import shutil
import stat
import subprocess
import sys

import pytest

from e2e_support import Kms, FIPS_REGION, SM_REGION
from tccli_support import run  # one way to run a README step and show its output on failure

RUN_RE = re.compile(r"^<!-- readme:run -->[ \t]*\n(?:<!-- [^\n]*-->[ \t]*\n)*```(sh|bash|python)[ \t]*\n(.*?)^```[ \t]*$",
                    re.MULTILINE | re.DOTALL)
FIPS_RE = re.compile(r"^<!-- walkthrough:fips -->[ \t]*\n```(?:sh|bash)[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)


def readme(kms_env):
    with open(os.path.join(kms_env.repo, "README.md"), encoding="utf-8") as fh:
        return fh.read()


def runnable_blocks(text):
    """[(language, code)] of the marked blocks, in order."""
    blocks = RUN_RE.findall(text)
    markers = len(re.findall(r"^<!-- readme:run -->", text, re.MULTILINE))
    assert len(blocks) == markers, (f"README.md has {markers} <!-- readme:run --> markers but {len(blocks)} "
                                    f"of them are followed by a ```sh or ```python block")
    return blocks


def as_script(blocks):
    """One bash script: shell blocks verbatim, Python blocks as here-docs to $KMS_README_PYTHON."""
    parts = []
    for language, code in blocks:
        if language == "python":
            assert "KMS_README_PY_END" not in code
            parts.append(f'"$KMS_README_PYTHON" - <<\'KMS_README_PY_END\'\n{code}KMS_README_PY_END\n')
        else:
            parts.append(code)
    return "\n".join(parts)


@pytest.fixture(scope="module")
def reader_home(tmp_path_factory):
    """A HOME with ~/.venvs/tccli: this suite's tccli, a certifi copy that lacks the local CA."""
    try:
        import certifi
        import tccli  # noqa: F401
    except ImportError as exc:
        pytest.fail(f"tccli is not installed for {sys.executable} ({exc}); `pip install tccli`", pytrace=False)
    home = tmp_path_factory.mktemp("home")
    venv = home / ".venvs" / "tccli"
    # No pip in it: the README's guard skips its pip install when tccli is there.
    run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    site_packages = run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).strip()
    shutil.copytree(os.path.dirname(certifi.__file__), os.path.join(site_packages, "certifi"))
    tccli = venv / "bin" / "tccli"
    tccli.write_text(f"#!{python}\nfrom tccli.main import main\nimport sys\nsys.exit(main())\n")
    tccli.chmod(0o755)
    return home


def reader_env(kms_env, account, home):
    if os.path.realpath(kms_env.ca_file) != os.path.realpath(os.path.join(kms_env.home, "tls", "ca.pem")):
        pytest.fail(f"the test stack's CA is {kms_env.ca_file}, not $KMS_HOME/tls/ca.pem as the README assumes",
                    pytrace=False)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TENCENTCLOUD_", "REQUESTS_CA", "TCCLI"))}
    env.update({
        "HOME": str(home),
        "KMS_HOME": kms_env.home,
        "KMS_HTTPS_PORT": kms_env.https_endpoint.rsplit(":", 1)[1],
        "TENCENTCLOUD_SECRET_ID": account.secret_id,
        "TENCENTCLOUD_SECRET_KEY": account.secret_key,
        "KMS_README_PYTHON": sys.executable,
    })
    return env


def test_readme_walkthroughs_run_in_sequence_on_one_stack(kms_env, make_account, reader_home, tmp_path):
    blocks = runnable_blocks(readme(kms_env))
    languages = [language for language, _ in blocks]
    assert "python" in languages and len(blocks) >= 5, f"too few runnable README blocks: {languages}"
    script = as_script(blocks)
    account = make_account("readme-sequence")
    work = tmp_path / "work"
    work.mkdir()

    proc = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=work,
                          env=reader_env(kms_env, account, reader_home), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, (f"the README's walkthroughs failed in sequence (exit {proc.returncode})\n"
                                  f"--- script ---\n{script}\n--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}")
    lines = proc.stdout.splitlines()
    for expected in ("b'hello'", "hello, byok", "hello, sm"):
        assert expected in lines, f"the walkthroughs never printed {expected!r}:\n{proc.stdout}"
    assert lines.index("b'hello'") < lines.index("hello, byok") < lines.index("hello, sm")
    # The asymmetric walkthroughs (ECC, SM2) each end with openssl verifying the service's signature.
    assert lines.count("Verified OK") == 2, f"openssl did not verify both signatures:\n{proc.stdout}"
    # The data-key walkthrough decrypts its file with the hosted data key, then schedules its deletion.
    assert "order 1: three apples" in lines and "PendingDelete" in lines, \
        f"the data-key walkthrough did not run to its end:\n{proc.stdout}"
    assert lines.index("hello, sm") < lines.index("order 1: three apples") < lines.index("PendingDelete")

    # Each walkthrough made its own key: no alias was asked for twice.
    aliases = set()
    for region in (FIPS_REGION, SM_REGION):
        kms = Kms(account, region, kms_env.endpoint, scheme="http")
        aliases |= {key["Alias"] for key in kms.call("ListKeyDetail", Limit=200, KeyUsage="ALL").get("KeyMetadatas") or []}
    assert {"orders", "payments", "byok-demo", "byok-demo-sm", "release-signing", "release-signing-sm",
            "orders-cmk"} <= aliases, aliases
    data_keys = Kms(account, FIPS_REGION, kms_env.endpoint, scheme="http").call("ListDataKeyDetail", Limit=200)
    assert [(m["DataKeyName"], m["KeyState"]) for m in data_keys["DataKeyMetadatas"]] == \
        [("orders-2026", "PendingDelete")], data_keys

    # The customer's material backups are theirs alone.
    for name in ("material.bin", "material-sm.bin"):
        mode = stat.S_IMODE(os.stat(work / name).st_mode)
        assert mode == 0o600, f"{name} has mode {oct(mode)}, not 0600"


def test_readme_byok_walkthrough_refuses_to_overwrite_material(kms_env, make_account, reader_home, tmp_path):
    blocks = FIPS_RE.findall(readme(kms_env))
    assert len(blocks) == 1, "README.md must have one ```sh block after <!-- walkthrough:fips -->"
    account = make_account("readme-backup")
    work = tmp_path / "work"
    work.mkdir()
    backup = work / "material.bin"
    backup.write_bytes(b"\x01" * 32)  # the backup of an earlier key

    env = reader_env(kms_env, account, reader_home)
    env["PATH"] = str(reader_home / ".venvs" / "tccli" / "bin") + os.pathsep + env.get("PATH", "")
    proc = subprocess.run(["bash", "-c", blocks[0]], cwd=work, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0, f"the walkthrough ran over an existing material.bin:\n{proc.stdout}\n{proc.stderr}"
    assert "material.bin" in proc.stderr, f"the refusal does not name the file: {proc.stderr!r}"
    assert backup.read_bytes() == b"\x01" * 32, "material.bin was overwritten"
    kms = Kms(account, FIPS_REGION, kms_env.endpoint, scheme="http")
    assert not kms.call("ListKeys", Limit=200).get("Keys"), "the refused walkthrough still created a key"
