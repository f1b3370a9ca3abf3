"""The stack as another host sees it: a network namespace joined to this one by a veth pair on a
private /30 stands in for a client machine. Traffic only ever goes to loopback and to the two
veth addresses.

* A spare stack with ``KMS_LISTEN=<host-side veth address>`` and an operator certificate issued
  for that address by a throw-away CA: from inside the namespace the official Python SDK (run as a
  subprocess there) creates a key, encrypts and decrypts over HTTPS, verifying the certificate
  against that CA; ``/readyz`` answers there too. ``status --json`` names that address in
  ``https_endpoint`` (loopback is not listened on), ``endpoint`` stays on loopback.
* Plain HTTP is not reachable from the namespace, and HTTPS is not on loopback; after a second
  ``up`` with ``KMS_HTTP_LISTEN`` naming the veth address too (everything else remembered), plain
  HTTP answers from the namespace. A third ``up`` with ``KMS_LISTEN=0.0.0.0`` moves HTTPS to the
  wildcard (nginx restarted: a reload cannot bind it beside the old address).

Needs root (network namespaces); skipped, saying so, otherwise. The namespace and the veth pair
are removed whatever happens.
"""

import json
import os
import random
import subprocess
import sys
import textwrap

import pytest

from spare_stack import SpareStack, ThrowAwayCA

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root (CI runs as root)")


def sh(*cmd, check=True, timeout=30):
    proc = subprocess.run(list(cmd), capture_output=True, text=True, timeout=timeout)
    if check:
        assert proc.returncode == 0, f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr}"
    return proc


@pytest.fixture
def other_host():
    """(namespace, host-side address, namespace-side address)."""
    used = sh("ip", "-o", "addr", "show").stdout
    for _ in range(50):
        third = random.randrange(1, 255)
        base = f"10.213.{third}."
        if base not in used:
            break
    tag = f"{os.getpid() % 100000}{random.randrange(100)}"
    ns, host_if, ns_if = f"kmst{tag}", f"kmsh{tag}", f"kmsn{tag}"
    host_addr, ns_addr = base + "1", base + "2"
    try:
        sh("ip", "netns", "add", ns)
        sh("ip", "link", "add", host_if, "type", "veth", "peer", "name", ns_if)
        sh("ip", "link", "set", ns_if, "netns", ns)
        sh("ip", "addr", "add", f"{host_addr}/30", "dev", host_if)
        sh("ip", "link", "set", host_if, "up")
        sh("ip", "netns", "exec", ns, "ip", "addr", "add", f"{ns_addr}/30", "dev", ns_if)
        sh("ip", "netns", "exec", ns, "ip", "link", "set", ns_if, "up")
        sh("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up")
        yield ns, host_addr, ns_addr
    finally:
        # Deleting the namespace deletes its end of the pair, and with it the host's end.
        sh("ip", "netns", "del", ns, check=False)
        sh("ip", "link", "del", host_if, check=False)


@pytest.fixture
def spare():
    stack = SpareStack("listen")
    yield stack
    stack.close()


SDK_SCRIPT = textwrap.dedent("""
    import base64, json, sys
    from tencentcloud.common import credential
    from tencentcloud.common.profile.client_profile import ClientProfile
    from tencentcloud.common.profile.http_profile import HttpProfile
    from tencentcloud.kms.v20190118 import kms_client, models
    endpoint, ca, secret_id, secret_key = sys.argv[1:5]
    http = HttpProfile(protocol="https", endpoint=endpoint, reqTimeout=15, certification=ca)
    client = kms_client.KmsClient(credential.Credential(secret_id, secret_key), "ap-guangzhou",
                                  ClientProfile(httpProfile=http))
    def call(action, **params):
        request = getattr(models, action + "Request")()
        request.from_json_string(json.dumps(params))
        return json.loads(getattr(client, action)(request).to_json_string())
    key = call("CreateKey", Alias="other-host")["KeyId"]
    blob = call("Encrypt", KeyId=key, Plaintext=base64.b64encode(b"from another host").decode())["CiphertextBlob"]
    plain = base64.b64decode(call("Decrypt", CiphertextBlob=blob)["Plaintext"])
    print(json.dumps({"KeyId": key, "Plaintext": plain.decode()}))
""")


