"""Authentication and request styles: the four styles the SDK can send (TC3 JSON POST, TC3 GET query,
v1 HmacSHA1/HmacSHA256 form POST and GET query), response language, and hand-signed negatives
(expired timestamp, tampered body, wrong key, unknown / disabled SecretId, malformed Authorization,
extra signed headers, Host without port, UNSIGNED-PAYLOAD)."""

import hashlib
import secrets
import time

import pytest

from e2e_support import (
    CJK_RE, FIPS_REGION, assert_code, assert_codes, b64, ok, random_key_id, tc3_signature, unb64, unique_alias,
    utc_date,
)

SIGNATURE_FAILURE = "AuthFailure.SignatureFailure"
NOT_FOUND = "ResourceUnavailable.CmkNotFound"


# ------------------------------------------------------------------------------------------------
# the signing helper itself (runs without a stack)
# ------------------------------------------------------------------------------------------------

def test_tc3_helper_reproduces_tencent_known_answer():
    body = b'{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}'
    signature, signed_headers, date = tc3_signature(
        "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE", method="POST", query="",
        headers={"content-type": "application/json; charset=utf-8", "host": "cvm.tencentcloudapi.com"},
        payload=body, timestamp=1551113065, service="cvm")
    assert (date, signed_headers) == ("2019-02-25", "content-type;host")
    assert signature == "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"


# ------------------------------------------------------------------------------------------------
# every request style the official SDK can produce
# ------------------------------------------------------------------------------------------------

STYLES = {
    "tc3-post-json": ("POST", "TC3-HMAC-SHA256"),
    "tc3-get-query": ("GET", "TC3-HMAC-SHA256"),
    "v1-sha256-post-form": ("POST", "HmacSHA256"),
    "v1-sha256-get-query": ("GET", "HmacSHA256"),
    "v1-sha1-post-form": ("POST", "HmacSHA1"),
    "v1-sha1-get-query": ("GET", "HmacSHA1"),
}


@pytest.fixture(params=list(STYLES))
def styled(request, client, account_a):
    method, sign = STYLES[request.param]
    return client(account_a, FIPS_REGION, method=method, sign=sign)


def test_request_style_manages_keys_and_reports_errors(styled):
    alias = unique_alias("style")
    description = "spaces & ampersand = equals + plus % percent 中文 😀"
    key_id = styled.CreateKey(Alias=alias, Description=description).KeyId
    other = styled.new_key_id()
    meta = styled.DescribeKey(KeyId=key_id).KeyMetadata
    assert (meta.Alias, meta.Description) == (alias, description)
    styled.UpdateKeyDescription(KeyId=key_id, Description="updated via style")
    styled.DisableKey(KeyId=other)
    # arrays are flattened (KeyIds.0=..&KeyIds.1=..) and integers are strings in form / query styles
    metas = styled.DescribeKeys(KeyIds=[key_id, other, random_key_id()]).KeyMetadatas
    assert {m.KeyId: m.KeyState for m in metas} == {key_id: "Enabled", other: "Disabled"}
    detail = styled.ListKeyDetail(Offset=0, Limit=5, KeyState=1, OrderType=1, SearchKeyAlias=alias)
    assert detail.TotalCount == 1 and detail.KeyMetadatas[0].Description == "updated via style"
    listed = styled.ListKeys(Offset=0, Limit=200)
    assert listed.TotalCount >= 2
    assert_codes([
        ("unknown key", lambda: styled.DescribeKey(KeyId=random_key_id()), NOT_FOUND),
        ("Limit out of range", lambda: styled.ListKeys(Limit=201), "InvalidParameterValue*"),
    ])


def test_request_style_encrypts_and_decrypts_with_context(styled):
    key_id = styled.new_key_id()
    data = b"\xfb\xff\xfe\x00 plus/slash/equals"  # Base64 with '+', '/' and '=' in it
    context = '{"app":"e2e & co","path":"/a+b=c?d"}'
    enc = styled.Encrypt(KeyId=key_id, Plaintext=b64(data), EncryptionContext=context)
    assert "+" in b64(data) and "/" in b64(data)
    dec = styled.Decrypt(CiphertextBlob=enc.CiphertextBlob, EncryptionContext=context)
    assert (unb64(dec.Plaintext), dec.KeyId) == (data, key_id)
    gdk = styled.GenerateDataKey(KeyId=key_id, NumberOfBytes=24, EncryptionContext=context)
    assert styled.decrypt(gdk.CiphertextBlob, context) == unb64(gdk.Plaintext)
    assert len(unb64(styled.GenerateRandom(NumberOfBytes=48).Plaintext)) == 48


# ------------------------------------------------------------------------------------------------
# language of error messages
# ------------------------------------------------------------------------------------------------

