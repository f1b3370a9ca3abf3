"""Bring your own key: GetParametersForImport, ImportKeyMaterial, DeleteImportedKeyMaterial and
material expiry -- with every wrapping the service offers: RSA-2048 with PKCS#1 v1.5, OAEP-SHA1 and
OAEP-SHA256 in a FIPS region (256-bit material), SM2PKE in the SM region (128-bit material).

Material is wrapped on the client: RSA with ``cryptography``, SM2 with the ``openssl`` CLI (GM/T 0009
DER ciphertext, what ``openssl pkeyutl -encrypt`` writes; ``cryptography`` has no SM2).

Not covered here: an expired ImportToken (valid 24 h; the Swift integration tests cover it with an
injected clock)."""

import os
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from e2e_support import (
    FIPS_REGION, FIPS_REGION_2, SM_REGION, assert_code, assert_codes, b64, now, random_key_id, unb64,
)

NOT_FOUND = "ResourceUnavailable.CmkNotFound"
STATE_NOT_SUPPORTED = "ResourceUnavailable.CmkStateNotSupport"
NOT_EXTERNAL = "UnsupportedOperation.NotExternalCmk"
DECRYPT_MATERIAL_ERROR = "InvalidParameter.DecryptMaterialError"
INVALID_MATERIAL = "InvalidParameterValue.InvalidImportKeyMaterial"
MATERIAL_NOT_MATCH = "InvalidParameterValue.MaterialNotMatch"
INVALID_VALUE = "InvalidParameterValue"
MAX_VALID_TO = 2147443200
PARAMETERS_LIFETIME = 86400


# ------------------------------------------------------------------------------------------------
# wrapping helpers
# ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Wrapping:
    region: str
    spec: str            # WrappingKeySpec
    algorithm: str       # WrappingAlgorithm
    material_len: int    # the region's profile: FIPS 32 bytes, SM 16 bytes

    @property
    def is_rsa(self):
        return self.spec == "RSA_2048"


RSA_PKCS1 = Wrapping(FIPS_REGION, "RSA_2048", "RSAES_PKCS1_V1_5", 32)
RSA_OAEP_SHA1 = Wrapping(FIPS_REGION, "RSA_2048", "RSAES_OAEP_SHA_1", 32)
RSA_OAEP_SHA256 = Wrapping(FIPS_REGION, "RSA_2048", "RSAES_OAEP_SHA_256", 32)
SM2PKE = Wrapping(SM_REGION, "SM2", "SM2PKE", 16)
RSA_WRAPPINGS = [RSA_PKCS1, RSA_OAEP_SHA1, RSA_OAEP_SHA256]
WRAPPINGS = RSA_WRAPPINGS + [SM2PKE]
WRAPPING_IDS = ["fips-pkcs1", "fips-oaep-sha1", "fips-oaep-sha256", "sm-sm2pke"]
RSA_IDS = WRAPPING_IDS[:3]


def rsa_padding(algorithm):
    if algorithm == "RSAES_PKCS1_V1_5":
        return padding.PKCS1v15()
    digest = {"RSAES_OAEP_SHA_1": hashes.SHA1, "RSAES_OAEP_SHA_256": hashes.SHA256}[algorithm]
    return padding.OAEP(mgf=padding.MGF1(digest()), algorithm=digest(), label=None)


def openssl(*args, cwd):
    proc = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, f"`openssl {' '.join(args)}` exited {proc.returncode}: {proc.stderr}"
    return proc.stdout


def wrap(public_key_b64, material, algorithm):
    """Encrypt ``material`` to the Base64 DER SubjectPublicKeyInfo ``public_key_b64`` the way
    ``algorithm`` says; returns the raw wrapped bytes."""
    der = unb64(public_key_b64)
    if algorithm == "SM2PKE":
        with tempfile.TemporaryDirectory() as tmp:
            with open(os.path.join(tmp, "wrapping.der"), "wb") as fh:
                fh.write(der)
            with open(os.path.join(tmp, "material.bin"), "wb") as fh:
                fh.write(material)
            openssl("pkeyutl", "-encrypt", "-pubin", "-keyform", "DER", "-inkey", "wrapping.der",
                    "-in", "material.bin", "-out", "wrapped.bin", cwd=tmp)
            with open(os.path.join(tmp, "wrapped.bin"), "rb") as fh:
                return fh.read()
    return serialization.load_der_public_key(der).encrypt(material, rsa_padding(algorithm))


