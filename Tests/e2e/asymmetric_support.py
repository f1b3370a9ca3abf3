"""What the asymmetric-key tests (test_asymmetric_*.py) share: Tencent's asymmetric key usages with
the region that offers each and the algorithms each signs or decrypts with; independent checks of
the service's results with the ``openssl`` command line and Python's ``cryptography``.

Nothing here asks the service to check its own work: a signature is verified, a public key parsed
and a ciphertext made only by the local tools.

* ``USAGES``                      -- every asymmetric KeyUsage: region, key kind, algorithms.
* ``SIGNING``                     -- every (KeyUsage, Algorithm) pair SignByAsymmetricKey takes.
* ``message_digest(alg, msg, pub)`` -- what a DIGEST-mode caller sends (SM2: e = SM3(Z_A || M)).
* ``openssl_verify_*`` / ``cryptography_verify`` -- the local verifications.
* ``openssl_encrypt(pub_pem, data, scheme)`` -- a ciphertext made with ``openssl pkeyutl -encrypt``.
"""

import base64
import hashlib
import os
import subprocess
import tempfile
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.exceptions import InvalidSignature

from e2e_support import FIPS_REGION, SM_REGION, b64, unique_alias

SM2_DEFAULT_ID = b"1234567812345678"

# GB/T 32918.5 (the curve `openssl ecparam -name SM2 -param_enc explicit -text` prints).
SM2_A = bytes.fromhex("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC")
SM2_B = bytes.fromhex("28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93")
SM2_GX = bytes.fromhex("32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7")
SM2_GY = bytes.fromhex("BC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0")


@dataclass(frozen=True)
class Usage:
    key_usage: str
    region: str            # the region (profile) that offers it
    other_region: str      # a region of the other profile, which refuses it
    kind: str              # "rsa", "ec", "sm2"
    bits: int              # RSA modulus / curve size
    curve: str             # openssl's curve name ("" for RSA)
    signs: tuple           # SignByAsymmetricKey algorithms
    decrypts: bool


USAGES = {u.key_usage: u for u in (
    Usage("ASYMMETRIC_DECRYPT_RSA_2048", FIPS_REGION, SM_REGION, "rsa", 2048, "", (), True),
    Usage("ASYMMETRIC_SIGN_VERIFY_RSA_2048", FIPS_REGION, SM_REGION, "rsa", 2048, "",
          ("RSA_PSS_SHA_256", "RSA_PKCS1_SHA_256"), False),
    Usage("ASYMMETRIC_SIGN_VERIFY_ECC", FIPS_REGION, SM_REGION, "ec", 256, "prime256v1", ("ECC_P256_R1",), False),
    Usage("ASYMMETRIC_SIGN_VERIFY_ECDSA384", FIPS_REGION, SM_REGION, "ec", 384, "secp384r1", ("ECDSA384_SHA384",),
          False),
    Usage("ASYMMETRIC_DECRYPT_SM2", SM_REGION, FIPS_REGION, "sm2", 256, "SM2", (), True),
    Usage("ASYMMETRIC_SIGN_VERIFY_SM2", SM_REGION, FIPS_REGION, "sm2", 256, "SM2", ("SM2DSA",), False),
)}

# (KeyUsage, Algorithm) for every signature the service makes.
SIGNING = [(u.key_usage, alg) for u in USAGES.values() for alg in u.signs]

# The hash each signature algorithm signs with (SM2DSA: SM3 over Z_A || M).
HASH_OF = {"SM2DSA": "sm3", "ECC_P256_R1": "sha256", "ECDSA384_SHA384": "sha384",
           "RSA_PSS_SHA_256": "sha256", "RSA_PKCS1_SHA_256": "sha256"}


def usage_ids(value):
    """A test id for a KeyUsage or a ``Usage``: "sign_verify_ecc"."""
    text = getattr(value, "key_usage", value)
    return text.replace("ASYMMETRIC_", "").lower() if isinstance(text, str) else None


def new_asymmetric_key(kms, key_usage, **fields):
    """A fresh Enabled key of ``key_usage``; its KeyId."""
    return kms.CreateKey(Alias=unique_alias("asym"), KeyUsage=key_usage, **fields).KeyId


# ------------------------------------------------------------------------------------------------
# public keys
# ------------------------------------------------------------------------------------------------

