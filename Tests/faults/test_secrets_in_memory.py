"""Secrets are zeroed after use (SPEC §6; docs/SECURITY.md: plaintexts and data keys exist in clear
only in SecureBytes buffers that are zeroed when released).

After a batch of requests has been answered, the responder's memory (read through
/proc/<pid>/mem, which needs root: the responder is not dumpable) must not hold the raw bytes of any
plaintext it encrypted, decrypted or re-encrypted, nor of any data key it generated.

What is not checked, and why:
* the Base64 text of plaintexts: it travels in request and response bodies (libfcgi buffers, JSON
  strings) that are not secret-aware;
* credential secrets and key material: the responder may cache them (opened) on purpose.
"""

import os
import time

import pytest

from e2e_support import FIPS_REGION, SM_REGION, Kms, unb64
from faults_support import random_secret, read_process_memory

ROUNDS = 8


def test_plaintexts_and_data_keys_do_not_linger_in_responder_memory(stack, make_account):
    if os.geteuid() != 0:
        pytest.skip("reading a non-dumpable process's memory needs root (CAP_SYS_PTRACE)")
    account = make_account("memory")
    clients = {region: Kms(account, region, stack.endpoint) for region in (FIPS_REGION, SM_REGION)}
    keys = {region: (kms.new_key_id(), kms.new_key_id()) for region, kms in clients.items()}

    def encrypt(kms, key_id, _other):
        plaintext = random_secret(32)
        kms.encrypt(key_id, plaintext)
        return plaintext

    def decrypt(kms, key_id, _other):
        plaintext = random_secret(32)
        assert kms.decrypt(kms.encrypt(key_id, plaintext)) == plaintext
        return plaintext

    def re_encrypt(kms, key_id, other):
        plaintext = random_secret(32)
        kms.ReEncrypt(CiphertextBlob=kms.encrypt(key_id, plaintext), DestinationKeyId=other)
        return plaintext

    def generate_data_key(kms, key_id, _other):
        return unb64(kms.GenerateDataKey(KeyId=key_id, KeySpec="AES_256").Plaintext)

    phases = {
        "plaintext sent to Encrypt": encrypt,
        "plaintext returned by Decrypt": decrypt,
        "plaintext re-encrypted by ReEncrypt": re_encrypt,
        "data key returned by GenerateDataKey": generate_data_key,
    }
    pid = stack.responder_pid()
    found, scanned = {}, 0
    # One phase at a time, scanned right after it: what a phase leaves behind is not yet
    # overwritten by the next one's allocations.
    for what, operation in phases.items():
        needles = {}
        for i in range(ROUNDS):
            for region, kms in clients.items():
                needles[operation(kms, *keys[region])] = f"{region}: {what}"
        time.sleep(0.3)   # every request answered, every worker back in accept()
        scanned = 0
        for _mapping, data in read_process_memory(pid):
            scanned += len(data)
            for secret, label in needles.items():
                if secret in data:
                    found.setdefault(label, set()).add(secret)
        assert scanned > 0, f"could not read the memory of responder {pid}"
    assert stack.responder_pid() == pid
    if found:
        pytest.fail(f"raw secrets still in the responder's memory after their requests were answered "
                    f"({scanned / 1e6:.0f} MB scanned after each phase): "
                    + "; ".join(f"{len(s)} of {ROUNDS} × {label}" for label, s in sorted(found.items())),
                    pytrace=False)
