"""`kmsctl credential list` tells an account's root credentials from its CAM sub-users' access keys
(`UserUin`, or the last column: `root` or the sub-user's Uin), and never shows a secret."""

import json

from cam_support import Cam, add_sub_user
from kmsctl_support import ctl_run


def test_credential_list_names_the_sub_user_of_each_access_key(kms_env, make_account):
    account = make_account("credential-list-cam")
    added, _ = add_sub_user(Cam(account, kms_env.endpoint), account)

    proc = ctl_run(kms_env, "credential", "list", "--app-id", account.app_id, "--json")
    assert proc.returncode == 0, proc.stderr
    rows = {row["SecretId"]: row for row in json.loads(proc.stdout)}
    assert rows[account.secret_id]["UserUin"] is None
    assert rows[added.SecretId]["UserUin"] == added.Uin

    proc = ctl_run(kms_env, "credential", "list", "--app-id", account.app_id)
    assert proc.returncode == 0, proc.stderr
    last = {line.split("\t")[0]: line.split("\t")[-1] for line in proc.stdout.splitlines()}
    assert last == {account.secret_id: "root", added.SecretId: str(added.Uin)}, proc.stdout
    assert added.SecretKey not in proc.stdout