def public_key_of(kms, key_id):
    """(DER bytes, PEM text) from GetPublicKey."""
    resp = kms.GetPublicKey(KeyId=key_id)
    assert resp.KeyId == key_id, f"GetPublicKey answered for {resp.KeyId}, asked for {key_id}"
    return base64.b64decode(resp.PublicKey, validate=True), resp.PublicKeyPem


def sm2_point(spki_der: bytes):
    """(x, y) of an SM2/EC SubjectPublicKeyInfo: its BIT STRING ends with 04 || x || y."""
    point = spki_der[-65:]
    assert point[0] == 4, f"the public key does not end with an uncompressed P-256-sized point: {spki_der.hex()}"
    return point[1:33], point[33:]


def sm2_z(spki_der: bytes, ident: bytes = SM2_DEFAULT_ID) -> bytes:
    """Z_A = SM3(ENTL || ID || a || b || xG || yG || xA || yA) (GB/T 32918.2)."""
    x, y = sm2_point(spki_der)
    entl = (len(ident) * 8).to_bytes(2, "big")
    return hashlib.new("sm3", entl + ident + SM2_A + SM2_B + SM2_GX + SM2_GY + x + y).digest()


def message_digest(algorithm, message: bytes, spki_der: bytes) -> bytes:
    """What MessageType=DIGEST carries for ``message``: the hash the algorithm signs. For SM2DSA
    that is e = SM3(Z_A || M) with the default ID (Tencent's SM2 tutorial: `gmssl sm2utl -dgst`)."""
    if algorithm == "SM2DSA":
        return hashlib.new("sm3", sm2_z(spki_der) + message).digest()
    return hashlib.new(HASH_OF[algorithm], message).digest()


# ------------------------------------------------------------------------------------------------
# openssl
# ------------------------------------------------------------------------------------------------

def openssl(*args, stdin=None, check=True):
    """``openssl ARGS``: (exit status, stdout bytes, stderr text); ``check`` fails on non-zero."""
    proc = subprocess.run(["openssl", *args], input=stdin, capture_output=True, timeout=60)
    if check:
        assert proc.returncode == 0, (f"`openssl {' '.join(args)}` exited {proc.returncode}: "
                                      f"{proc.stderr.decode(errors='replace')}")
    return proc.returncode, proc.stdout, proc.stderr.decode(errors="replace")


class Files:
    """A private temporary directory: ``files.write("name", bytes)`` -> its path."""

    def __init__(self):
        self._dir = tempfile.TemporaryDirectory(prefix="e2e-asym-")

    def write(self, name, data):
        path = os.path.join(self._dir.name, name)
        with open(path, "wb") as fh:
            fh.write(data.encode() if isinstance(data, str) else data)
        return path

    def path(self, name):
        return os.path.join(self._dir.name, name)

    def close(self):
        self._dir.cleanup()


def openssl_pkey_text(pem: str) -> str:
    """``openssl pkey -pubin -text -noout`` of a PEM public key."""
    return openssl("pkey", "-pubin", "-text", "-noout", stdin=pem.encode())[1].decode()


def _sig_options(algorithm):
    if algorithm == "RSA_PSS_SHA_256":
        return ["rsa_padding_mode:pss", "rsa_pss_saltlen:digest", "rsa_mgf1_md:sha256"]
    if algorithm == "RSA_PKCS1_SHA_256":
        return ["rsa_padding_mode:pkcs1"]
    if algorithm == "SM2DSA":
        return ["distid:" + SM2_DEFAULT_ID.decode()]
    return []


def openssl_verify_message(pem, algorithm, message: bytes, signature: bytes) -> bool:
    """``openssl dgst -<hash> -verify pub.pem -signature sig msg`` (SM2: with the default distid)."""
    files = Files()
    try:
        pub, msg, sig = files.write("pub.pem", pem), files.write("msg", message), files.write("sig", signature)
        args = ["dgst", "-" + HASH_OF[algorithm], "-verify", pub, "-signature", sig]
        for opt in _sig_options(algorithm):
            args += ["-sigopt", opt]
        status, out, err = openssl(*args, msg, check=False)
        verified = status == 0 and out.strip() == b"Verified OK"
        assert verified or b"Verification failure" in out or "Verification failure" in err or "verify" in err.lower(), \
            f"openssl could not even try to verify: {out!r} {err}"
        return verified
    finally:
        files.close()


