"""Text for scanned PDFs: pages rendered with pdfium, recognised by tesseract (Simplified Chinese).

Both are optional (the `ocr` extra: pypdfium2 and pytesseract, plus the tesseract program
with its `chi_sim` data, e.g. Debian's tesseract-ocr and tesseract-ocr-chi-sim). When one
is missing the PDF is reported with a message naming what to install, never dropped
silently. Documents read this way are marked, and so are their citations, because
recognition makes mistakes a reader should know about.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

from ingest.types import ParseError

log = logging.getLogger(__name__)

INSTALL_HINT = (
    "install tesseract with its Simplified Chinese data (Debian: apt-get install tesseract-ocr "
    "tesseract-ocr-chi-sim) and pip install 'policykb[ocr]'"
)


@dataclass(frozen=True)
class OcrOptions:
    """How scanned PDFs are read; `enabled=False` reports them instead of recognising them."""

    enabled: bool = True
    languages: str = "chi_sim"
    dpi: int = 300
    max_pages: int = 50
    command: str = "tesseract"


class OcrUnavailable(ParseError):
    """OCR was needed but a part of it is not installed; the message says which."""


def _missing(name: str, what: str) -> OcrUnavailable:
    return OcrUnavailable(f"{name}: the PDF has no text layer (probably scanned) and OCR is not available: "
                          f"{what}; {INSTALL_HINT}")


def check_available(options: OcrOptions, name: str) -> None:
    """Raise OcrUnavailable naming the missing piece: Python packages, the program, or its language data."""
    try:
        import pypdfium2  # noqa: F401
        import pytesseract
    except ImportError as error:
        raise _missing(name, f"the Python package {error.name!r} is missing") from None
    if shutil.which(options.command) is None:
        raise _missing(name, f"the tesseract program ({options.command!r}) was not found")
    pytesseract.pytesseract.tesseract_cmd = options.command
    installed = set(pytesseract.get_languages(config=""))
    wanted = [lang for lang in options.languages.split("+") if lang]
    absent = [lang for lang in wanted if lang not in installed]
    if absent:
        raise _missing(name, f"tesseract has no data for {', '.join(absent)} (it has {', '.join(sorted(installed))})")


def recognise_pdf(path: Path, options: OcrOptions) -> list[str]:
    """The recognised text of every page of `path`, in page order.

    Chinese output from tesseract has spaces between characters; they are removed between
    CJK characters by the PDF parser's normaliser, which the caller applies.
    """
    import pypdfium2
    import pytesseract

    name = path.name
    check_available(options, name)
    try:
        pdf = pypdfium2.PdfDocument(str(path))
    except pypdfium2.PdfiumError as error:
        raise ParseError(f"{name}: the scanned PDF cannot be rendered for OCR ({error})") from error
    try:
        if len(pdf) > options.max_pages:
            raise ParseError(
                f"{name}: the scanned PDF has {len(pdf)} pages; OCR reads at most {options.max_pages} "
                "(setting POLICYKB_OCR_MAX_PAGES)"
            )
        texts = []
        for number in range(len(pdf)):
            page = pdf[number]
            try:
                image = page.render(scale=options.dpi / 72).to_pil()
            finally:
                page.close()
            log.info("%s: recognising page %d of %d", name, number + 1, len(pdf))
            try:
                texts.append(pytesseract.image_to_string(image, lang=options.languages))
            except pytesseract.TesseractError as error:
                raise ParseError(f"{name}: OCR failed on page {number + 1} ({error.message})") from error
        return texts
    finally:
        pdf.close()
