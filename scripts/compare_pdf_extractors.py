"""Compare PDF text extractors on a folder of real PDFs and print one table row per file and extractor.

Why: the parser's extractor was chosen by this measurement (docs/benchmarks.md), not by
reputation. For each PDF and each installed extractor it reports

- `chars`: visible (non-space) characters extracted;
- `bigram`: the share of the reference text's character bigrams found in the extraction
  (multiset recall; whitespace removed, full-width ASCII folded on both sides), raw and after
  `ingest.normalize.clean_text`. The reference is a DOCX of the same document: the DOCX in
  `--reference` whose file stem is the longest one contained in the PDF's stem;
- `doubled`: immediate repeats of a run of two or more Chinese characters ("第一条第一条",
  "第第一一条条") and consecutive duplicate lines -- what overprinted bold turns into;
- `glued`: headings (第X章/节/条, 一、) run on after a sentence end inside one line
  ("……一档。 第五章 评审程序"): a line break the extractor lost;
- `radicals`: compatibility code points (⼀ U+2F00 …) left in the raw extraction;
- `order`: reference-matched lines (10+ characters) that come before the previous matched line
  in the reference, i.e. text put out of reading order; `found` is how many lines matched;
- `edges`: pages whose top or bottom line on the page (by position, read with pdfium's
  character boxes; compared on letters, digits and ideographs) is not the first or last line
  of the page's extracted text: running headers and footers put out of place (this check
  needs no reference);
- `s/file`: wall-clock seconds to extract every page.

    .venv/bin/python scripts/compare_pdf_extractors.py FOLDER [--reference DOCX_FOLDER]

Extractors that are not installed are skipped (pdfplumber: pip install pdfplumber).
"""

from __future__ import annotations

import argparse
import logging
import re
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from ingest.normalize import clean_text, compatibility_points

Extractor = Callable[[Path], list[str]]

_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_SPACE = re.compile(r"\s+")
_HAN = r"[\u2e80-\u2fdf\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"
_DOUBLED_RUN = re.compile(rf"((?:{_HAN}){{2,}})\1")
_DOUBLED_CHARS = re.compile(rf"({_HAN})\1({_HAN})\2({_HAN})\3")  # 第第一一条条
_GLUED = re.compile(
    r"[。；！？：][ \t\u3000]*(?:第[一二三四五六七八九十百零〇]+[章节条编]|[一二三四五六七八九十]+、)"
)
ORDER_MIN_CHARS = 10


def extract_pypdf(path: Path) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text() or "" for page in PdfReader(path).pages]


def extract_pypdfium2(path: Path) -> list[str]:
    import pypdfium2

    pdf = pypdfium2.PdfDocument(str(path))
    try:
        texts = []
        for index in range(len(pdf)):
            page = pdf[index]
            textpage = page.get_textpage()
            texts.append(textpage.get_text_bounded())
            textpage.close()
            page.close()
        return texts
    finally:
        pdf.close()


def extract_pdfplumber(path: Path) -> list[str]:
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        return [page.extract_text() or "" for page in pdf.pages]


def extract_pdfplumber_dedupe(path: Path) -> list[str]:
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        return [page.dedupe_chars().extract_text() or "" for page in pdf.pages]


def extract_pdfminer(path: Path) -> list[str]:
    from pdfminer.high_level import extract_text

    return extract_text(str(path)).split("\f")


def extract_policykb(path: Path) -> list[str]:
    """What parse_pdf reads before its layout clean-up: pdfium's characters, lines re-cut by position."""
    from ingest.parsers.pdf import extract_page_texts

    return extract_page_texts(path.read_bytes(), path.name)[0]


EXTRACTORS: dict[str, Extractor] = {
    "pypdf": extract_pypdf,
    "pypdfium2": extract_pypdfium2,
    "policykb (pdfium + lines)": extract_policykb,
    "pdfplumber": extract_pdfplumber,
    "pdfplumber+dedupe": extract_pdfplumber_dedupe,
    "pdfminer.six": extract_pdfminer,
}


def comparable(text: str) -> str:
    """Text as compared with the reference: no whitespace, full-width ASCII as ASCII."""
    return _SPACE.sub("", text.translate(_FULL_WIDTH))


def bigram_recall(reference: str, extracted: str) -> float:
    """Share of the reference's character bigrams (with multiplicity) present in `extracted`."""
    wanted = Counter(reference[i : i + 2] for i in range(len(reference) - 1))
    found = Counter(extracted[i : i + 2] for i in range(len(extracted) - 1))
    total = sum(wanted.values())
    return sum(min(count, found[gram]) for gram, count in wanted.items()) / total if total else 0.0


