"""BindCloudResource / UnbindCloudResource over the official SDK, v1 form requests and tccli, in both
profiles' regions: binding twice succeeds, a bound key cannot be disabled, archived, scheduled for
deletion or lose its imported material (FailedOperation.CmkUsedByCloudProduct), binding cancels an
imported key's expiry, unbinding what is not bound is CloudResourceBindingNotFound, only Enabled keys
are bound, every parameter error has its code, another account sees nothing, a CAM sub-user needs
the action on the key, and both actions are audited."""

import os
import time

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from cam_support import Cam, add_sub_user, allow, key_resource
from e2e_support import FIPS_REGION, SM_REGION, assert_code, assert_codes, b64, ok, owner_psql, random_key_id, unb64
from tccli_support import tccli_service


def bind(kms, key_id, product="mysql", resource="cdb-fitq5t9h"):
    return kms.BindCloudResource(KeyId=key_id, ProductId=product, ResourceId=resource)


def unbind(kms, key_id, product="mysql", resource="cdb-fitq5t9h"):
    return kms.UnbindCloudResource(KeyId=key_id, ProductId=product, ResourceId=resource)


def test_a_bound_key_refuses_every_way_out_of_use_until_its_last_binding_goes(kms_a, key_a):
    assert bind(kms_a, key_a).RequestId
    assert bind(kms_a, key_a).RequestId, "binding twice succeeds (Tencent: 如果当前关联关系已经创建，也返回成功)"
    bind(kms_a, key_a, "cos", "bucket-1250000000")
    used = "FailedOperation.CmkUsedByCloudProduct"
    assert_codes([
        ("DisableKey", lambda: kms_a.DisableKey(KeyId=key_a), used),
        ("DisableKeys", lambda: kms_a.DisableKeys(KeyIds=[key_a]), used),
        ("ArchiveKey", lambda: kms_a.ArchiveKey(KeyId=key_a), used),
        ("ScheduleKeyDeletion", lambda: kms_a.ScheduleKeyDeletion(KeyId=key_a, PendingWindowInDays=7), used),
    ])
    assert kms_a.state(key_a) == "Enabled"
    assert kms_a.decrypt(kms_a.encrypt(key_a, b"still in use")) == b"still in use"

    unbind(kms_a, key_a)
    assert_code(lambda: unbind(kms_a, key_a), "ResourceUnavailable.CloudResourceBindingNotFound")
    assert_code(lambda: kms_a.DisableKey(KeyId=key_a), used)
    unbind(kms_a, key_a, "cos", "bucket-1250000000")
    kms_a.DisableKey(KeyId=key_a)
    assert kms_a.ScheduleKeyDeletion(KeyId=key_a, PendingWindowInDays=7).KeyId == key_a


def test_a_batch_with_one_bound_key_changes_none(kms_a):
    free, bound = kms_a.new_key_id(), kms_a.new_key_id()
    bind(kms_a, bound)
    assert_code(lambda: kms_a.DisableKeys(KeyIds=[free, bound]), "FailedOperation.CmkUsedByCloudProduct")
    assert kms_a.state(free) == "Enabled"


def test_only_an_enabled_key_is_bound(kms_a):
    disabled, pending_delete, archived = kms_a.new_key_id(), kms_a.new_key_id(), kms_a.new_key_id()
    kms_a.DisableKey(KeyId=disabled)
    kms_a.DisableKey(KeyId=pending_delete)
    kms_a.ScheduleKeyDeletion(KeyId=pending_delete, PendingWindowInDays=7)
    kms_a.ArchiveKey(KeyId=archived)
    pending_import = kms_a.new_key_id(Type=2)
    not_supported = "ResourceUnavailable.CmkStateNotSupport"
    assert_codes([
        ("Disabled", lambda: bind(kms_a, disabled), not_supported),
        ("PendingDelete", lambda: bind(kms_a, pending_delete), not_supported),
        ("Archived", lambda: bind(kms_a, archived), not_supported),
        ("PendingImport", lambda: bind(kms_a, pending_import), not_supported),
    ])
    # An Archived key is not Enabled, so it was never bound: CancelKeyArchive and a bind work.
    kms_a.CancelKeyArchive(KeyId=archived)
    bind(kms_a, archived)


