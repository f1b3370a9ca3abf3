"""Every option of every kmsctl command has help text: `kmsctl <command> --help` lists no option
without words after it. The commands are found from kmsctl itself (ArgumentParser's
``--experimental-dump-help``), so a command added later is checked too."""

import json
import re

from kmsctl_support import kmsctl_run

OPTION_LINE = re.compile(r"^  (-\S.*)$")


def command_paths(kms_env):
    proc = kmsctl_run(kms_env, "--experimental-dump-help")
    assert proc.returncode == 0, proc.stderr
    paths = []

    def walk(command, path):
        paths.append(path)
        for sub in command.get("subcommands") or []:
            walk(sub, path + [sub["commandName"]])
    walk(json.loads(proc.stdout)["command"], [])
    return paths


def options_without_help(help_text):
    """The option lines of the OPTIONS section with no text on them nor on an indented next line."""
    lines = help_text.splitlines()
    try:
        start = lines.index("OPTIONS:") + 1
    except ValueError:
        return []
    bare = []
    for i in range(start, len(lines)):
        line = lines[i]
        if line and not line.startswith(" "):
            break  # the next section
        match = OPTION_LINE.match(line)
        if not match:
            continue
        # The label is names and <value>s ("-h, --help", "--limit <n>"); any other word is help text.
        has_text = any(not word.startswith(("-", "<", "[")) for word in match.group(1).split())
        following = lines[i + 1] if i + 1 < len(lines) else ""
        continued = following.startswith(" " * 10) and following.strip() != ""
        if not has_text and not continued:
            bare.append(match.group(1).strip())
    return bare


def test_options_without_help_are_found():
    # The checker itself: a bare option is reported, a described one (same or next line) is not.
    text = "OPTIONS:\n  --json\n  --limit <n>             Show N.\n  --master-key <master-key>\n" \
           "                          Master key file.\n  --secret-id <secret-id> The SecretId.\n" \
           "  --app-id <app-id>\n  -h, --help              Show help information.\n"
    assert options_without_help(text) == ["--json", "--app-id <app-id>"]


def test_every_kmsctl_option_has_help(kms_env):
    paths = command_paths(kms_env)
    assert ["credential", "list"] in paths and ["audit", "tail"] in paths, paths
    bare = {}
    for path in paths:
        proc = kmsctl_run(kms_env, *path, "--help")
        assert proc.returncode == 0, f"kmsctl {' '.join(path)} --help exited {proc.returncode}: {proc.stderr}"
        assert "OPTIONS:" in proc.stdout, proc.stdout
        missing = options_without_help(proc.stdout)
        if missing:
            bare[" ".join(path) or "(kmsctl)"] = missing
    assert not bare, f"options without help text: {bare}"
