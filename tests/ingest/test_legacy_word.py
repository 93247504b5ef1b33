"""Legacy Word .doc and WPS .wps files, converted by LibreOffice: real files made at test time.

A .docx is written with python-docx and saved as .doc by soffice itself (the "MS Word 97"
filter), so the parser reads a real binary Word file. LibreOffice has no WPS Office export:
asked for .wps it writes the Word 97 format under that suffix, which is what WPS Office's
own .wps files are too.
"""

from __future__ import annotations

import random
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import docx
import pytest

from ingest.libreoffice import LibreOfficeMissing, convert_with_libreoffice
from ingest.parsers import parse_file
from ingest.parsers.legacy_word import parse_legacy_word
from ingest.types import ParseError

needs_soffice = pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")

TITLE = "关于开展示例检查工作的通知"
LINES = [
    TITLE,
    "各有关单位：",
    "第一条 为做好示例检查工作，制定本通知。",
    "第二条 各单位应当于本月底前报送自查材料。",
]
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MISSING = (
    "reading .{kind} files needs LibreOffice (install the Debian package libreoffice-writer-nogui), "
    "or save the file as .docx"
)


def write_notice(path: Path, heading: bool = True) -> Path:
    """A short made-up 通知: a level-1 heading (unless `heading` is false) and two articles."""
    document = docx.Document()
    document.core_properties.title = ""
    if heading:
        document.add_heading(LINES[0], level=1)
    for line in LINES[1:]:
        document.add_paragraph(line)
    document.save(str(path))
    return path


def soffice_convert(source: Path, target: str, outdir: Path) -> Path:
    """`soffice --convert-to target` with its own profile, as a user would run it; the written file."""
    profile = outdir / "profile"
    command = [
        "soffice", f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
        "--convert-to", target, "--outdir", str(outdir), str(source),
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    written = outdir / f"{source.stem}.{target.split(':')[0]}"
    assert written.is_file(), f"soffice wrote no {written.name}"
    return written


@pytest.fixture(scope="module")
def legacy_files(tmp_path_factory) -> dict[str, Path]:
    """Real .doc and .wps files under Chinese names with spaces, plus a .doc without a heading."""
    work = tmp_path_factory.mktemp("legacy")
    notice = write_notice(work / "notice.docx")
    plain = write_notice(work / "plain.docx", heading=False)
    folder = work / "政策 文件"  # a space and Chinese in the folder and file names, as users' files have
    folder.mkdir()
    files = {}
    for name, source, target in [
        ("示例 通知.doc", notice, "doc:MS Word 97"),
        ("示例 通知.wps", notice, "wps"),
        ("无标题 通知.doc", plain, "doc:MS Word 97"),
    ]:
        written = soffice_convert(source, target, work / f"out-{len(files)}")
        files[name] = written.rename(folder / name)
    return files


def fake_word_file(path: Path) -> Path:
    """Not a real Word file, but with the marks the parser checks before converting: the
    compound-file signature and the directory name of Word's text stream."""
    path.write_bytes(OLE_SIGNATURE + bytes(504) + "WordDocument".encode("utf-16-le") + bytes(1000))
    return path


# --- real conversions ----------------------------------------------------------------------------


@needs_soffice
@pytest.mark.parametrize("name, kind", [("示例 通知.doc", "doc"), ("示例 通知.wps", "wps")])
def test_legacy_word_file_gives_its_text_articles_and_heading(legacy_files, name, kind):
    path = legacy_files[name]
    assert path.read_bytes().startswith(OLE_SIGNATURE)  # a real binary Word file, not a renamed .docx
    document = parse_file(path)
    assert document.text.split("\n") == LINES
    assert [line for line in document.text.split("\n") if line.startswith("第")] == LINES[2:]
    assert document.kind == kind
    assert document.source == str(path)
    assert document.title == TITLE  # the first heading, as for a .docx
    assert [(document.text[h.start : h.end], h.level) for h in document.headings] == [(TITLE, 1)]


@needs_soffice
def test_legacy_word_without_a_title_is_named_after_the_file_not_the_temp_copy(legacy_files):
    path = legacy_files["无标题 通知.doc"]
    document = parse_file(path)
    assert document.title == "无标题 通知"
    assert document.text.split("\n") == LINES[1:]


@needs_soffice
def test_legacy_word_same_content_same_id_as_the_docx(legacy_files, tmp_path):
    docx_document = parse_file(write_notice(tmp_path / "notice.docx"))
    assert parse_file(legacy_files["示例 通知.doc"]).id == docx_document.id


@needs_soffice
def test_legacy_word_conversions_run_in_parallel(legacy_files):
    """Each conversion has its own LibreOffice profile, so threads do not wait on each other's lock."""
    paths = [legacy_files["示例 通知.doc"], legacy_files["示例 通知.wps"]] * 2
    with ThreadPoolExecutor(max_workers=4) as pool:
        documents = list(pool.map(parse_file, paths))
    assert all(document.text.split("\n") == LINES for document in documents)


@needs_soffice
def test_web_page_saved_as_doc_is_read(tmp_path):
    path = tmp_path / "网页.doc"
    path.write_text(f"<html><body><h1>{TITLE}</h1><p>{LINES[2]}</p></body></html>", encoding="utf-8")
    document = parse_file(path)
    assert document.text.split("\n") == [TITLE, LINES[2]] and document.kind == "doc"


@needs_soffice
def test_damaged_word_file_is_a_clear_error_not_mojibake(tmp_path):
    """LibreOffice would import a Word file it cannot read as plain text; with Word's filter named it fails."""
    path = fake_word_file(tmp_path / "损坏.doc")
    with path.open("ab") as handle:
        handle.write(random.Random(1).randbytes(4000))
    with pytest.raises(ParseError) as error:
        parse_file(path)
    assert str(error.value) == (
        "损坏.doc: LibreOffice could not convert the file (source file could not be loaded); "
        "the file may be corrupt"
    )


@needs_soffice
def test_legacy_word_timeout_is_reported(legacy_files):
    path = legacy_files["示例 通知.doc"]
    with pytest.raises(ParseError) as error:
        parse_legacy_word(path, timeout=0.01)
    assert str(error.value) == "示例 通知.doc: LibreOffice could not convert the file (it took longer than 0.01 s)"


@needs_soffice
def test_libreoffice_converted_file_is_removed_after_the_block(legacy_files):
    with convert_with_libreoffice(legacy_files["示例 通知.doc"], "docx:MS Word 2007 XML") as converted:
        assert converted.name == "input.docx" and converted.stat().st_size > 0
    assert not converted.exists() and not converted.parent.parent.exists()


# --- without LibreOffice, and files that are no Word document ------------------------------------


@pytest.mark.parametrize("suffix", [".doc", ".wps"])
def test_missing_libreoffice_names_the_package(tmp_path, monkeypatch, suffix):
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))  # no soffice to be found
    path = fake_word_file(tmp_path / f"旧文件{suffix}")
    with pytest.raises(ParseError) as error:
        parse_file(path)
    assert str(error.value) == f"旧文件{suffix}: " + MISSING.format(kind=suffix[1:])


