"""KMS_METRICS_PORT (docs/operations/monitoring.md): a TCP port or `off`; anything else, or a port
the API already uses, is refused with one line and a non-zero exit before anything runs."""

import json
import os
import subprocess

import pytest


def status(kms_env, **env):
    return subprocess.run([kms_env.kms_script, "status", "--json"], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "KMS_HOME": kms_env.home, **env})


@pytest.mark.parametrize("value", ["abc", "0", "65536", "9464 ", "-1"])
def test_a_metrics_port_that_is_no_port_is_refused(kms_env, value):
    out = status(kms_env, KMS_METRICS_PORT=value)
    assert out.returncode == 1, out
    assert out.stdout == ""
    assert out.stderr.splitlines() == [f"kms: error: KMS_METRICS_PORT must be a TCP port or 'off': {value}"]


def test_a_metrics_port_that_the_api_uses_is_refused(kms_env):
    http_port = kms_env.endpoint.rsplit(":", 1)[1]
    out = status(kms_env, KMS_METRICS_PORT=http_port)
    assert out.returncode == 1
    assert "KMS_METRICS_PORT must differ from KMS_HTTP_PORT and KMS_HTTPS_PORT" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_metrics_off_reports_no_endpoint(kms_env):
    out = status(kms_env, KMS_METRICS_PORT="off")
    assert json.loads(out.stdout)["metrics_endpoint"] is None
