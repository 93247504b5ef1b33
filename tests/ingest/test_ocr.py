"""Scanned PDFs: real tesseract (chi_sim) on a real image-only PDF, and clear messages when OCR is missing."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from ingest.ocr import OcrOptions, OcrUnavailable
from ingest.parsers import parse_file
from ingest.types import ParseError
from tests import samples


def _tesseract_has_chinese() -> bool:
    if shutil.which("tesseract") is None:
        return False
    listed = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True, check=False)
    return "chi_sim" in listed.stdout.split()


needs_ocr = pytest.mark.skipif(
    not _tesseract_has_chinese() or samples.cjk_font_file() is None,
    reason="needs Debian's tesseract-ocr, tesseract-ocr-chi-sim and fonts-noto-cjk (.ci/run installs them)",
)


@pytest.fixture
def scan(tmp_path):
    if samples.cjk_font_file() is None:
        pytest.skip("needs a CJK font to draw the scan (fonts-noto-cjk)")
    return samples.write_image_pdf(tmp_path / "扫描件.pdf")


@needs_ocr
def test_a_scanned_pdf_is_read_by_ocr_and_marked(scan):
    document = parse_file(scan, ocr=OcrOptions())
    assert document.ocr is True and document.kind == "pdf"
    assert [page.number for page in document.pages] == [1]
    # Recognition is not exact; the title and the article labels come through on this clean scan.
    assert "档案数字化" in document.text and "第一条" in document.text and "第三条" in document.text
    assert " " not in document.text.splitlines()[0]  # no spaces left between Chinese characters
    assert any("OCR" in warning for warning in document.warnings)


def test_without_ocr_options_a_scan_is_reported_not_dropped(scan):
    with pytest.raises(ParseError, match="no text layer.*OCR is off"):
        parse_file(scan)
    with pytest.raises(ParseError, match="OCR is off"):
        parse_file(scan, ocr=OcrOptions(enabled=False))


def test_a_missing_tesseract_program_is_named(scan, tmp_path):
    with pytest.raises(OcrUnavailable) as error:
        parse_file(scan, ocr=OcrOptions(command=str(tmp_path / "no-such-tesseract")))
    message = str(error.value)
    assert "扫描件.pdf" in message and "tesseract program" in message and "tesseract-ocr-chi-sim" in message


@needs_ocr
def test_missing_language_data_is_named(scan):
    with pytest.raises(OcrUnavailable, match="no data for xyz_none"):
        parse_file(scan, ocr=OcrOptions(languages="chi_sim+xyz_none"))


@needs_ocr
def test_a_scan_longer_than_the_page_limit_is_refused(tmp_path):
    if samples.cjk_font_file() is None:
        pytest.skip("needs a CJK font")
    from pypdf import PdfReader, PdfWriter

    single = samples.write_image_pdf(tmp_path / "one.pdf")
    writer = PdfWriter()
    for _ in range(3):
        writer.add_page(PdfReader(single).pages[0])
    path = tmp_path / "three.pdf"
    with path.open("wb") as handle:
        writer.write(handle)
    with pytest.raises(ParseError, match="has 3 pages; OCR reads at most 2"):
        parse_file(path, ocr=OcrOptions(max_pages=2))