def doubled(text: str) -> int:
    """Doubled runs of Chinese characters plus consecutive duplicate (non-blank) lines."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    repeated_lines = sum(1 for a, b in zip(lines, lines[1:]) if a == b and len(a) > 1)
    return len(_DOUBLED_RUN.findall(text)) + len(_DOUBLED_CHARS.findall(text)) + repeated_lines


def order_problems(reference: str, extracted: str) -> tuple[int, int]:
    """(lines out of reading order, lines matched): a line found in the reference only before
    the previous matched line's position is out of order."""
    position = 0
    descents = matched = 0
    for line in extracted.splitlines():
        line = comparable(line)
        if len(line) < ORDER_MIN_CHARS:
            continue
        after = reference.find(line, position)
        if after >= 0:
            matched += 1
            position = after + len(line)
            continue
        before = reference.find(line)
        if before >= 0:
            matched += 1
            descents += 1
            position = before + len(line)
    return descents, matched


def edge_lines(path: Path) -> list[tuple[str, str]]:
    """(top line, bottom line) of every page by position: the characters whose boxes share the
    highest top or the lowest bottom edge, read back with pdfium."""
    import pypdfium2

    pdf = pypdfium2.PdfDocument(str(path))
    edges = []
    try:
        for index in range(len(pdf)):
            page = pdf[index]
            textpage = page.get_textpage()
            width = page.get_width()
            boxes = [textpage.get_charbox(i) for i in range(textpage.count_chars())
                     if not textpage.get_text_range(i, 1).isspace()]
            if not boxes:
                edges.append(("", ""))
                continue
            low = min(boxes, key=lambda box: box[1])
            high = max(boxes, key=lambda box: box[3])
            bottom = textpage.get_text_bounded(0, low[1] - 1, width, low[1] + 0.6 * (low[3] - low[1]))
            top = textpage.get_text_bounded(0, high[3] - 0.6 * (high[3] - high[1]), width, high[3] + 1)
            edges.append((_letters(top), _letters(bottom)))
            textpage.close()
            page.close()
    finally:
        pdf.close()
    return edges


def misplaced_edges(edges: list[tuple[str, str]], pages: list[str]) -> int:
    """Pages whose positional top (bottom) line is not the first (last) line of the page's text."""
    count = 0
    for (top, bottom), text in zip(edges, pages):
        lines = [_letters(line) for line in text.splitlines() if _letters(line)]
        if not lines:
            continue
        if (top and lines[0] != top) or (bottom and lines[-1] != bottom):
            count += 1
    return count


def _letters(text: str) -> str:
    """Letters, digits and ideographs only (folded): a band read by position may miss the
    punctuation whose small boxes sit outside it."""
    return "".join(char for char in clean_text(text) if char.isalnum())


def docx_text(path: Path) -> str:
    import docx

    document = docx.Document(str(path))
    parts = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def reference_for(pdf: Path, folder: Path | None) -> Path | None:
    if folder is None:
        return None
    candidates = [path for path in folder.glob("*.docx") if path.stem in pdf.stem]
    return max(candidates, key=lambda path: len(path.stem), default=None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="folder of PDF files")
    parser.add_argument("--reference", type=Path, help="folder of DOCX files with the same documents")
    parser.add_argument("--extractors", default=",".join(EXTRACTORS), help="comma-separated subset")
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # pdfminer warns about every odd font descriptor

    header = ["file", "extractor", "pages", "chars", "bigram raw", "bigram clean", "doubled", "glued",
              "radicals", "order", "found", "edges", "s/file"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for pdf in sorted(args.folder.glob("*.pdf")):
        reference_path = reference_for(pdf, args.reference)
        reference = comparable(clean_text(docx_text(reference_path))) if reference_path else ""
        edges = edge_lines(pdf)
        if reference_path:
            print(f"| {pdf.name} | (reference {reference_path.name}) | | {len(reference)} | | | "
                  f"{doubled(docx_text(reference_path))} | | | | | | |")
        for name in args.extractors.split(","):
            try:
                started = time.perf_counter()
                pages = EXTRACTORS[name](pdf)
                seconds = time.perf_counter() - started
            except ImportError:
                continue
            except Exception as error:  # noqa: BLE001 -- a failing extractor is a result too
                print(f"| {pdf.name} | {name} | failed: {type(error).__name__} | | | | | | | | | | |")
                continue
            raw = "\n".join(pages)
            clean = clean_text(raw)
            chars = len(_SPACE.sub("", raw))
            if chars == 0:
                empty = " | " * 9
                print(f"| {pdf.name} | {name} | {len(pages)} | 0 (no text layer){empty}{seconds:.2f} |")
                continue
            cells = [pdf.name, name, str(len(pages)), str(chars)]
            if reference:
                descents, matched = order_problems(reference, clean)
                cells += [f"{bigram_recall(reference, comparable(raw)):.3f}",
                          f"{bigram_recall(reference, comparable(clean)):.3f}"]
            else:
                descents = matched = None
                cells += ["", ""]
            cells += [str(doubled(raw)), str(len(_GLUED.findall(clean))), str(compatibility_points(raw)),
                      "" if descents is None else str(descents), "" if matched is None else str(matched),
                      str(misplaced_edges(edges, pages)), f"{seconds:.2f}"]
            print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
