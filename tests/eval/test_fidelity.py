"""The ingest fidelity report on files and documents the tests write: headers and footers, articles,
compatibility characters, references, failing files and the `eval ingest` command."""

from __future__ import annotations

import json
import shutil
import sys

import pytest
from typer.testing import CliRunner

from api.cli import app
from eval.fidelity import (
    Expectation,
    FidelityParams,
    Reference,
    ReferenceMode,
    article_key,
    compare,
    extract_reference,
    fidelity_report,
    file_fidelity,
    furniture_lines,
    is_bare_heading,
    is_page_number_line,
    kept_share,
    load_expectations,
    to_markdown,
)
from ingest.chunking import chunk_document
from ingest.parsers import document_id
from ingest.types import Chunk, Document
from tests import samples

PARAMS = FidelityParams(max_chars=300, min_chars=60, overlap_chars=60)
GAZETTE = "示范市人民政府公报"  # a running footer line of every page, above the page number
FOOTED_PAGES = [
    [f"第{n}页正文：示范市社区服务设施应当按照规定开放，方便居民就近使用。", GAZETTE, f"— {n} —"]
    for n in (1, 2, 3)
]


def document(text: str, title: str = "示范文件", kind: str = "text", pages: tuple = ()) -> Document:
    return Document(document_id(text), title, "memory", kind, text, pages)


def span_chunks(doc: Document, *pieces: tuple[str, tuple[str, ...]]) -> list[Chunk]:
    """Chunks over the first occurrence of each text in doc.text, with the given section paths."""
    chunks = []
    for text, path in pieces:
        start = doc.text.index(text)
        chunks.append(Chunk(doc.id, text, start, start + len(text), path))
    return chunks


# --- headers, footers and page numbers --------------------------------------------------------


def test_a_repeated_footer_of_the_pdf_is_found_in_the_chunks_that_hold_it(tmp_path):
    pdf = samples.write_pdf(tmp_path / "footed.pdf", FOOTED_PAGES)
    reference = extract_reference(pdf)
    assert reference.source in ("pdftotext", "pypdfium2") and len(reference.pages) == 3
    furniture = furniture_lines(reference.pages)
    # page numbers are one line, digits aside; the spaces around 1 are the extractor's choice (fonts)
    assert sorted("".join(line.split()) for line in furniture.values()) == sorted([GAZETTE, "—1—"])

    page_texts = ["\n".join(lines) for lines in FOOTED_PAGES]
    leaky = document("\n".join(page_texts), kind="pdf")
    one_chunk_a_page = [Chunk(leaky.id, text, leaky.text.index(text), leaky.text.index(text) + len(text))
                        for text in page_texts]
    row = compare("footed.pdf", leaky, one_chunk_a_page, reference)
    assert (row.furniture, row.leaked) == (2, 3)
    assert {"".join(line.split()) for line in row.leaked_lines} == {GAZETTE, "—1—"}

    clean_pages = [lines[0] for lines in FOOTED_PAGES]
    clean = document("\n".join(clean_pages), kind="pdf")
    row = compare("footed.pdf", clean, span_chunks(clean, *((text, ()) for text in clean_pages)), reference)
    assert (row.furniture, row.leaked) == (2, 0)


def test_the_file_row_of_a_footed_pdf_measures_against_the_reference(tmp_path):
    pdf = samples.write_pdf(tmp_path / "footed.pdf", FOOTED_PAGES)
    row = file_fidelity(pdf, PARAMS)
    assert row.error == "" and row.kind == "pdf" and row.pages == 3 and row.chunks >= 1
    assert row.furniture == 2 and row.leaked is not None and row.page_number_lines is not None
    assert row.kept is not None and 0 < row.kept <= 1


def test_page_number_lines_and_bare_headings():
    for line in ("—13—", "- 3 -", "— 3 —", "第3页", "第 3 页 共 10 页", "3/10", "76"):
        assert is_page_number_line(line), line
    for line in ("2024", "第三条", "共3项", "13 个街道", ""):
        assert not is_page_number_line(line), line
    assert is_bare_heading("第一章 总则") and is_bare_heading("一、总体要求")
    assert not is_bare_heading("本办法自发布之日起施行。")
    assert not is_bare_heading("第一章 总则\n第一条 为了规范管理，制定本办法。")
    assert is_bare_heading("题" * 30) and not is_bare_heading("题" * 31)


# --- articles -----------------------------------------------------------------------------------


def test_article_keys_read_labels_not_citations():
    assert article_key("第十一条 本办法自发布之日起施行。") == "第11条"
    assert article_key("  第 11 条 本办法") == "第11条"
    assert article_key("第三条之一 新增的条文") == "第3条之1"
    assert article_key("第二条中华人民共和国境内的企业") == "第2条"  # no space after the label
    assert article_key("笫十六条 初步名单报工作小组审核") == "第16条"  # the look-alike misprint
    for citation in ("第八条规定的情形", "第八条第二款", "第八条、第九条", "第八条中的期限", "本法第八条"):
        assert article_key(citation) is None, citation