def openssl_verify_digest(pem, algorithm, digest: bytes, signature: bytes) -> bool:
    """``openssl pkeyutl -verify`` over a precomputed digest (SM2: e itself, Z included)."""
    files = Files()
    try:
        pub, dig, sig = files.write("pub.pem", pem), files.write("digest", digest), files.write("sig", signature)
        args = ["pkeyutl", "-verify", "-pubin", "-inkey", pub, "-in", dig, "-sigfile", sig]
        if algorithm != "SM2DSA":
            args += ["-pkeyopt", "digest:" + HASH_OF[algorithm]]
        if algorithm == "RSA_PSS_SHA_256":
            args += ["-pkeyopt", "rsa_padding_mode:pss", "-pkeyopt", "rsa_pss_saltlen:digest",
                     "-pkeyopt", "rsa_mgf1_md:sha256"]
        status, out, err = openssl(*args, check=False)
        return status == 0 and b"Signature Verified Successfully" in out
    finally:
        files.close()


def openssl_encrypt(pem, data: bytes, scheme) -> bytes:
    """``openssl pkeyutl -encrypt`` with the public key: scheme "pkcs1", "oaep-sha1", "oaep-sha256"
    (OAEP and MGF1 with SHA-256) or "sm2" (GM/T 0009 DER, C1C3C2)."""
    options = {"pkcs1": ["rsa_padding_mode:pkcs1"],
               "oaep-sha1": ["rsa_padding_mode:oaep", "rsa_oaep_md:sha1", "rsa_mgf1_md:sha1"],
               "oaep-sha256": ["rsa_padding_mode:oaep", "rsa_oaep_md:sha256", "rsa_mgf1_md:sha256"],
               "sm2": []}[scheme]
    files = Files()
    try:
        pub, plain = files.write("pub.pem", pem), files.write("plain", data)
        args = ["pkeyutl", "-encrypt", "-pubin", "-inkey", pub, "-in", plain]
        for opt in options:
            args += ["-pkeyopt", opt]
        return openssl(*args)[1]
    finally:
        files.close()


# ------------------------------------------------------------------------------------------------
# cryptography (no SM2 signatures there)
# ------------------------------------------------------------------------------------------------

def cryptography_verify(der: bytes, algorithm, message: bytes, signature: bytes, *, prehashed=False) -> bool:
    """Python's ``cryptography`` verifies ``signature`` over ``message`` (or, ``prehashed``, over
    the digest given as ``message``)."""
    key = serialization.load_der_public_key(der)
    hash_algorithm = {"sha256": hashes.SHA256(), "sha384": hashes.SHA384()}[HASH_OF[algorithm]]
    from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
    chosen = Prehashed(hash_algorithm) if prehashed else hash_algorithm
    try:
        if algorithm in ("ECC_P256_R1", "ECDSA384_SHA384"):
            assert isinstance(key, ec.EllipticCurvePublicKey), f"{algorithm} key is a {type(key).__name__}"
            key.verify(signature, message, ec.ECDSA(chosen))
        elif algorithm == "RSA_PSS_SHA_256":
            assert isinstance(key, rsa.RSAPublicKey)
            key.verify(signature, message, padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32), chosen)
        elif algorithm == "RSA_PKCS1_SHA_256":
            assert isinstance(key, rsa.RSAPublicKey)
            key.verify(signature, message, padding.PKCS1v15(), chosen)
        else:
            raise AssertionError(f"cryptography has no {algorithm}")
    except InvalidSignature:
        return False
    return True


def cryptography_encrypt(der: bytes, data: bytes, scheme) -> bytes:
    key = serialization.load_der_public_key(der)
    if scheme == "pkcs1":
        return key.encrypt(data, padding.PKCS1v15())
    digest = hashes.SHA1() if scheme == "oaep-sha1" else hashes.SHA256()
    return key.encrypt(data, padding.OAEP(mgf=padding.MGF1(digest), algorithm=digest, label=None))


def flip(data: bytes, index=-1) -> bytes:
    """``data`` with one bit of byte ``index`` flipped."""
    out = bytearray(data)
    out[index] ^= 0x01
    return bytes(out)


__all__ = ["USAGES", "SIGNING", "HASH_OF", "SM2_DEFAULT_ID", "Files", "b64", "cryptography_encrypt",
           "cryptography_verify", "flip", "message_digest", "new_asymmetric_key", "openssl",
           "openssl_encrypt", "openssl_pkey_text", "openssl_verify_digest", "openssl_verify_message",
           "public_key_of", "sm2_z", "usage_ids"]
