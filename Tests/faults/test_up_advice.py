"""What `scripts/kms up` tells a new user works as told: the credentials as an export line, the CA
file for the SDK's `HttpProfile(certification=…)`, tccli's certifi step and how to get English
error messages — and never `REQUESTS_CA_BUNDLE`, which the SDK ignores and which, exported in that
shell, made pip distrust PyPI. Runs `up` again on the running stack (idempotent) and uses its
advice with the official SDK."""

import base64
import os
import re
import subprocess

from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.kms.v20190118 import kms_client, models


def test_up_advises_what_the_sdk_and_tccli_use(stack):
    env = {**os.environ, "KMS_HOME": stack.home, "KMS_SKIP_BUILD": "1"}
    proc = subprocess.run([stack.kms_script, "up"], env=env, capture_output=True, text=True, timeout=180,
                          cwd=stack.repo)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"scripts/kms up failed:\n{out}"
    assert "REQUESTS_CA_BUNDLE" not in out, f"up still advises REQUESTS_CA_BUNDLE:\n{out}"
    assert "python -m certifi" in out and "tccli" in out, f"no tccli certifi step:\n{out}"
    assert 'language="en-US"' in out and "--language en-US" in out, f"no word on English errors:\n{out}"

    exported = re.search(r"export TENCENTCLOUD_SECRET_ID=(\S+) TENCENTCLOUD_SECRET_KEY=(\S+)", out)
    profile = re.search(r'HttpProfile\(endpoint="([^"]+)", certification="([^"]+)"\)', out)
    assert exported and profile, f"no export line or HttpProfile advice:\n{out}"
    endpoint, ca = profile.groups()
    assert os.path.realpath(ca) == os.path.realpath(stack.ca_file), (ca, stack.ca_file)

    # The advice, followed to the letter, reaches the service over HTTPS in English.
    http = HttpProfile(endpoint=endpoint, certification=ca)
    client = kms_client.KmsClient(credential.Credential(*exported.groups()), "ap-guangzhou",
                                  ClientProfile(httpProfile=http, language="en-US"))
    req = models.GenerateRandomRequest()
    req.NumberOfBytes = 16
    assert len(base64.b64decode(client.GenerateRandom(req).Plaintext)) == 16
    req = models.DescribeKeyRequest()
    req.KeyId = "00000000-0000-4000-8000-000000000000"
    try:
        client.DescribeKey(req)
        raise AssertionError("DescribeKey of no key succeeded")
    except TencentCloudSDKException as exc:
        assert exc.get_code() == "ResourceUnavailable.CmkNotFound", exc
        assert exc.get_message().isascii(), f"not English: {exc.get_message()!r}"