LAW = "示范市养护办法\n第一条 为了规范养护，制定本办法。\n第二条 本办法适用于本市。\n第三条 本办法自发布之日起施行。"


def test_articles_labelled_missing_and_wrong():
    doc = document(LAW)
    chunks = span_chunks(
        doc,
        ("第一条 为了规范养护，制定本办法。", ("第一条",)),  # right
        ("第三条 本办法自发布之日起施行。", ("第二条",)),  # the text is article 3, the label says 2
    ) + [Chunk(doc.id, "第九条 本办法没有的条文。", 0, 0, ("第九条",))]  # a label the reference lacks
    row = compare("law.txt", doc, chunks, Reference(LAW, "file"), Expectation(articles=3))
    assert (row.articles, row.articles_labelled, row.articles_wrong) == (3, 1, 2)
    assert row.articles_ok is False and row.articles_from == "reference"  # 1 of the 3 expected labels a chunk
    assert row.regulations is None  # one regulation: plain article numbers


COMPILATION = (
    "甲办法\n第一条 甲的目的。\n第二条 甲的范围。\n"
    "乙办法\n第一条 乙的目的。\n第二条 乙的范围。\n第三条 乙的施行。"
)


def test_a_compilation_counts_regulation_article_pairs():
    doc = document(COMPILATION)
    named = [("第一条 甲的目的。", ("甲办法", "第一条")), ("第二条 甲的范围。", ("甲办法", "第二条")),
             ("第一条 乙的目的。", ("乙办法", "第一条")), ("第二条 乙的范围。", ("乙办法", "第二条")),
             ("第三条 乙的施行。", ("乙办法", "第三条"))]
    chunks = []
    for text, path in named:  # texts repeat across regulations: take each after the previous one
        start = doc.text.index(text, chunks[-1].end if chunks else 0)
        chunks.append(Chunk(doc.id, text, start, start + len(text), path))
    row = compare("handbook.txt", doc, chunks, Reference(COMPILATION, "file"))
    assert (row.articles, row.articles_labelled, row.articles_wrong) == (2 + 3, 5, 0)
    assert (row.regulations, row.chunk_regulations) == (2, 2)

    unnamed = [Chunk(c.doc_id, c.text, c.start, c.end, c.section_path[1:]) for c in chunks]
    row = compare("handbook.txt", doc, unnamed, Reference(COMPILATION, "file"))
    assert (row.articles_labelled, row.regulations, row.chunk_regulations) == (5, 2, 0)


def test_a_text_law_file_counts_its_articles(tmp_path):
    path = samples.write_gbk_text(tmp_path / "waste_sorting_gbk.txt")
    row = file_fidelity(path, PARAMS, Expectation(samples.GBK_TITLE, 4))
    assert row.reference == "file" and row.articles == 4 and row.articles_ok is True
    assert row.title_ok is True and row.kept is not None and row.kept > 0.9


def test_without_a_reference_articles_are_counted_in_the_parsed_text():
    doc = document(LAW)
    row = compare("law.txt", doc, chunk_document(doc, 300, 60, 60), None)
    assert row.articles == 3 and row.articles_from == "parsed" and row.kept is None


# --- compatibility characters, kept, titles -------------------------------------------------------


def test_compatibility_points_of_the_title_and_the_chunks_are_counted():
    doc = document("第\u2f00条 本决定自公布之日起施行。", title="示范市\u2f08\u2f24常委会决定")  # ⼀, ⼈⼤
    row = compare("decision.pdf", doc, span_chunks(doc, (doc.text, ())), Reference("第一条 本决定自公布之日起施行。", "x"))
    assert row.compat == 2 + 1
    assert row.kept == pytest.approx((15 - 1) / 15)  # ⼀ is not the 一 a reader sees


def test_kept_counts_characters_as_a_multiset():
    assert kept_share("甲乙乙丙", "乙甲") == pytest.approx(2 / 4)
    assert kept_share("a | b", "a\nb") == 1.0  # whitespace and table-cell bars are not counted
    assert kept_share("   ", "x") is None


def test_titles_match_apart_from_whitespace_and_book_title_marks():
    doc = document("正文。", title="关于印发《示范市 管理办法》的通知")
    row = compare("notice.html", doc, [], None, Expectation(title="关于印发示范市管理办法的通知"))
    assert row.title_ok is True
    row = compare("notice.html", doc, [], None, Expectation(title="示范市管理办法"))
    assert row.title_ok is False and row.expected_title == "示范市管理办法"


# --- references ---------------------------------------------------------------------------------


def test_the_html_reference_is_the_visible_body_and_kept_is_reversed(tmp_path):
    path = samples.write_html(tmp_path / "notice.html")
    reference = extract_reference(path)
    assert reference.source == "html body"
    assert samples.HTML_NAV[0] in reference.text and samples.HTML_FOOTER in reference.text
    assert samples.HTML_SCRIPT not in reference.text and "font-family" not in reference.text
    row = file_fidelity(path, PARAMS)
    assert row.kept_reversed and row.kept is not None
    assert row.reference_chars > row.chars  # the navigation and footer were dropped


