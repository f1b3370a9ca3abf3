"""``scripts/kms up`` refuses a bad listener or certificate setting with one line on stderr and a
non-zero exit, before it starts (or even creates) anything:

* KMS_LISTEN / KMS_HTTP_LISTEN: not an IP address, a port in it, an address this host does not
  have, an address and port something else already listens on;
* the operator's certificate: a file that is missing, a key readable by others, a key that is not
  the certificate's, an encrypted key, a key without a certificate, a certificate that does not
  chain to KMS_TLS_CA.
"""

import os
import socket

import pytest

from spare_stack import SpareStack, ThrowAwayCA, openssl


@pytest.fixture(scope="module")
def spare():
    stack = SpareStack("checks")
    yield stack
    stack.close()


@pytest.fixture(scope="module")
def pki(spare):
    ca = ThrowAwayCA(os.path.join(spare.dir, "ca"))
    other = ThrowAwayCA(os.path.join(spare.dir, "other-ca"))
    return ca, ca.issue("one", "IP:127.0.0.1"), ca.issue("two", "IP:127.0.0.1"), other


def refused(spare, expected, **settings):
    proc = spare.kms("up", **settings)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode != 0, f"up accepted {settings}: {proc.stdout}"
    assert len(lines) == 1 and lines[0].startswith("kms: error: "), f"not one error line: {proc.stderr!r}"
    assert expected in lines[0], f"expected {expected!r} in {lines[0]!r}"
    assert not os.path.exists(spare.home), "up created KMS_HOME although it refused the settings"
    return lines[0]


@pytest.mark.parametrize("value", ["300.1.2.3", "10.0.0.1:443", "localhost", "::1", "[::g]", "1.2.3"])
def test_a_listen_value_that_is_not_an_address_is_refused(spare, value):
    refused(spare, "KMS_LISTEN: ", KMS_LISTEN=value)
    refused(spare, "KMS_HTTP_LISTEN: ", KMS_HTTP_LISTEN=f"127.0.0.1,{value}")


def test_an_address_of_another_host_is_refused(spare):
    # 192.0.2.0/24 is TEST-NET-1: never an address of this host.
    refused(spare, "192.0.2.55 is not an address of this host", KMS_LISTEN="192.0.2.55")


def test_a_port_taken_on_the_listen_address_is_refused(spare):
    with socket.socket() as taken:
        taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        taken.bind(("127.0.0.1", spare.https_port))
        taken.listen()
        refused(spare, f"127.0.0.1:{spare.https_port} is already in use", KMS_LISTEN="127.0.0.1")
        # A wildcard cannot share the port with it either.
        refused(spare, f"0.0.0.0:{spare.https_port} is already in use", KMS_LISTEN="0.0.0.0")


def test_a_bad_operator_certificate_or_key_is_refused(spare, pki):
    ca, (cert, key), (cert2, key2), other = pki
    refused(spare, "does not exist", KMS_TLS_CERT=cert, KMS_TLS_KEY=key + ".missing")
    refused(spare, "KMS_TLS_CERT is set but KMS_TLS_KEY is not", KMS_TLS_CERT=cert)
    refused(spare, "KMS_TLS_KEY is set but KMS_TLS_CERT is not", KMS_TLS_KEY=key)
    refused(spare, f"{key2} is not the private key of {cert}", KMS_TLS_CERT=cert, KMS_TLS_KEY=key2)
    refused(spare, "does not chain to KMS_TLS_CA", KMS_TLS_CERT=cert, KMS_TLS_KEY=key, KMS_TLS_CA=other.cert)
    refused(spare, "is not a PEM certificate", KMS_TLS_CERT=key, KMS_TLS_KEY=key)

    open_key = os.path.join(spare.dir, "open.key")
    with open(key) as src, open(open_key, "w") as dst:
        dst.write(src.read())
    os.chmod(open_key, 0o644)
    refused(spare, "must not be readable by others", KMS_TLS_CERT=cert, KMS_TLS_KEY=open_key)

    locked = os.path.join(spare.dir, "locked.key")
    openssl("pkey", "-in", key, "-aes256", "-passout", "pass:secret", "-out", locked)
    os.chmod(locked, 0o600)
    refused(spare, "is encrypted", KMS_TLS_CERT=cert, KMS_TLS_KEY=locked)


@pytest.mark.parametrize("value", ["0", "513", "1000", "-4", "four"])
def test_a_worker_count_the_responder_would_refuse_is_refused_by_up(spare, value):
    # Before, 513 passed `up`'s check and the responder then refused to start: `up` failed after
    # waiting 30 s, with the reason only in the responder's log.
    refused(spare, "KMS_WORKERS must be a whole number from 1 to 512", KMS_WORKERS=value)