def test_error_message_defaults_to_chinese(raw, account_a):
    _, message = assert_code(raw.tc3(account_a, "DescribeKey", {"KeyId": random_key_id()}), NOT_FOUND)
    assert CJK_RE.search(message), f"default message should be zh-CN: {message!r}"


@pytest.mark.parametrize("sign", ["TC3-HMAC-SHA256", "HmacSHA256"], ids=["tc3-header", "v1-param"])
def test_error_message_follows_requested_language(client, account_a, sign):
    english = client(account_a, FIPS_REGION, sign=sign, language="en-US")
    _, message = assert_code(lambda: english.DescribeKey(KeyId=random_key_id()), NOT_FOUND)
    assert not CJK_RE.search(message), f"en-US message contains Chinese: {message!r}"
    chinese = client(account_a, FIPS_REGION, sign=sign, language="zh-CN")
    _, message = assert_code(lambda: chinese.DescribeKey(KeyId=random_key_id()), NOT_FOUND)
    assert CJK_RE.search(message), f"zh-CN message has no Chinese: {message!r}"


# ------------------------------------------------------------------------------------------------
# hand-signed TC3
# ------------------------------------------------------------------------------------------------

def test_hand_signed_tc3_post_is_accepted(raw, account_a):
    body = ok(raw.tc3(account_a, "ListKeys", {"Limit": 5}))
    assert isinstance(body["TotalCount"], int) and isinstance(body["Keys"], list)


def test_hand_signed_tc3_get_query_is_accepted(raw, client, account_a):
    kms = client(account_a, FIPS_REGION)
    ids = [kms.new_key_id(), kms.new_key_id()]
    body = ok(raw.tc3(account_a, "DescribeKeys", {"KeyIds": ids}, method="GET"))
    assert sorted(m["KeyId"] for m in body["KeyMetadatas"]) == sorted(ids)


def test_json_content_type_with_charset_is_accepted(raw, account_a):
    ok(raw.tc3(account_a, "ListKeys", {"Limit": 1}, content_type="application/json; charset=utf-8"))


def test_timestamp_more_than_five_minutes_off_is_rejected(raw, account_a):
    assert_codes(
        (f"skew {skew:+d}s", lambda skew=skew: raw.tc3(account_a, "ListKeys", {}, timestamp=int(time.time()) + skew),
         "AuthFailure.SignatureExpire")
        for skew in (-400, 400, -86400))


def test_timestamp_within_five_minutes_is_accepted(raw, account_a):
    for skew in (-200, 200):
        ok(raw.tc3(account_a, "ListKeys", {}, timestamp=int(time.time()) + skew))


def test_body_tampered_after_signing_is_rejected(raw, account_a):
    resp = raw.tc3(account_a, "ListKeys", {"Limit": 5}, send_body=b'{"Limit": 6}')
    assert_code(resp, SIGNATURE_FAILURE)


def test_wrong_secret_key_is_rejected(raw, account_a):
    resp = raw.tc3(account_a, "ListKeys", {}, secret_key=secrets.token_hex(16))
    assert_code(resp, SIGNATURE_FAILURE)


def test_unknown_secret_id_is_rejected(raw, account_a):
    resp = raw.tc3(account_a, "ListKeys", {}, secret_id="AKID" + secrets.token_hex(16))
    assert_code(resp, "AuthFailure.SecretIdNotFound")


def test_second_credential_acts_for_the_same_account(make_credential, client, account_a):
    second = make_credential(account_a)
    assert second.secret_id != account_a.secret_id
    key_id = client(account_a, FIPS_REGION).new_key_id()
    kms2 = client(second, FIPS_REGION)
    assert str(kms2.DescribeKey(KeyId=key_id).KeyMetadata.CreatorUin) == account_a.uin
    assert key_id in kms2.list_all_key_ids()


def test_disabled_credential_is_rejected(make_credential, disable_credential, client, raw, account_a):
    victim = make_credential(account_a)
    client(victim, FIPS_REGION).ListKeys()  # works while enabled
    disable_credential(victim)
    assert_code(raw.tc3(victim, "ListKeys", {}), "AuthFailure.SecretIdNotFound")
    assert_code(raw.v1(victim, "ListKeys", {}), "AuthFailure.SecretIdNotFound")
    assert_code(lambda: client(victim, FIPS_REGION).ListKeys(), "AuthFailure.SecretIdNotFound")
    client(account_a, FIPS_REGION).ListKeys()  # the account's first credential is unaffected