def describe_public_key(public_key_b64):
    """``openssl pkey -text`` of a Base64 DER public key (the CLI knows SM2, ``cryptography`` does not)."""
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "key.der"), "wb") as fh:
            fh.write(unb64(public_key_b64))
        return openssl("pkey", "-pubin", "-inform", "DER", "-in", "key.der", "-text", "-noout", cwd=tmp)


def flip_last_byte(data):
    return data[:-1] + bytes([data[-1] ^ 0x01])


class Byok:
    """One account's SDK client in one region plus one wrapping: ``byok.import_material(key, m)``
    runs the whole GetParametersForImport -> wrap -> ImportKeyMaterial round."""

    def __init__(self, kms, wrapping):
        self.kms = kms
        self.wrapping = wrapping

    def new_key(self):
        return self.kms.new_key_id(Type=2, Description="e2e byok")

    def new_material(self):
        return os.urandom(self.wrapping.material_len)

    def params(self, key_id, wrapping=None):
        w = wrapping or self.wrapping
        return self.kms.GetParametersForImport(KeyId=key_id, WrappingAlgorithm=w.algorithm,
                                               WrappingKeySpec=w.spec)

    def wrapped(self, params, material, algorithm=None):
        return b64(wrap(params.PublicKey, material, algorithm or self.wrapping.algorithm))

    def import_with(self, key_id, token, encrypted, valid_to=None):
        fields = {"KeyId": key_id, "ImportToken": token, "EncryptedKeyMaterial": encrypted}
        if valid_to is not None:
            fields["ValidTo"] = valid_to
        return self.kms.ImportKeyMaterial(**fields)

    def import_material(self, key_id, material, valid_to=None):
        params = self.params(key_id)
        return self.import_with(key_id, params.ImportToken, self.wrapped(params, material), valid_to)

    def attempt_import(self, key_id, material, valid_to=None):
        """A zero-argument callable importing ``material`` with fresh parameters (for assert_code)."""
        return lambda: self.import_material(key_id, material, valid_to)

    def imported_key(self, material=None, valid_to=None):
        """A new EXTERNAL key with ``material`` (fresh if None) imported; returns (key_id, material)."""
        key_id, material = self.new_key(), material or self.new_material()
        self.import_material(key_id, material, valid_to)
        return key_id, material


@pytest.fixture(params=WRAPPINGS, ids=WRAPPING_IDS)
def byok(request, client, account_a):
    return Byok(client(account_a, request.param.region), request.param)


@pytest.fixture(params=RSA_WRAPPINGS, ids=RSA_IDS)
def rsa_byok(request, client, account_a):
    return Byok(client(account_a, request.param.region), request.param)


def assert_round_trip(kms, key_id, data=b"byok round trip"):
    blob = kms.encrypt(key_id, data)
    dec = kms.Decrypt(CiphertextBlob=blob)
    assert unb64(dec.Plaintext) == data and dec.KeyId == key_id
    return blob


# ------------------------------------------------------------------------------------------------
# GetParametersForImport
# ------------------------------------------------------------------------------------------------

def test_get_parameters_returns_public_key_token_and_24h_validity(byok):
    key_id = byok.new_key()
    before = now()
    resp = byok.params(key_id)
    after = now()
    assert resp.KeyId == key_id
    assert isinstance(resp.ImportToken, str) and resp.ImportToken
    assert before + PARAMETERS_LIFETIME - 5 <= resp.ParametersValidTo <= after + PARAMETERS_LIFETIME + 5, \
        f"ParametersValidTo {resp.ParametersValidTo} is not now + 24 h (now {after})"
    if byok.wrapping.is_rsa:
        public_key = serialization.load_der_public_key(unb64(resp.PublicKey))
        assert isinstance(public_key, rsa.RSAPublicKey), type(public_key)
        assert public_key.key_size == 2048
    else:
        text = describe_public_key(resp.PublicKey)
        assert "ASN1 OID: SM2" in text and "(256 bit)" in text, f"not an SM2 public key:\n{text}"