def test_without_libreoffice_the_docx_reference_is_the_document_xml_text(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "eval.libreoffice", None)  # importing it raises ImportError
    path = samples.write_docx(tmp_path / "plan.docx", samples.DOCX_BLOCKS)
    reference = extract_reference(path)
    assert reference.source == "document.xml" and "eval.libreoffice" in reference.note
    lines = reference.text.splitlines()
    assert lines[0] == samples.DOCX_TITLE and "市商务局" in lines


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_the_docx_reference_is_libreoffice_text_with_word_numbering(tmp_path):
    path = samples.write_docx(tmp_path / "plan.docx", samples.DOCX_BLOCKS)
    reference = extract_reference(path)
    assert reference.source == "libreoffice"
    numbered = [line.strip() for line in reference.text.splitlines() if "摸清底数" in line]
    assert numbered == ["1. 摸清底数，建立改造项目库。"]  # the label Word draws, absent from document.xml


def test_references_can_be_turned_off(tmp_path):
    path = samples.write_gbk_text(tmp_path / "rules.txt")
    row = file_fidelity(path, FidelityParams(reference=ReferenceMode.none))
    assert row.reference == "" and row.kept is None and row.reference_note == "references off"
    assert row.articles == 4 and row.articles_from == "parsed"


# --- batches, errors, the report and the command ---------------------------------------------------


def test_a_failing_file_gets_an_error_row_and_the_batch_goes_on(tmp_path, monkeypatch):
    folder = tmp_path / "docs"
    folder.mkdir()
    samples.write_corrupt_pdf(folder / "corrupt.pdf")
    (folder / "empty.txt").write_bytes(b"")
    samples.write_gbk_text(folder / "rules.txt")
    (folder / "README.md").write_text("# 说明\n", encoding="utf-8")  # ignored, as ingest ignores it
    rows = fidelity_report([folder], FidelityParams(ignore=("README*",)))
    assert [row.file for row in rows] == ["corrupt.pdf", "empty.txt", "rules.txt"]
    assert "corrupt" in rows[0].error and "empty" in rows[1].error and rows[2].error == ""
    assert rows[2].chunks > 0

    def crash(*args, **kwargs):
        raise RuntimeError("chunker bug")

    monkeypatch.setattr("eval.fidelity.chunk_document", crash)
    row = file_fidelity(folder / "rules.txt", PARAMS)
    assert "chunking failed" in row.error and "chunker bug" in row.error and row.title == samples.GBK_TITLE
    assert "ERROR: " in to_markdown([row])


def test_expectations_file_is_checked(tmp_path):
    path = tmp_path / "expected.json"
    path.write_text(json.dumps({"_comment": "read by hand", "a.pdf": {"title": "甲", "articles": 3}},
                               ensure_ascii=False), encoding="utf-8")
    assert load_expectations(path) == {"a.pdf": Expectation("甲", 3)}
    for bad in ('{"a.pdf": {"titel": "甲"}}', '{"a.pdf": {"articles": "3"}}', "[1]", "{"):
        path.write_text(bad, encoding="utf-8")
        with pytest.raises(ValueError):
            load_expectations(path)


def test_the_command_prints_the_table_and_writes_markdown_and_json(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    samples.write_gbk_text(folder / "waste_sorting_gbk.txt")
    samples.write_html(folder / "green_space_notice.html")
    samples.write_corrupt_pdf(folder / "corrupt.pdf")
    expected = tmp_path / "expected.json"
    expected.write_text(json.dumps({"waste_sorting_gbk.txt": {"title": samples.GBK_TITLE, "articles": 4}},
                                   ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "report" / "fidelity.md"
    runner = CliRunner()
    base = ["--kb", str(tmp_path / "kb"), "eval", "ingest", str(folder)]

    result = runner.invoke(app, [*base, "--expect", str(expected), "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "3 files, 1 failed" in result.output and "corrupt" in result.output
    report = out.read_text(encoding="utf-8")
    assert report.startswith("# Ingest fidelity") and f"policykb eval ingest {folder}" in report
    row = next(line for line in report.splitlines() if line.startswith("| waste_sorting_gbk.txt |"))
    assert f"| {samples.GBK_TITLE} | ✓ |" in row and "4/4" in row and "exp 4 ✓" in row
    assert "ERROR: corrupt.pdf" in report and not (tmp_path / "kb").exists()  # no base is made

    result = runner.invoke(app, [*base, "--json", "--reference", "none"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    rows = {row["file"]: row for row in json.loads(result.stdout)}
    assert set(rows) == {"corrupt.pdf", "green_space_notice.html", "waste_sorting_gbk.txt"}
    assert rows["waste_sorting_gbk.txt"]["reference_note"] == "references off"

    result = runner.invoke(app, [*base, "--reference", "sometimes"])
    assert result.exit_code == 2 and "auto or none" in result.output
