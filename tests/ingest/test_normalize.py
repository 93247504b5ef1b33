"""Folding compatibility code points and removing invisible characters, and nothing else."""

from __future__ import annotations

import sys
import unicodedata

from ingest.normalize import clean_text, compatibility_points, fold_compatibility, strip_invisible

FOLDED_RANGES = ((0x2E80, 0x2EFF), (0x2F00, 0x2FDF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F))


def _in_folded_range(code: int) -> bool:
    return any(low <= code <= high for low, high in FOLDED_RANGES)


def test_kangxi_radicals_and_the_supplement_fold_to_unified_ideographs():
    printed = "第⼀条 为了保护劳动者的合法权益，⻓期⻅⾯，⺠⽣⻚⻛"  # radicals as a Chrome-printed PDF stores them
    assert fold_compatibility(printed) == "第一条 为了保护劳动者的合法权益，长期见面，民生页风"
    assert compatibility_points(printed) == 8
    assert compatibility_points(fold_compatibility(printed)) == 0


def test_every_other_code_point_is_left_exactly_as_it_is():
    """Full-width punctuation, digits and letters, kana, Latin, emoji: NFKC would change many; we do not."""
    changed = [
        hex(code)
        for code in range(sys.maxunicode + 1)
        if not _in_folded_range(code) and not 0xD800 <= code <= 0xDFFF and fold_compatibility(chr(code)) != chr(code)
    ]
    assert changed == []
    assert fold_compatibility("（一）１２３：ＡＢＣ，“引号”…") == "（一）１２３：ＡＢＣ，“引号”…"


def test_each_fold_is_one_code_point_to_one_unified_ideograph():
    for low, high in FOLDED_RANGES:
        for code in range(low, high + 1):
            folded = fold_compatibility(chr(code))
            assert len(folded) == 1
            if folded != chr(code):
                assert unicodedata.name(folded, "").startswith("CJK UNIFIED IDEOGRAPH"), hex(code)


def test_kangxi_radicals_follow_their_unicode_decomposition():
    for code in range(0x2F00, 0x2FD6):
        assert fold_compatibility(chr(code)) == unicodedata.normalize("NFKC", chr(code))


def test_invisible_characters_are_removed_and_line_breaks_kept():
    text = "第一条\u200b 劳动\u200c合同\ufeff\n\u2060第二条\u00ad"
    assert strip_invisible(text) == "第一条 劳动合同\n第二条"
    assert clean_text("\u200b⼀") == "一"