def test_get_parameters_makes_fresh_key_pair_and_token_every_call(byok):
    key_id = byok.new_key()
    calls = [byok.params(key_id) for _ in range(3)]
    assert len({c.PublicKey for c in calls}) == 3, "PublicKey repeated across calls"
    assert len({c.ImportToken for c in calls}) == 3, "ImportToken repeated across calls"


def test_get_parameters_refuses_service_generated_key(kms_a, region):
    key_id = kms_a.new_key_id(Type=1)
    wrapping = RSA_OAEP_SHA256 if region == FIPS_REGION else SM2PKE
    assert_code(lambda: kms_a.GetParametersForImport(KeyId=key_id, WrappingAlgorithm=wrapping.algorithm,
                                                     WrappingKeySpec=wrapping.spec), NOT_EXTERNAL)


def test_get_parameters_rejects_mismatched_or_unknown_wrapping(client, account_a):
    kms = client(account_a, FIPS_REGION)
    key_id = kms.new_key_id(Type=2)
    bad = [
        ("RSA_2048", "SM2PKE"), ("SM2", "RSAES_OAEP_SHA_256"), ("SM2", "RSAES_PKCS1_V1_5"),
        ("RSA_4096", "RSAES_OAEP_SHA_256"), ("RSA_2048", "RSAES_OAEP_SHA_512"), ("RSA_2048", "RSA"),
        ("rsa_2048", "rsaes_oaep_sha_256"), ("", "RSAES_OAEP_SHA_256"), ("RSA_2048", ""),
    ]
    assert_codes((f"{spec}/{alg}",
                  lambda spec=spec, alg=alg: kms.GetParametersForImport(
                      KeyId=key_id, WrappingKeySpec=spec, WrappingAlgorithm=alg),
                  "InvalidParameterValue*") for spec, alg in bad)


def test_get_parameters_refuses_disabled_key(byok):
    key_id, _ = byok.imported_key()
    byok.kms.DisableKey(KeyId=key_id)
    assert_code(lambda: byok.params(key_id), STATE_NOT_SUPPORTED)
    assert byok.kms.state(key_id) == "Disabled"


def test_get_parameters_hides_unknown_foreign_and_other_region_keys(client, account_a, account_b):
    kms_a = client(account_a, FIPS_REGION)
    key_id = kms_a.new_key_id(Type=2)

    def params(kms, kid, wrapping=RSA_OAEP_SHA256):
        return lambda: kms.GetParametersForImport(KeyId=kid, WrappingAlgorithm=wrapping.algorithm,
                                                  WrappingKeySpec=wrapping.spec)
    assert_codes([
        ("unknown key", params(kms_a, random_key_id()), NOT_FOUND),
        ("other account", params(client(account_b, FIPS_REGION), key_id), NOT_FOUND),
        ("other FIPS region", params(client(account_a, FIPS_REGION_2), key_id), NOT_FOUND),
        ("SM region", params(client(account_a, SM_REGION), key_id, SM2PKE), NOT_FOUND),
    ])
    assert kms_a.state(key_id) == "PendingImport"


# ------------------------------------------------------------------------------------------------
# ImportKeyMaterial: success
# ------------------------------------------------------------------------------------------------