def in_namespace(ns, *cmd, timeout=60):
    return subprocess.run(["ip", "netns", "exec", ns, *cmd], capture_output=True, text=True, timeout=timeout)


def curl_from(ns, url, *args):
    """(curl exit status, HTTP status) of a GET from inside the namespace."""
    proc = in_namespace(ns, "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "3", *args, url)
    return proc.returncode, proc.stdout


def test_another_host_encrypts_over_https_and_cannot_reach_plain_http(other_host, spare):
    ns, host_addr, ns_addr = other_host
    # The namespace really is another host: it reaches the host's address through the veth pair,
    # and its loopback is its own.
    route = in_namespace(ns, "ip", "route", "get", host_addr)
    assert route.returncode == 0 and f"src {ns_addr}" in route.stdout, f"no route to {host_addr}: {route.stdout}{route.stderr}"
    ca = ThrowAwayCA(os.path.join(spare.dir, "operator-ca"))
    cert, key = ca.issue("kms-server", f"IP:{host_addr}")
    spare.up(KMS_LISTEN=host_addr, KMS_TLS_CERT=cert, KMS_TLS_KEY=key, KMS_TLS_CA=ca.cert, KMS_WORKERS="2")

    status = spare.status()
    assert status["https_endpoint"] == f"https://{host_addr}:{spare.https_port}", status
    assert status["endpoint"] == f"http://127.0.0.1:{spare.http_port}", status
    assert status["ca_file"] == ca.cert

    https = f"{host_addr}:{spare.https_port}"
    demo = spare.demo_account()
    proc = in_namespace(ns, sys.executable, "-c", SDK_SCRIPT, https, ca.cert, demo["SecretId"], demo["SecretKey"])
    assert proc.returncode == 0, f"the SDK inside the namespace failed:\n{proc.stdout}\n{proc.stderr}"
    assert json.loads(proc.stdout.strip().splitlines()[-1])["Plaintext"] == "from another host"

    # Health checks as a load balancer on another host would make them, verifying the certificate.
    assert curl_from(ns, f"https://{https}/readyz", "--cacert", ca.cert) == (0, "200")
    # Plain HTTP: loopback only, so nothing listens on the veth address (connection refused).
    code, _ = curl_from(ns, f"http://{host_addr}:{spare.http_port}/healthz")
    assert code == 7, f"plain HTTP answered from the other host (curl exit {code})"
    # And HTTPS listens only where KMS_LISTEN says: not on loopback.
    local = subprocess.run(["curl", "-s", "-o", "/dev/null", "--max-time", "3", "--cacert", ca.cert,
                            f"https://127.0.0.1:{spare.https_port}/healthz"], capture_output=True, timeout=10)
    assert local.returncode == 7, f"HTTPS answered on loopback although KMS_LISTEN={host_addr} (curl exit {local.returncode})"

    # Plain HTTP for the other host too, by saying so; the other settings are remembered.
    spare.up(KMS_HTTP_LISTEN=f"{host_addr},127.0.0.1")
    assert curl_from(ns, f"http://{host_addr}:{spare.http_port}/healthz") == (0, "200")
    assert curl_from(ns, f"https://{https}/healthz", "--cacert", ca.cert) == (0, "200")
    assert spare.stack_env()["KMS_LISTEN"] == host_addr

    # From one address to the wildcard on the same port (a reload cannot bind that: nginx is
    # restarted): reachable from the other host and, now, on loopback too.
    spare.up(KMS_LISTEN="0.0.0.0")
    assert curl_from(ns, f"https://{https}/readyz", "--cacert", ca.cert) == (0, "200")
    assert spare.status()["https_endpoint"] == f"https://127.0.0.1:{spare.https_port}"
