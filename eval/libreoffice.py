"""LibreOffice's text export as a reference for DOCX files, and how well our numbering agrees with it.

LibreOffice lays out a Word file itself, automatic numbering included: its plain-text export
(`soffice --convert-to txt`) writes each paragraph on a line with the label Word would draw
("第一条 ", "（一） ", "    1. "). That makes it an independent check of
`ingest.parsers.docx_numbering`: every reference line that starts with a number label must be
a line of ours too.

    python -m eval.libreoffice DIR_OR_FILE.docx ...   # prints a Markdown table, one row per file

LibreOffice is not a Python dependency: install the Debian package libreoffice-writer-nogui.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Iterable, Sequence
from pathlib import Path

from ingest.chunking import OUTLINE_PATTERNS, STRUCTURE_PATTERNS
from ingest.libreoffice import convert_with_libreoffice
from ingest.normalize import clean_text

log = logging.getLogger(__name__)

__all__ = ["libreoffice_text", "missing_numbered_lines", "numbered_lines", "numbered_paragraph_agreement"]

# The "Text (encoded)" filter with an explicit character set: the plain "Text" filter writes
# the system's encoding, which is not UTF-8 everywhere.
TEXT_FILTER = "txt:Text (encoded):UTF8"
# The labels a numbered paragraph starts with: 第X编/章/节/条, 一、, （一）, 1. 1、, （1）, ①.
_LABELS = (*STRUCTURE_PATTERNS.values(), *OUTLINE_PATTERNS.values())
_SEPARATORS = "|"  # our table cells are joined with " | "


def libreoffice_text(path: Path, timeout: float = 120) -> str:
    """The text LibreOffice exports for a document (UTF-8, one paragraph per line).

    The conversion is `ingest.libreoffice.convert_with_libreoffice`: soffice headless with a
    fresh user profile in a temp dir, so it never waits on the lock of a running LibreOffice.
    Raises RuntimeError (a LibreOfficeError) when soffice is missing, fails or takes longer
    than `timeout` seconds.
    """
    with convert_with_libreoffice(path, TEXT_FILTER, timeout) as exported:
        text = exported.read_bytes().decode("utf-8-sig", "replace")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _compact(text: str) -> str:
    return "".join(char for char in text if not char.isspace() and char not in _SEPARATORS)


def numbered_lines(reference_text: str) -> list[str]:
    """The reference lines that start with a number label and have text after it.

    A label alone ("3." of an empty numbered paragraph) is left out: our parser drops
    paragraphs without text, and there is nothing of the paragraph to compare.
    """
    found: list[str] = []
    for raw in reference_text.split("\n"):
        line = clean_text(raw).strip()
        for pattern in _LABELS:
            match = pattern.match(line)
            if match is not None:
                if line[match.end() :].strip():
                    found.append(line)
                break
    return found


def missing_numbered_lines(our_text: str, reference_text: str) -> list[str]:
    """The numbered reference lines (see `numbered_lines`) that are not lines of our text.

    Whitespace and table-cell separators are ignored on both sides. A reference line counts
    as present when it fills a line of ours, or a run of one that starts and ends at a
    boundary (a line end, a space or a cell separator): LibreOffice writes each paragraph of
    a table cell on its own line, where we join a cell's paragraphs with spaces and a row's
    cells with " | ".
    """
    ours = [_bounded(clean_text(line)) for line in our_text.split("\n")]
    missing: list[str] = []
    for line in numbered_lines(reference_text):
        wanted = _compact(line)
        if not any(_contains(text, bounds, wanted) for text, bounds in ours):
            missing.append(line)
    return missing


def numbered_paragraph_agreement(our_text: str, reference_text: str) -> tuple[int, int]:
    """(matched, total): of the reference lines starting with a number label, how many we have."""
    total = len(numbered_lines(reference_text))
    return total - len(missing_numbered_lines(our_text, reference_text)), total


def _bounded(line: str) -> tuple[str, frozenset[int]]:
    """The line without whitespace and separators, and the offsets where a paragraph may start or end."""
    chars: list[str] = []
    bounds = {0}
    for char in line:
        if char.isspace() or char in _SEPARATORS:
            bounds.add(len(chars))
        else:
            chars.append(char)
    bounds.add(len(chars))
    return "".join(chars), frozenset(bounds)


def _contains(text: str, bounds: frozenset[int], wanted: str) -> bool:
    start = text.find(wanted)
    while start >= 0:
        if start in bounds and start + len(wanted) in bounds:
            return True
        start = text.find(wanted, start + 1)
    return False


def agreement_table(paths: Iterable[Path], timeout: float = 120) -> str:
    """A Markdown table: per DOCX file, the numbered reference lines our parser reproduces."""
    from ingest.parsers.docx import parse_docx

    rows = ["| file | numbered lines (LibreOffice) | found in our text | share |", "|---|---:|---:|---:|"]
    notes: list[str] = []
    for path in paths:
        reference = libreoffice_text(path, timeout)
        ours = parse_docx(path).text
        matched, total = numbered_paragraph_agreement(ours, reference)
        share = f"{matched / total:.0%}" if total else "–"
        rows.append(f"| {path.name} | {total} | {matched} | {share} |")
        notes.extend(f"- {path.name}: `{line[:60]}`" for line in missing_numbered_lines(ours, reference))
    if notes:
        rows += ["", "Not found in our text:", *notes]
    return "\n".join(rows)


def _docx_files(arguments: Sequence[str]) -> list[Path]:
    paths: list[Path] = []
    for argument in arguments:
        path = Path(argument)
        paths.extend(sorted(path.glob("*.docx")) if path.is_dir() else [path])
    return paths


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("paths", nargs="+", help="DOCX files or folders holding them")
    parser.add_argument("--timeout", type=float, default=120, help="seconds per file for soffice")
    args = parser.parse_args(argv)
    print(agreement_table(_docx_files(args.paths), args.timeout))


if __name__ == "__main__":
    main()