def test_import_key_material_enables_external_key(byok):
    kms = byok.kms
    key_id = byok.new_key()
    byok.import_material(key_id, byok.new_material())
    meta = kms.DescribeKey(KeyId=key_id).KeyMetadata
    assert meta.KeyState == "Enabled"
    assert meta.Origin == "EXTERNAL"
    assert meta.ValidTo == 0, "ValidTo absent must mean 'never expires'"
    assert_round_trip(kms, key_id)
    data_key = kms.GenerateDataKey(KeyId=key_id, NumberOfBytes=32)
    assert len(unb64(data_key.Plaintext)) == 32
    assert kms.decrypt(data_key.CiphertextBlob) == unb64(data_key.Plaintext)


def test_import_key_material_records_valid_to(byok):
    cases = {"in an hour": now() + 3600, "largest allowed": MAX_VALID_TO, "zero": 0}
    for label, valid_to in cases.items():
        key_id, _ = byok.imported_key(valid_to=valid_to)
        meta = byok.kms.DescribeKey(KeyId=key_id).KeyMetadata
        assert (meta.KeyState, meta.ValidTo) == ("Enabled", valid_to), f"ValidTo {label}"
        assert_round_trip(byok.kms, key_id)


# ------------------------------------------------------------------------------------------------
# ImportKeyMaterial: refusals
# ------------------------------------------------------------------------------------------------

def test_import_rejects_material_of_wrong_length(byok):
    key_id = byok.new_key()
    n = byok.wrapping.material_len
    lengths = sorted({16, 31, 32, 33, n - 1, n + 1} - {n})
    # With PKCS#1 v1.5 a wrong length must not be told apart from bad padding (SPEC §5).
    expected = DECRYPT_MATERIAL_ERROR if byok.wrapping == RSA_PKCS1 else INVALID_MATERIAL
    assert_codes((f"{size} bytes", byok.attempt_import(key_id, os.urandom(size)), expected)
                 for size in lengths)
    assert byok.kms.state(key_id) == "PendingImport"


def test_import_rejects_tampered_wrapped_material(byok):
    key_id = byok.new_key()
    params = byok.params(key_id)
    wrapped = wrap(params.PublicKey, byok.new_material(), byok.wrapping.algorithm)
    assert_code(lambda: byok.import_with(key_id, params.ImportToken, b64(flip_last_byte(wrapped))),
                DECRYPT_MATERIAL_ERROR)
    assert byok.kms.state(key_id) == "PendingImport"


def test_import_rejects_material_wrapped_for_another_public_key(byok):
    key_id = byok.new_key()
    mine, other = byok.params(key_id), byok.params(key_id)
    assert_code(lambda: byok.import_with(key_id, mine.ImportToken, byok.wrapped(other, byok.new_material())),
                DECRYPT_MATERIAL_ERROR)
    assert byok.kms.state(key_id) == "PendingImport"


def test_import_rejects_material_wrapped_with_another_padding(rsa_byok):
    key_id = rsa_byok.new_key()
    params = rsa_byok.params(key_id)
    material = rsa_byok.new_material()
    others = [w.algorithm for w in RSA_WRAPPINGS if w != rsa_byok.wrapping]
    assert_codes((f"token {rsa_byok.wrapping.algorithm}, wrapped with {alg}",
                  lambda alg=alg: rsa_byok.import_with(key_id, params.ImportToken,
                                                       rsa_byok.wrapped(params, material, alg)),
                  DECRYPT_MATERIAL_ERROR) for alg in others)
    assert rsa_byok.kms.state(key_id) == "PendingImport"


def test_import_rejects_non_base64_material(byok):
    key_id = byok.new_key()
    params = byok.params(key_id)
    assert_code(lambda: byok.import_with(key_id, params.ImportToken, "not base64!!"), DECRYPT_MATERIAL_ERROR)


def test_import_rejects_token_of_another_key(byok):
    key_1, key_2 = byok.new_key(), byok.new_key()
    material = byok.new_material()
    params_2 = byok.params(key_2)
    wrapped_2 = byok.wrapped(params_2, material)
    assert_code(lambda: byok.import_with(key_1, params_2.ImportToken, wrapped_2), INVALID_VALUE)
    assert byok.kms.state(key_1) == "PendingImport"
    # the failed attempt did not spend key 2's token
    byok.import_with(key_2, params_2.ImportToken, wrapped_2)
    assert byok.kms.state(key_2) == "Enabled"