def test_every_parameter_error_has_its_code(kms_a, key_a):
    unknown = random_key_id()
    assert_codes([
        ("unknown key", lambda: bind(kms_a, unknown), "ResourceUnavailable.CmkNotFound"),
        ("unknown key, unbind", lambda: unbind(kms_a, unknown), "ResourceUnavailable.CmkNotFound"),
        ("not a key id", lambda: bind(kms_a, "not-a-key"), "InvalidParameterValue.InvalidKeyId"),
        ("not a key id, unbind", lambda: unbind(kms_a, "not-a-key"), "InvalidParameterValue.InvalidKeyId"),
        ("no ProductId", lambda: kms_a.call("BindCloudResource", KeyId=key_a, ResourceId="r"), "MissingParameter"),
        ("no ResourceId", lambda: kms_a.call("UnbindCloudResource", KeyId=key_a, ProductId="p"), "MissingParameter"),
        ("no KeyId", lambda: kms_a.call("BindCloudResource", ProductId="p", ResourceId="r"), "MissingParameter"),
        ("empty ProductId", lambda: bind(kms_a, key_a, product=""), "InvalidParameter"),
        ("ProductId with a space", lambda: bind(kms_a, key_a, product="my product"), "InvalidParameter"),
        ("ProductId of 65", lambda: bind(kms_a, key_a, product="p" * 65), "InvalidParameter"),
        ("empty ResourceId", lambda: bind(kms_a, key_a, resource=""), "InvalidParameter"),
        ("ResourceId of 513 bytes", lambda: bind(kms_a, key_a, resource="r" * 513), "InvalidParameter"),
        ("ResourceId with a newline", lambda: bind(kms_a, key_a, resource="a\nb"), "InvalidParameter"),
        ("ProductId a number", lambda: kms_a.call("BindCloudResource", KeyId=key_a, ProductId=1, ResourceId="r"),
         "InvalidParameter"),
        ("unknown parameter", lambda: kms_a.call("BindCloudResource", KeyId=key_a, ProductId="p", ResourceId="r", Extra="x"),
         "UnknownParameter"),
    ])
    # The longest of each is fine, unbinding ResourceIds of any text too.
    bind(kms_a, key_a, product="p" * 64, resource="资" * 170)
    unbind(kms_a, key_a, product="p" * 64, resource="资" * 170)


def test_another_account_or_region_cannot_bind_or_unbind(client, account_a, account_b):
    a, b = client(account_a, FIPS_REGION), client(account_b, FIPS_REGION)
    key_id = a.new_key_id()
    bind(a, key_id)
    assert_codes([
        ("another account binds", lambda: bind(b, key_id, "cos", "x"), "ResourceUnavailable.CmkNotFound"),
        ("another account unbinds", lambda: unbind(b, key_id), "ResourceUnavailable.CmkNotFound"),
        ("another region unbinds", lambda: unbind(client(account_a, SM_REGION), key_id), "ResourceUnavailable.CmkNotFound"),
    ])
    assert_code(lambda: a.DisableKey(KeyId=key_id), "FailedOperation.CmkUsedByCloudProduct")


def test_binding_cancels_an_imported_keys_expiry(fips_a):
    key_id = fips_a.new_key_id(Type=2)
    params = fips_a.GetParametersForImport(KeyId=key_id, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048")
    public_key = serialization.load_der_public_key(unb64(params.PublicKey))
    wrapped = public_key.encrypt(os.urandom(32), padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None))
    valid_to = int(time.time()) + 4
    fips_a.ImportKeyMaterial(KeyId=key_id, ImportToken=params.ImportToken, EncryptedKeyMaterial=b64(wrapped), ValidTo=valid_to)
    blob = fips_a.encrypt(key_id, b"outlives its ValidTo")
    assert fips_a.DescribeKey(KeyId=key_id).KeyMetadata.ValidTo == valid_to
    bind(fips_a, key_id)
    assert fips_a.DescribeKey(KeyId=key_id).KeyMetadata.ValidTo == 0
    while time.time() < valid_to + 2:  # past the old ValidTo, with the scheduled worker's second
        time.sleep(0.5)
    assert fips_a.state(key_id) == "Enabled"
    assert fips_a.decrypt(blob) == b"outlives its ValidTo"
    assert_code(lambda: fips_a.DeleteImportedKeyMaterial(KeyId=key_id), "FailedOperation.CmkUsedByCloudProduct")
    unbind(fips_a, key_id)
    fips_a.DeleteImportedKeyMaterial(KeyId=key_id)
    assert fips_a.state(key_id) == "PendingImport"


