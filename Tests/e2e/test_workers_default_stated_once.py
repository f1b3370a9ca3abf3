"""The KMS_WORKERS default is stated one way everywhere a user reads it: `scripts/kms help`, the
README and the responder's `--help` all say "1-512 (default: 8 per core)", and the responder's
help names no machine-specific number of threads as its default."""

import os
import re
import subprocess

STATEMENT = "FastCGI worker threads per responder, 1-512 (default: 8 per core)"


def normal(text):
    """Whitespace (help wraps lines) and dashes (the README uses an en dash) made uniform."""
    return " ".join(text.replace("\u2013", "-").split())


def test_workers_default_is_stated_one_way(kms_env):
    usage = subprocess.run([kms_env.kms_script, "help"], capture_output=True, text=True, timeout=30)
    assert usage.returncode == 0, usage.stderr
    line = next((l for l in usage.stdout.splitlines() if l.strip().startswith("KMS_WORKERS")), "")
    assert STATEMENT in normal(line), f"scripts/kms help says: {line!r}"

    with open(os.path.join(kms_env.repo, "README.md"), encoding="utf-8") as fh:
        readme = normal(fh.read())
    assert f"`KMS_WORKERS` {STATEMENT}" in readme, "README's Worker threads bullet differs"

    responder = os.environ.get("KMS_RESPONDER_BIN") or os.path.join(kms_env.repo, ".build", "release", "kms-responder")
    proc = subprocess.run([responder, "--help"], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    text = normal(proc.stdout[proc.stdout.index("OPTIONS:"):])
    workers = text[text.index("--workers <workers>"):]
    workers = workers[:workers.index(" --", 1)]
    assert STATEMENT in workers, f"kms-responder --help says: {workers!r}"
    assert not re.search(r"\(default: \d+\)", workers), f"a machine-specific default: {workers!r}"