def test_import_token_is_spent_by_successful_import(byok):
    key_id = byok.new_key()
    material = byok.new_material()
    params = byok.params(key_id)
    wrapped = byok.wrapped(params, material)
    byok.import_with(key_id, params.ImportToken, wrapped)
    assert_code(lambda: byok.import_with(key_id, params.ImportToken, wrapped), INVALID_VALUE)
    assert_code(lambda: byok.import_with(key_id, params.ImportToken, byok.wrapped(params, material)),
                INVALID_VALUE)
    assert byok.kms.state(key_id) == "Enabled"


def test_import_rejects_garbage_token(byok):
    key_id = byok.new_key()
    params = byok.params(key_id)
    wrapped = byok.wrapped(params, byok.new_material())
    token = params.ImportToken
    tampered = token[:10] + ("A" if token[10] != "A" else "B") + token[11:]
    garbage = {"word": "garbage", "random Base64": b64(os.urandom(48)), "uuid": str(uuid.uuid4()),
               "tampered token": tampered}
    assert_codes((label, lambda t=t: byok.import_with(key_id, t, wrapped), INVALID_VALUE)
                 for label, t in garbage.items())
    assert byok.kms.state(key_id) == "PendingImport"


def test_import_rejects_valid_to_in_past_or_beyond_limit(byok):
    key_id = byok.new_key()
    material = byok.new_material()
    assert_codes((f"ValidTo {label}", byok.attempt_import(key_id, material, valid_to), INVALID_VALUE)
                 for label, valid_to in {"now - 10": now() - 10, "limit + 1": MAX_VALID_TO + 1}.items())
    assert byok.kms.state(key_id) == "PendingImport"


def test_import_refused_on_disabled_key(byok):
    key_id, material = byok.imported_key()
    params = byok.params(key_id)  # taken while Enabled
    byok.kms.DisableKey(KeyId=key_id)
    assert_code(lambda: byok.import_with(key_id, params.ImportToken, byok.wrapped(params, material)),
                STATE_NOT_SUPPORTED)
    assert byok.kms.state(key_id) == "Disabled"


# ------------------------------------------------------------------------------------------------
# the same-material rule
# ------------------------------------------------------------------------------------------------

def material_not_match(wrapping):
    """What other material answers: with PKCS#1 v1.5 the one unwrap-failure code, since
    MaterialNotMatch would confirm valid padding and length (a padding oracle)."""
    return DECRYPT_MATERIAL_ERROR if wrapping == RSA_PKCS1 else MATERIAL_NOT_MATCH


def test_import_of_different_material_is_refused_and_old_material_keeps_working(byok):
    key_id, _ = byok.imported_key()
    blob = byok.kms.encrypt(key_id, b"before the attempt")
    assert_code(byok.attempt_import(key_id, byok.new_material()), material_not_match(byok.wrapping))
    assert byok.kms.state(key_id) == "Enabled"
    assert byok.kms.decrypt(blob) == b"before the attempt"
    assert_round_trip(byok.kms, key_id)


def test_key_whose_material_was_deleted_accepts_only_its_own_material(byok):
    key_id, material = byok.imported_key()
    blob = byok.kms.encrypt(key_id, b"only the same material")
    byok.kms.DeleteImportedKeyMaterial(KeyId=key_id)
    assert_code(byok.attempt_import(key_id, byok.new_material()), material_not_match(byok.wrapping))
    assert byok.kms.state(key_id) == "PendingImport"
    byok.import_material(key_id, material)
    assert byok.kms.decrypt(blob) == b"only the same material"


def test_reimport_of_same_material_sets_new_valid_to(byok):
    first = now() + 3600
    key_id, material = byok.imported_key(valid_to=first)
    blob = byok.kms.encrypt(key_id, b"re-imported")
    for valid_to in (now() + 7200, MAX_VALID_TO, 0):
        byok.import_material(key_id, material, valid_to=valid_to)
        meta = byok.kms.DescribeKey(KeyId=key_id).KeyMetadata
        assert (meta.KeyState, meta.ValidTo) == ("Enabled", valid_to)
        assert byok.kms.decrypt(blob) == b"re-imported"