def test_malformed_authorization_is_rejected(raw, account_a):
    templates = {
        "garbage": "garbage",
        "algorithm only": "TC3-HMAC-SHA256",
        "no Signature": "TC3-HMAC-SHA256 Credential={sid}/{date}/kms/tc3_request, SignedHeaders=content-type;host",
        "no Credential": "TC3-HMAC-SHA256 SignedHeaders=content-type;host, Signature={sig}",
        "Credential without scope": "TC3-HMAC-SHA256 Credential={sid}, SignedHeaders=content-type;host, Signature={sig}",
    }
    date = utc_date(int(time.time()))
    cases = [(label, lambda t=t: raw.tc3(account_a, "ListKeys", {}, authorization=t.format(
        sid=account_a.secret_id, date=date, sig="0" * 64)), "AuthFailure.InvalidAuthorization")
        for label, t in templates.items()]
    cases.append(("no Authorization header", lambda: raw.tc3(account_a, "ListKeys", {}, authorization=None),
                  ("AuthFailure*", "MissingParameter")))
    assert_codes(cases)


@pytest.mark.parametrize("extra", [
    {"X-TC-Action": "ListKeys"},
    {"X-TC-Region": FIPS_REGION, "X-TC-Version": "2019-01-18"},
], ids=["x-tc-action", "x-tc-region-and-version"])
def test_extra_signed_headers_are_honoured(raw, account_a, extra):
    # canonical header values are trimmed and lower-cased, as in Tencent's documented example
    # ("x-tc-action:describeinstances"); SignedHeaders lists every signed header
    ok(raw.tc3(account_a, "ListKeys", {"Limit": 2}, extra_signed=extra))


def test_extra_signed_header_with_wrong_value_is_rejected(raw, account_a):
    # X-TC-Region is sent as ap-guangzhou but signed as ap-beijing
    resp = raw.tc3(account_a, "ListKeys", {}, extra_signed={"X-TC-Region": "ap-beijing"},
                   extra_headers={"X-TC-Region": FIPS_REGION})
    assert_code(resp, SIGNATURE_FAILURE)


def test_host_signed_without_port_is_rejected(raw, account_a):
    host_only = raw.endpoint.rsplit(":", 1)[0]
    assert_code(raw.tc3(account_a, "ListKeys", {}, sign_host=host_only), SIGNATURE_FAILURE)


def test_signed_content_type_must_match_sent_one(raw, account_a):
    resp = raw.tc3(account_a, "ListKeys", {}, sign_content_type="application/json; charset=utf-8")
    assert_code(resp, SIGNATURE_FAILURE)


def test_unsigned_payload_is_accepted(raw, account_a):
    body = ok(raw.tc3(account_a, "ListKeys", {"Limit": 3}, unsigned_payload=True))
    assert len(body["Keys"]) <= 3


def test_credential_scope_must_match_request(raw, account_a):
    ts = int(time.time())
    expected = (SIGNATURE_FAILURE, "AuthFailure.InvalidAuthorization")
    assert_codes([
        ("date is not the timestamp's UTC date",
         lambda: raw.tc3(account_a, "ListKeys", {}, timestamp=ts, date=utc_date(ts - 86400)), expected),
        ("service is not kms", lambda: raw.tc3(account_a, "ListKeys", {}, timestamp=ts, service="cvm"), expected),
    ])


# ------------------------------------------------------------------------------------------------
# hand-signed v1
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["POST", "GET"])
def test_hand_signed_v1_is_accepted(raw, client, account_a, method):
    kms = client(account_a, FIPS_REGION)
    ids = [kms.new_key_id(), kms.new_key_id()]
    body = ok(raw.v1(account_a, "DescribeKeys", {"KeyIds": ids}, method=method))
    assert sorted(m["KeyId"] for m in body["KeyMetadatas"]) == sorted(ids)


def test_v1_negatives_are_rejected(raw, account_a):
    bad_signature = b64(hashlib.sha256(b"not the signature").digest())
    host_only = raw.endpoint.rsplit(":", 1)[0]
    assert_codes([
        ("bad signature", lambda: raw.v1(account_a, "ListKeys", {}, signature=bad_signature), SIGNATURE_FAILURE),
        ("wrong SecretKey (HmacSHA1)", lambda: raw.v1(account_a, "ListKeys", {}, sign_method="HmacSHA1",
                                                      secret_key=secrets.token_hex(16)), SIGNATURE_FAILURE),
        ("Host signed without port", lambda: raw.v1(account_a, "ListKeys", {}, sign_host=host_only),
         SIGNATURE_FAILURE),
        ("stale Timestamp", lambda: raw.v1(account_a, "ListKeys", {}, timestamp=int(time.time()) - 600),
         "AuthFailure.SignatureExpire"),
        ("unknown SecretId", lambda: raw.v1(account_a, "ListKeys", {}, secret_id="AKID" + secrets.token_hex(16)),
         "AuthFailure.SecretIdNotFound"),
        ("unknown SignatureMethod", lambda: raw.v1(account_a, "ListKeys", {}, sign_method="HmacMD5"),
         ("AuthFailure*", "InvalidParameter*", "InvalidParameterValue*")),
    ])
