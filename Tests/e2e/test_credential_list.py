"""`kmsctl credential list [--app-id N] [--json]`: every credential with its SecretId, AppId,
enabled state and creation time — never a SecretKey."""

import json
import time

from kmsctl_support import ctl_run


def listing(kms_env, *args):
    proc = ctl_run(kms_env, "credential", "list", *args)
    assert proc.returncode == 0, f"credential list {' '.join(args)} exited {proc.returncode}: {proc.stderr}"
    return proc.stdout


def test_credential_list_shows_an_accounts_credentials_without_secrets(kms_env, make_account, make_credential,
                                                                      disable_credential):
    before = int(time.time())
    account = make_account("credential-list")
    second = make_credential(account)
    disable_credential(second)
    other = make_account("credential-list-other")

    out = listing(kms_env, "--app-id", account.app_id, "--json")
    rows = json.loads(out)
    assert [set(row) for row in rows] == [{"SecretId", "AppId", "Enabled", "CreatedAt", "UserUin"}] * 2, rows
    assert all(row["UserUin"] is None for row in rows), rows
    by_id = {row["SecretId"]: row for row in rows}
    assert set(by_id) == {account.secret_id, second.secret_id}, rows
    assert by_id[account.secret_id]["Enabled"] is True and by_id[second.secret_id]["Enabled"] is False, rows
    assert all(row["AppId"] == int(account.app_id) for row in rows), rows
    assert all(before - 5 <= row["CreatedAt"] <= int(time.time()) + 5 for row in rows), rows

    text = listing(kms_env, "--app-id", account.app_id)
    lines = text.splitlines()
    assert len(lines) == 2, text
    assert any(line.startswith(second.secret_id) and "\tdisabled\t" in line for line in lines), text
    assert any(line.startswith(account.secret_id) and "\tenabled\t" in line for line in lines), text

    everyone = listing(kms_env, "--json")
    ids = {row["SecretId"] for row in json.loads(everyone)}
    assert {account.secret_id, second.secret_id, other.secret_id} <= ids
    assert other.secret_id not in out

    for shown in (out, text, everyone, listing(kms_env)):
        for secret in (account.secret_key, second.secret_key, other.secret_key):
            assert secret not in shown, "credential list shows a SecretKey"
