"""Running `scripts/kms ctl …` as an operator does, keeping its exit status and both streams."""

import os
import subprocess


def ctl_run(kms_env, *args, cwd=None, env=None, timeout=120):
    """``scripts/kms ctl ARGS`` (from ``cwd``, default the repository); the CompletedProcess."""
    cmd = [kms_env.kms_script, "ctl", *map(str, args)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                          cwd=cwd or kms_env.repo, env=env or os.environ.copy())


def assert_one_line_failure(proc, *expected_words):
    """Exit non-zero; nothing on stdout; stderr exactly one line ``kmsctl: …`` that names no Swift
    source file and contains each of ``expected_words``."""
    what = f"`{' '.join(proc.args)}`"
    assert proc.returncode != 0, f"{what} succeeded: {proc.stdout!r}"
    assert proc.stdout == "", f"{what} printed on stdout: {proc.stdout!r}"
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, f"{what}: stderr is not one line: {proc.stderr!r}"
    line = lines[0]
    assert line.startswith("kmsctl: "), f"{what}: {line!r} does not start with 'kmsctl: '"
    assert ".swift" not in line and "Error(" not in line, f"{what} leaks a source location or a type: {line!r}"
    for word in expected_words:
        assert word in line, f"{what}: {line!r} does not mention {word!r}"
    return line


def kmsctl_binary(kms_env):
    """The kmsctl that `scripts/kms ctl` runs (KMS_CTL_BIN in development, else the release build)."""
    return os.environ.get("KMS_CTL_BIN") or os.path.join(kms_env.repo, ".build", "release", "kmsctl")


def kmsctl_run(kms_env, *args, cwd=None, env=None, timeout=60):
    """kmsctl itself, without scripts/kms (no stack settings): for --help and for kmsctl used alone."""
    return subprocess.run([kmsctl_binary(kms_env), *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, cwd=cwd or kms_env.repo, env=env or os.environ.copy())
