"""Character clean-up applied by every parser before offsets are taken: what a reader sees.

Two things a file's text layer says that its reader does not see:

- **Compatibility code points.** PDFs printed from Chrome (and other producers that map
  glyphs back to text through the font's cmap) write CJK *radicals* or compatibility
  ideographs where the page shows the normal character: 第⼀条 (U+2F00 KANGXI RADICAL ONE)
  instead of 第一条. They are folded to the unified ideographs. Kangxi radicals
  (U+2F00-U+2FDF) and CJK Compatibility Ideographs (U+F900-U+FAFF) carry Unicode
  decompositions and are folded by NFKC applied to those code points alone -- NFKC on the
  whole text would also turn full-width punctuation (，：（）) into ASCII. The CJK Radicals
  Supplement (U+2E80-U+2EFF: ⻓⻅⻛⺠⻚) has no decompositions; its table (`radicals.tsv`)
  is read off a CJK font's shared glyphs by scripts/make_radical_table.py.
- **Invisible characters**: zero-width spaces and joiners, word joiners, soft hyphens,
  byte order marks inside the text, bidi marks. They are removed; they split words for
  jieba and make lines that look empty but are not.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from importlib import resources

__all__ = ["INVISIBLE", "clean_text", "compatibility_points", "fold_compatibility", "strip_invisible"]

# Zero-width space/non-joiner/joiner, LRM/RLM, bidi embeddings and isolates, word joiner and
# invisible operators, Mongolian vowel separator, soft hyphen, BOM / zero-width no-break space.
INVISIBLE = "\u200b\u200c\u200d\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\u180e\u00ad\ufeff"
_INVISIBLE = re.compile(f"[{INVISIBLE}]")
# Code points folded by NFKC alone: Kangxi radicals, CJK compatibility ideographs (and the
# supplement of those at U+2F800-U+2FA1F).
_NFKC_RANGES = "\u2f00-\u2fdf\uf900-\ufaff\U0002f800-\U0002fa1f"
_COMPATIBILITY = re.compile(f"[\u2e80-\u2eff{_NFKC_RANGES}]")


@cache
def _supplement_table() -> dict[int, str]:
    table: dict[int, str] = {}
    text = resources.files("ingest").joinpath("radicals.tsv").read_text(encoding="utf-8")
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        radical, ideograph = line.split("\t")[:2]
        table[int(radical, 16)] = chr(int(ideograph, 16))
    return table


def _fold(match: re.Match[str]) -> str:
    char = match.group(0)
    code = ord(char)
    if 0x2E80 <= code <= 0x2EFF:
        return _supplement_table().get(code, char)
    folded = unicodedata.normalize("NFKC", char)
    return folded if len(folded) == 1 else char


def fold_compatibility(text: str) -> str:
    """Radicals and compatibility ideographs as the unified ideographs; nothing else changes.

    One code point becomes one code point, so offsets into the text stay valid. A radical
    with no unified twin (⺀, a stroke used only inside characters) is left as it is.
    """
    return _COMPATIBILITY.sub(_fold, text)


def strip_invisible(text: str) -> str:
    """The text without zero-width and other invisible format characters (offsets shift)."""
    return _INVISIBLE.sub("", text)


def clean_text(text: str) -> str:
    """What a reader sees: compatibility code points folded, invisible characters removed."""
    return fold_compatibility(strip_invisible(text))


def compatibility_points(text: str) -> int:
    """How many radical or compatibility code points that `fold_compatibility` would change remain."""
    return sum(1 for match in _COMPATIBILITY.finditer(text) if _fold(match) != match.group(0))
