"""No secret in clear anywhere under $KMS_HOME: database files, WAL, logs, nginx's temp files,
everything.

The test makes secrets whose value it knows -- an account's SecretKey (and a second credential's),
imported key material in both profiles, plaintexts sent through every request style (TC3 POST and
GET, v1 POST and GET with the Plaintext in the query string, HTTPS), plaintexts of requests that
fail (unknown key, unknown parameter, bad signature), data keys from GenerateDataKey and the
ImportTokens -- pushes everything to disk (CHECKPOINT, WAL switch) and looks for each of them in
every file: raw, hex, Base64 as a whole and in each of the three alignments it can take inside a
longer Base64 string, URL-safe and URL-encoded Base64.

Exempt: $KMS_HOME/master.key (the master key is itself the secret), and the demo account's
SecretKey in $KMS_HOME/demo-account.json (where `up` keeps it for its operator).
"""

import json
import os
import time

from e2e_support import FIPS_REGION, SM_REGION, Kms, b64, unb64
from faults_support import (
    Needle, classify, files_under, random_secret, rsa_oaep_sha256_wrap, scan_tree, secret_forms, sm2_wrap,
)


class Secrets:
    def __init__(self):
        self.needles = []

    def add(self, label, data, *, text=False, exempt=()):
        for form, value in secret_forms(data, text=text).items():
            self.needles.append(Needle(f"{label} ({form})", value, frozenset(exempt)))

    def add_token(self, label, token):
        """An ImportToken as sent (text) and URL-encoded; only its SHA-256 may be stored."""
        from urllib.parse import quote
        self.needles.append(Needle(f"{label} (as sent)", token.encode()))
        if quote(token, safe="") != token:
            self.needles.append(Needle(f"{label} (url-encoded)", quote(token, safe="").encode()))


def _call(resp, expect=None):
    kind, code, body = classify(resp)
    if expect is None:
        assert kind == "ok", f"{kind} {code}: {body}"
    else:
        assert (kind, code) == ("error", expect), f"expected {expect}, got {kind} {code}: {body}"
    return body


