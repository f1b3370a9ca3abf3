"""Settings given to ``scripts/kms up`` stick in ``$KMS_HOME/stack.env``, and an explicitly empty
one reverts to its default (issue 12: ``KMS_TLS_CERT= scripts/kms up`` used to keep the old
certificate). Runs ``up`` on a spare stack four times:

1. with an operator certificate (a throw-away CA's, for localhost/127.0.0.1) and KMS_WORKERS=2:
   nginx serves that certificate;
2. with neither: both remembered, the same certificate served;
3. with ``KMS_TLS_CERT= KMS_TLS_KEY= KMS_TLS_CA= KMS_WORKERS=``: the defaults again, the local CA's
   certificate served and reported as ``ca_file``;
4. with neither again: still the defaults (the empty values stuck, not the old ones).
"""

import os
import socket
import ssl

import pytest

from spare_stack import SpareStack, ThrowAwayCA


@pytest.fixture
def spare():
    stack = SpareStack("stick")
    yield stack
    stack.close()


def served_certificate(port):
    """The DER certificate nginx presents on 127.0.0.1:port."""
    return ssl.PEM_cert_to_DER_cert(ssl.get_server_certificate(("127.0.0.1", port), timeout=10))


def der_of(path):
    with open(path) as fh:
        return ssl.PEM_cert_to_DER_cert(fh.read())


def verifies_against(port, ca_file):
    context = ssl.create_default_context(cafile=ca_file)
    try:
        with context.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10), server_hostname="127.0.0.1"):
            return True
    except ssl.SSLCertVerificationError:
        return False


def test_a_remembered_setting_sticks_and_an_empty_one_reverts_to_the_default(spare):
    ca = ThrowAwayCA(os.path.join(spare.dir, "operator-ca"))
    cert, key = ca.issue("localhost", "DNS:localhost,IP:127.0.0.1")

    spare.up(KMS_TLS_CERT=cert, KMS_TLS_KEY=key, KMS_TLS_CA=ca.cert, KMS_WORKERS="2")
    assert served_certificate(spare.https_port) == der_of(cert)

    spare.up()
    remembered = spare.stack_env()
    assert (remembered["KMS_TLS_CERT"], remembered["KMS_TLS_KEY"], remembered["KMS_TLS_CA"]) == (cert, key, ca.cert)
    assert remembered["KMS_WORKERS"] == "2"
    assert served_certificate(spare.https_port) == der_of(cert)
    assert spare.status()["ca_file"] == ca.cert

    spare.up(KMS_TLS_CERT="", KMS_TLS_KEY="", KMS_TLS_CA="", KMS_WORKERS="")
    assert_defaults(spare, cert)
    spare.up()
    assert_defaults(spare, cert)


def assert_defaults(spare, operator_cert):
    local_ca = os.path.join(spare.home, "tls", "ca.pem")
    reverted = spare.stack_env()
    assert (reverted["KMS_TLS_CERT"], reverted["KMS_TLS_KEY"], reverted["KMS_TLS_CA"]) == ("", "", "")
    assert reverted["KMS_WORKERS"] == str(min(8 * os.cpu_count(), 64))
    assert served_certificate(spare.https_port) != der_of(operator_cert)
    assert verifies_against(spare.https_port, local_ca)
    assert spare.status()["ca_file"] == local_ca
