"""KMS_METRICS_PORT (docs/OPERATIONS.md#monitoring): a TCP port or `off`; anything else, a port the
API already uses, or a chosen port that is taken, is refused with one line and a non-zero exit
before anything changes."""

import json
import os
import socket
import subprocess
from urllib.parse import urlparse

import pytest

from metrics_support import metrics_endpoint


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


def test_up_refuses_a_chosen_metrics_port_that_is_taken(kms_env):
    # Checked before anything changes, also for a running stack (nginx's reload would fail quietly).
    original = urlparse(metrics_endpoint()).port
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**os.environ, "KMS_HOME": kms_env.home, "KMS_SKIP_BUILD": "1", "KMS_METRICS_PORT": str(port)}
        out = None
        try:
            out = subprocess.run([kms_env.kms_script, "up"], capture_output=True, text=True, timeout=120, env=env)
        finally:
            # Were it ever accepted, put the stack back on its own port for the tests that follow.
            if out is None or out.returncode == 0:
                subprocess.run([kms_env.kms_script, "up"], capture_output=True, timeout=120,
                               env={**env, "KMS_METRICS_PORT": str(original)})
    assert out.returncode == 1, out.stdout
    assert out.stderr.splitlines()[-1] == f"kms: error: 127.0.0.1:{port} is already in use (another stack? choose KMS_METRICS_PORT)"
    assert f"KMS_METRICS_PORT={original}" in open(os.path.join(kms_env.home, "stack.env")).read()