def test_same_material_in_two_keys_decrypts_only_through_its_own_key(byok):
    kms = byok.kms
    key_1, material = byok.imported_key()
    key_2, _ = byok.imported_key(material)
    blob_1, blob_2 = kms.encrypt(key_1, b"through key 1"), kms.encrypt(key_2, b"through key 2")
    assert kms.Decrypt(CiphertextBlob=blob_1).KeyId == key_1
    assert kms.Decrypt(CiphertextBlob=blob_2).KeyId == key_2
    kms.DeleteImportedKeyMaterial(KeyId=key_1)
    assert kms.state(key_2) == "Enabled"
    assert_code(lambda: kms.Decrypt(CiphertextBlob=blob_1), STATE_NOT_SUPPORTED)
    dec = kms.Decrypt(CiphertextBlob=blob_2)
    assert (unb64(dec.Plaintext), dec.KeyId) == (b"through key 2", key_2)


# ------------------------------------------------------------------------------------------------
# DeleteImportedKeyMaterial
# ------------------------------------------------------------------------------------------------

def test_delete_imported_material_makes_key_pending_import_and_reimport_restores_it(byok):
    kms = byok.kms
    key_id, material = byok.imported_key()
    context = '{"purpose":"byok"}'
    plain = {"short": b"x", "long": os.urandom(4096), "binary": os.urandom(37)}
    blobs = {label: kms.encrypt(key_id, data) for label, data in plain.items()}
    blobs["context"], plain["context"] = kms.encrypt(key_id, b"with context", context), b"with context"
    data_key = kms.GenerateDataKey(KeyId=key_id, KeySpec="AES_256")
    blobs["data key"], plain["data key"] = data_key.CiphertextBlob, unb64(data_key.Plaintext)

    kms.DeleteImportedKeyMaterial(KeyId=key_id)
    assert kms.state(key_id) == "PendingImport"

    def decrypt(label):
        return lambda: kms.decrypt(blobs[label], context if label == "context" else None)
    assert_codes(
        [("Encrypt", lambda: kms.encrypt(key_id, b"refused"), STATE_NOT_SUPPORTED),
         ("GenerateDataKey", lambda: kms.GenerateDataKey(KeyId=key_id, KeySpec="AES_256"), STATE_NOT_SUPPORTED),
         ("DeleteImportedKeyMaterial again", lambda: kms.DeleteImportedKeyMaterial(KeyId=key_id),
          STATE_NOT_SUPPORTED)]
        + [(f"Decrypt {label}", decrypt(label), STATE_NOT_SUPPORTED) for label in blobs])

    byok.import_material(key_id, material)
    assert kms.state(key_id) == "Enabled"
    for label in blobs:
        assert decrypt(label)() == plain[label], f"{label} blob did not decrypt after re-import"


def test_delete_imported_material_refuses_never_imported_key(byok):
    key_id = byok.new_key()
    assert_code(lambda: byok.kms.DeleteImportedKeyMaterial(KeyId=key_id), STATE_NOT_SUPPORTED)
    assert byok.kms.state(key_id) == "PendingImport"


def test_delete_imported_material_refuses_service_generated_key(kms_a):
    key_id = kms_a.new_key_id(Type=1)
    assert_code(lambda: kms_a.DeleteImportedKeyMaterial(KeyId=key_id), NOT_EXTERNAL)
    assert kms_a.state(key_id) == "Enabled"


