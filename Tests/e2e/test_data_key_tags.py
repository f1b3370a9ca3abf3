"""Tags of hosted data keys (docs/DATA_KEYS.md "Fields"; docs/TAGS_AND_BINDINGS.md), in a FIPS and an
SM region: GenerateDataKey with IsHostedByKms=1 and ImportDataKey take Tags by CreateKey's rules --
50 at most, TagKeysDuplicated, TagsNotExisted -- and ListDataKeyDetail.TagFilters finds them; an
unhosted GenerateDataKey ignores Tags (there is nothing to tag)."""

import os

from data_key_support import cmk_a, dk_a, dks, hosted, imported, unique_name  # noqa: F401  (fixtures)
from e2e_support import assert_codes, unb64

DUPLICATED = "InvalidParameterValue.TagKeysDuplicated"
NOT_EXISTED = "InvalidParameterValue.TagsNotExisted"


def tags(*pairs):
    return [{"TagKey": k, "TagValue": v} for k, v in pairs]


def test_tags_are_kept_and_filtered(dk_a, cmk_a):
    label = unique_name("tag")
    fifty = tags(*((f"k{i}", f"v{i}") for i in range(49)), ("run", label))
    many = hosted(dk_a, cmk_a, Tags=fifty)
    assert many.TagCode == 0
    brought = imported(dk_a, os.urandom(16), cmk_a, Tags=tags(("run", label), ("origin", "import")))
    assert brought.TagCode == 0
    found = dk_a.ListDataKeyDetail(TagFilters=[{"TagKey": "run", "TagValue": [label]}], Limit=200)
    assert sorted(m.DataKeyId for m in found.DataKeyMetadatas) == sorted([many.DataKeyId, brought.DataKeyId])
    only_imported = dk_a.ListDataKeyDetail(TagFilters=[{"TagKey": "run", "TagValue": [label]},
                                                       {"TagKey": "origin", "TagValue": ["import"]}])
    assert [m.DataKeyId for m in only_imported.DataKeyMetadatas] == [brought.DataKeyId]


def test_tag_refusals_store_nothing(dk_a, cmk_a):
    fifty_one = tags(*((f"k{i}", "v") for i in range(51)))
    assert_codes([
        ("Generate: same key twice", lambda: hosted(dk_a, cmk_a, Tags=tags(("env", "a"), ("env", "b"))), DUPLICATED),
        ("Import: same key twice",
         lambda: imported(dk_a, os.urandom(8), cmk_a, Tags=tags(("env", "a"), ("env", "b"))), DUPLICATED),
        ("Generate: empty value", lambda: hosted(dk_a, cmk_a, Tags=tags(("env", ""))), NOT_EXISTED),
        ("Import: no value", lambda: imported(dk_a, os.urandom(8), cmk_a, Tags=[{"TagKey": "env"}]), NOT_EXISTED),
        ("Generate: 51 tags", lambda: hosted(dk_a, cmk_a, Tags=fifty_one), "InvalidParameter"),
        ("Import: reserved prefix", lambda: imported(dk_a, os.urandom(8), cmk_a, Tags=tags(("qcs:x", "v"))),
         "InvalidParameter"),
    ])
    assert dk_a.ListDataKeyDetail(KeyId=cmk_a).TotalCount == 0


def test_unhosted_generate_data_key_ignores_tags(dk_a, cmk_a):
    resp = dk_a.GenerateDataKey(KeyId=cmk_a, KeySpec="AES_128", Tags=tags(("env", "a"), ("env", "b")))
    assert not resp.DataKeyId and len(unb64(resp.Plaintext)) == 16