def test_missing_libreoffice_error_of_the_runner(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(LibreOfficeMissing, match="libreoffice-writer-nogui"):
        with convert_with_libreoffice(fake_word_file(tmp_path / "a.doc"), "docx"):
            pass


@pytest.mark.parametrize("target, timeout", [("", 10), (":MS Word 2007 XML", 10), ("docx", 0)])
def test_libreoffice_runner_refuses_bad_arguments(tmp_path, target, timeout):
    with pytest.raises(ValueError):
        with convert_with_libreoffice(fake_word_file(tmp_path / "a.doc"), target, timeout):
            pass


def test_random_bytes_are_not_a_word_document(tmp_path):
    path = tmp_path / "损坏.doc"
    path.write_bytes(random.Random(0).randbytes(4096))
    with pytest.raises(ParseError) as error:
        parse_file(path)
    assert str(error.value) == (
        "损坏.doc: not a Word document (neither Word's binary format nor RTF, DOCX or HTML; "
        "the file may be corrupt)"
    )


def test_compound_file_without_word_text_is_refused(tmp_path):
    """A spreadsheet saved as .doc, or a .doc cut short before its directory, has no WordDocument stream."""
    path = tmp_path / "表格.doc"
    path.write_bytes(OLE_SIGNATURE + bytes(504) + "Workbook".encode("utf-16-le") + bytes(1000))
    with pytest.raises(ParseError, match=r"^表格\.doc: not a valid Word document \(an Office compound file"):
        parse_file(path)


def test_docx_saved_under_the_doc_suffix_needs_no_libreoffice(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    path = write_notice(tmp_path / "notice.docx").rename(tmp_path / "改名.doc")
    document = parse_file(path)
    assert document.text.split("\n") == LINES
    assert (document.kind, document.source, document.title) == ("doc", str(path), TITLE)