def test_v1_form_requests_bind_and_unbind(raw, account_a, client, region):
    key_id = client(account_a, region).new_key_id()
    params = {"KeyId": key_id, "ProductId": "ssm", "ResourceId": "resourceId"}
    assert ok(raw.v1(account_a, "BindCloudResource", params, region=region))["RequestId"]
    assert ok(raw.v1(account_a, "UnbindCloudResource", params, region=region))["RequestId"]
    assert_code(raw.v1(account_a, "UnbindCloudResource", params, region=region), "ResourceUnavailable.CloudResourceBindingNotFound")


def test_tccli_binds_and_unbinds_in_both_regions(kms_env, account_a, client, tmp_path):
    kms = tccli_service(kms_env, account_a, tmp_path, "kms")
    for region in (FIPS_REGION, SM_REGION):
        key_id = client(account_a, region).new_key_id()
        args = ["--region", region, "--KeyId", key_id, "--ProductId", "mysql", "--ResourceId", "cdb-fitq5t9h"]
        assert "RequestId" in kms("BindCloudResource", *args)
        said = kms("ScheduleKeyDeletion", "--region", region, "--KeyId", key_id, "--PendingWindowInDays", "7", fails=True)
        assert "FailedOperation.CmkUsedByCloudProduct" in said, said
        kms("UnbindCloudResource", *args)
        said = kms("UnbindCloudResource", *args, fails=True)
        assert "ResourceUnavailable.CloudResourceBindingNotFound" in said, said


def test_a_sub_user_needs_the_action_on_the_key(kms_env, client, make_account):
    root = make_account("bind-cam")
    cam = Cam(root, kms_env.endpoint)
    owner = client(root, FIPS_REGION)
    allowed, other = owner.new_key_id(), owner.new_key_id()
    added, sub = add_sub_user(cam, root)
    kms = client(sub, FIPS_REGION)
    allow(cam, added.Uin, ["kms:BindCloudResource"], key_resource(FIPS_REGION, root.uin, allowed))
    deadline = time.monotonic() + 1.0
    while True:
        try:
            bind(kms, allowed)
            break
        except TencentCloudSDKException as exc:
            assert exc.code == "UnauthorizedOperation" and time.monotonic() < deadline, exc
            time.sleep(0.02)
    assert_codes([
        ("another key", lambda: bind(kms, other), "UnauthorizedOperation"),
        ("another action", lambda: unbind(kms, allowed), "UnauthorizedOperation"),
    ])
    unbind(owner, allowed)


def test_both_actions_are_audited_with_their_key_and_result(kms_env, fips_a):
    key_id = fips_a.new_key_id()
    bound = bind(fips_a, key_id).RequestId
    refused = None
    try:
        unbind(fips_a, key_id, "cos", "nothing")
    except TencentCloudSDKException as exc:
        refused = exc.requestId
    assert refused
    deadline = time.monotonic() + 5
    while True:
        rows = owner_psql(kms_env.home, "SELECT action || ' ' || key_id || ' ' || result FROM audit_log "
                                        f"WHERE request_id IN ('{bound}', '{refused}') ORDER BY seq")
        if len(rows.splitlines()) == 2 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert rows.splitlines() == [f"BindCloudResource {key_id} Success",
                                 f"UnbindCloudResource {key_id} ResourceUnavailable.CloudResourceBindingNotFound"]


ASYMMETRIC_USAGE = {FIPS_REGION: "ASYMMETRIC_SIGN_VERIFY_ECC", SM_REGION: "ASYMMETRIC_SIGN_VERIFY_SM2"}


def test_an_asymmetric_key_is_bound_like_any_other(kms_a, region):
    key_id = kms_a.new_key_id(KeyUsage=ASYMMETRIC_USAGE[region])
    bind(kms_a, key_id, "ssm", "secret-1")
    assert_codes([
        ("DisableKey", lambda: kms_a.DisableKey(KeyId=key_id), "FailedOperation.CmkUsedByCloudProduct"),
        ("ScheduleKeyDeletion", lambda: kms_a.ScheduleKeyDeletion(KeyId=key_id, PendingWindowInDays=7),
         "FailedOperation.CmkUsedByCloudProduct"),
    ])
    assert kms_a.GetPublicKey(KeyId=key_id).PublicKeyPem.startswith("-----BEGIN PUBLIC KEY-----")
    unbind(kms_a, key_id, "ssm", "secret-1")
    kms_a.DisableKey(KeyId=key_id)