def test_no_secret_in_clear_under_kms_home(stack, make_account, make_credential, tmp_path):
    home = stack.home
    secrets = Secrets()

    # -- credentials ----------------------------------------------------------------------------
    account = make_account("secrets")
    second = make_credential(account)
    secrets.add("SecretKey of a new account", account.secret_key.encode(), text=True)
    secrets.add("SecretKey of a second credential", second.secret_key.encode(), text=True)
    demo_file = os.path.join(home, "demo-account.json")
    with open(demo_file) as fh:
        demo = json.load(fh)
    secrets.add("SecretKey of the demo account", demo["SecretKey"].encode(), text=True, exempt={demo_file})

    fips = Kms(account, FIPS_REGION, stack.endpoint)
    fips_second = Kms(second, FIPS_REGION, stack.endpoint)
    sm = Kms(account, SM_REGION, stack.endpoint)
    fips_https = Kms(account, FIPS_REGION, stack.https_endpoint, scheme="https", certification=stack.ca_file)
    fips_get = Kms(account, FIPS_REGION, stack.endpoint, method="GET")
    raw = stack.raw
    fips_key, sm_key = fips.new_key_id(), sm.new_key_id()

    # -- imported material (BYOK) in both profiles --------------------------------------------------
    fips_ext = fips.new_key_id(Type=2)
    fips_material = random_secret(32)
    params = fips.GetParametersForImport(KeyId=fips_ext, WrappingAlgorithm="RSAES_OAEP_SHA_256",
                                         WrappingKeySpec="RSA_2048")
    fips.ImportKeyMaterial(KeyId=fips_ext, ImportToken=params.ImportToken,
                           EncryptedKeyMaterial=b64(rsa_oaep_sha256_wrap(params.PublicKey, fips_material)))
    secrets.add("imported material (FIPS, RSAES_OAEP_SHA_256)", fips_material)
    secrets.add_token("ImportToken (FIPS)", params.ImportToken)

    sm_ext = sm.new_key_id(Type=2)
    sm_material = random_secret(16)
    params = sm.GetParametersForImport(KeyId=sm_ext, WrappingAlgorithm="SM2PKE", WrappingKeySpec="SM2")
    sm.ImportKeyMaterial(KeyId=sm_ext, ImportToken=params.ImportToken,
                         EncryptedKeyMaterial=b64(sm2_wrap(params.PublicKey, sm_material, str(tmp_path))))
    secrets.add("imported material (SM, SM2PKE)", sm_material)
    secrets.add_token("ImportToken (SM)", params.ImportToken)

    # -- plaintexts through every request style; each is decrypted again (plaintext in a response) ----
    def v1(method):
        return lambda key, p: _call(raw.v1(account, "Encrypt", {"KeyId": key, "Plaintext": b64(p)},
                                           method=method))["CiphertextBlob"]

    paths = {
        "TC3 POST (SDK)": (fips_key, fips.encrypt),
        "TC3 POST, second credential": (fips_key, fips_second.encrypt),
        "TC3 POST over HTTPS": (fips_key, fips_https.encrypt),
        "TC3 GET (query string)": (fips_key, fips_get.encrypt),
        "v1 GET (query string)": (fips_key, v1("GET")),
        "v1 POST (form)": (fips_key, v1("POST")),
        "TC3 POST, SM region": (sm_key, sm.encrypt),
        "TC3 POST, imported FIPS material": (fips_ext, fips.encrypt),
        "TC3 POST, imported SM material": (sm_ext, sm.encrypt),
    }
    for label, (key_id, encrypt) in paths.items():
        plaintext = random_secret(32)
        blob = encrypt(key_id, plaintext)
        region, client = (SM_REGION, sm) if key_id in (sm_key, sm_ext) else (FIPS_REGION, fips)
        decrypted = _call(raw.v1(account, "Decrypt", {"CiphertextBlob": blob}, method="GET", region=region))
        assert unb64(decrypted["Plaintext"]) == plaintext, label
        assert client.decrypt(blob) == plaintext, label
        secrets.add(f"plaintext encrypted by {label}", plaintext)

    # ... and through requests that fail, where an error path might log what it was given.
    failing = [
        ("Encrypt with an unknown KeyId (v1 GET)", "ResourceUnavailable.CmkNotFound",
         lambda p: raw.v1(account, "Encrypt", {"KeyId": "00000000-0000-4000-8000-000000000000",
                                                "Plaintext": b64(p)}, method="GET")),
        ("Encrypt with an unknown parameter (TC3 POST)", "UnknownParameter",
         lambda p: raw.tc3(account, "Encrypt", {"KeyId": fips_key, "Plaintext": b64(p), "Secret": b64(p)})),
        ("Encrypt with a bad signature (v1 GET)", "AuthFailure.SignatureFailure",
         lambda p: raw.v1(account, "Encrypt", {"KeyId": fips_key, "Plaintext": b64(p)}, method="GET",
                          secret_key="x" * 32)),
        ("Encrypt to a disabled key (TC3 GET)", "ResourceUnavailable.CmkDisabled",
         lambda p: raw.tc3(account, "Encrypt", {"KeyId": disabled_key, "Plaintext": b64(p)}, method="GET")),
    ]
    disabled_key = fips.new_key_id()
    fips.DisableKey(KeyId=disabled_key)
    for label, code, send in failing:
        plaintext = random_secret(32)
        kind, got, body = classify(send(plaintext))
        assert kind == "error" and got.split(".")[0] == code.split(".")[0], f"{label}: {kind} {got} {body}"
        secrets.add(f"plaintext of a failed request: {label}", plaintext)

    # -- data keys ----------------------------------------------------------------------------------
    for label, client, key_id in (("FIPS", fips, fips_key), ("SM", sm, sm_key), ("FIPS, imported", fips, fips_ext)):
        data_key = client.GenerateDataKey(KeyId=key_id, KeySpec="AES_256")
        assert client.decrypt(data_key.CiphertextBlob) == unb64(data_key.Plaintext)
        secrets.add(f"data key from GenerateDataKey ({label})", unb64(data_key.Plaintext))

    # -- everything to disk -------------------------------------------------------------------------
    time.sleep(0.5)   # the audit writer's batch interval is 200 ms
    stack.psql("CHECKPOINT", user="postgres")
    stack.psql("SELECT pg_switch_wal()", user="postgres")
    stack.psql("CHECKPOINT", user="postgres")

    master_key = os.path.join(home, "master.key")
    started = time.monotonic()
    hits = scan_tree(home, secrets.needles, skip={master_key})
    count, size = files_under(home)
    assert len(hits) == 0, (f"{len(hits)} secret(s) in clear under {home}:\n"
                            + "\n".join(f"  {path}: {label}" for path, label in hits[:40]))
    print(f"\nsecrets at rest: {len(secrets.needles)} needles, {count} files ({size / 1e6:.1f} MB) under "
          f"{home}, scanned in {time.monotonic() - started:.1f}s: none found")


def test_scanner_finds_what_it_looks_for(tmp_path):
    """The scan itself: a secret hidden in every form (inside longer Base64 at each offset, too) is found."""
    secret = random_secret(32)
    files = {
        "raw.bin": os.urandom(1000) + secret + os.urandom(1000),
        "hex.txt": b"x=" + secret.hex().encode() + b";",
        "b64-0.txt": b64(secret).encode(),
        "b64-1.txt": b64(b"\x01" + secret + b"\x02").encode(),
        "b64-2.txt": b64(b"\x01\x02" + secret + b"\x03").encode(),
        "urlenc.txt": b"Plaintext=" + b64(secret).replace("+", "%2B").replace("/", "%2F").replace("=", "%3D").encode(),
    }
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
    needles = [Needle(form, value) for form, value in secret_forms(secret).items()]
    found = {os.path.basename(path) for path, _label in scan_tree(str(tmp_path), needles)}
    assert found == set(files), f"not found in: {set(files) - found}"