# ------------------------------------------------------------------------------------------------
# expiry on time
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("wrapping", [RSA_OAEP_SHA256, SM2PKE], ids=["fips", "sm"])
def test_material_expires_at_valid_to_and_is_destroyed_soon_after(client, account_a, wrapping):
    byok = Byok(client(account_a, wrapping.region), wrapping)
    kms = byok.kms
    key_id, material = byok.new_key(), byok.new_material()
    params = byok.params(key_id)
    wrapped = byok.wrapped(params, material)
    valid_to = now() + 3
    byok.import_with(key_id, params.ImportToken, wrapped, valid_to=valid_to)
    blob = kms.encrypt(key_id, b"expiring")
    assert now() < valid_to, "the stack was too slow to use the key before ValidTo; rerun"
    assert kms.DescribeKey(KeyId=key_id).KeyMetadata.ValidTo == valid_to

    time.sleep(max(0.0, valid_to + 1 - time.time()))
    assert kms.state(key_id) == "PendingImport", "material must be unusable at ValidTo at once"
    assert_codes([
        ("Encrypt", lambda: kms.encrypt(key_id, b"too late"), STATE_NOT_SUPPORTED),
        ("Decrypt", lambda: kms.decrypt(blob), STATE_NOT_SUPPORTED),
    ])

    deadline = time.time() + 10
    while kms.DescribeKey(KeyId=key_id).KeyMetadata.ValidTo != 0:
        assert time.time() < deadline, "the service did not destroy expired material within 10 s"
        time.sleep(0.5)
    assert kms.state(key_id) == "PendingImport"

    byok.import_material(key_id, material)
    assert kms.state(key_id) == "Enabled"
    assert kms.decrypt(blob) == b"expiring"


# ------------------------------------------------------------------------------------------------
# listing and isolation
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("wrapping", [RSA_OAEP_SHA256, SM2PKE], ids=["fips", "sm"])
def test_list_key_detail_filters_external_keys_by_origin(client, make_account, wrapping):
    byok = Byok(client(make_account("byok-list"), wrapping.region), wrapping)
    kms = byok.kms
    generated = {kms.new_key_id(Type=1) for _ in range(2)}
    pending = byok.new_key()
    imported, _ = byok.imported_key()
    deleted, _ = byok.imported_key()
    kms.DeleteImportedKeyMaterial(KeyId=deleted)
    external = {pending, imported, deleted}

    def listed(**fields):
        resp = kms.ListKeyDetail(Limit=200, **fields)
        ids = {m.KeyId for m in resp.KeyMetadatas or []}
        assert resp.TotalCount == len(ids)
        return ids, {m.Origin for m in resp.KeyMetadatas or []}
    assert listed(Origin="EXTERNAL") == (external, {"EXTERNAL"})
    assert listed(Origin="TENCENT_KMS") == (generated, {"TENCENT_KMS"})
    assert listed()[0] == external | generated


def test_other_account_cannot_touch_external_key(byok, client, account_b):
    kms_a, kms_b = byok.kms, client(account_b, byok.wrapping.region)
    w = byok.wrapping
    key_id, material = byok.imported_key()
    blob = kms_a.encrypt(key_id, b"A's secret")
    before = kms_a.DescribeKey(KeyId=key_id).KeyMetadata.to_json_string(sort_keys=True)
    params = byok.params(key_id)  # A's valid parameters, handed to B
    wrapped = byok.wrapped(params, material)
    assert_codes([
        ("GetParametersForImport", lambda: kms_b.GetParametersForImport(
            KeyId=key_id, WrappingAlgorithm=w.algorithm, WrappingKeySpec=w.spec), NOT_FOUND),
        ("ImportKeyMaterial with A's token", lambda: kms_b.ImportKeyMaterial(
            KeyId=key_id, ImportToken=params.ImportToken, EncryptedKeyMaterial=wrapped), NOT_FOUND),
        ("DeleteImportedKeyMaterial", lambda: kms_b.DeleteImportedKeyMaterial(KeyId=key_id), NOT_FOUND),
    ])
    assert kms_a.DescribeKey(KeyId=key_id).KeyMetadata.to_json_string(sort_keys=True) == before
    assert kms_a.decrypt(blob) == b"A's secret"
    # B's attempt did not spend A's token
    byok.import_with(key_id, params.ImportToken, wrapped)
    assert kms_a.state(key_id) == "Enabled"
