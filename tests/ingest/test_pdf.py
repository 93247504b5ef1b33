"""PDF page layout on PDFs the tests draw (tests/samples.py): running headers and page numbers,
printed page labels, radicals, overprinted bold, hard line wraps, titles, and OCR's confidences."""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest

from ingest.ocr import OcrLine, OcrOptions, OcrPage, lines_from_tsv, navigation_like, strip_chrome
from ingest.parsers import parse_file
from ingest.parsers import pdf as pdf_module
from ingest.parsers.pdf import parse_pdf
from ingest.parsers.pdf_layout import lay_out_pages, page_number_value, title_like, undouble
from ingest.types import Document, ParseError
from tests import samples
from tests.samples import PdfLine

BODY = [
    "第一条 为了规范社区公共服务设施的建设、使用和管理，提升社区服务水平，结合本市实际，制定本办法。",
    "第二条 本办法所称社区公共服务设施，是指为社区居民提供文化、养老、托育和便民服务的场所及其附属设施。",
    "第三条 社区公共服务设施坚持政府主导、社会参与、便民利民、规范管理的原则，由街道办事处组织实施。",
]


def body(page: int) -> list[str]:
    """Three articles that differ from page to page (a page repeating another's lines at its
    edges would look like a running header)."""
    district = "东西南北中"[page % 5]
    return [line.replace("社区", f"{district}区社区", 1) for line in BODY]


def lines_of(doc: Document) -> list[str]:
    return doc.text.split("\n")


def page_texts(doc: Document) -> list[str]:
    return [doc.text[page.start : page.end] for page in doc.pages]


# --- running headers, footers and printed page numbers ----------------------------------------


def test_a_running_header_and_footer_page_numbers_are_dropped_and_the_numbers_become_labels(tmp_path):
    pages = [[f"第{n}章 示范章节", *body(page)] for page, n in enumerate(("一", "二", "三"))]
    path = samples.write_layout_pdf(tmp_path / "gazette.pdf", pages, header="示范市人民政府公报 2024年第3期",
                                    footer="— {page} —", first_page=12)
    doc = parse_pdf(path)
    assert "公报" not in doc.text and "—" not in doc.text
    assert [(page.number, page.label) for page in doc.pages] == [(1, "12"), (2, "13"), (3, "14")]
    first_lines = [text.split("\n")[0] for text in page_texts(doc)]
    assert first_lines == ["第一章 示范章节", "第二章 示范章节", "第三章 示范章节"]
    assert doc.page_at(doc.text.index("第三章")) == 3 and doc.pages[2].shown == "14"


@pytest.mark.parametrize(
    ("edge", "labels"),
    [
        ("- {n} -", ["3", "4", "5"]),
        ("第 {n} 页 共 27 页", ["3", "4", "5"]),  # the page total never counts up
        ("某某学院 2025 学生手册 {n}", ["3", "4", "5"]),  # nor does the year
        ("{n}", ["3", "4", "5"]),  # a lone page number
    ],
)
def test_page_number_shapes_are_dropped_at_either_edge(edge, labels):
    pages = [[edge.format(n=n), *body(n)] if n % 2 else [*body(n), edge.format(n=n)] for n in (3, 4, 5)]
    layout = lay_out_pages(["\n".join(lines) for lines in pages])
    assert list(layout.labels) == labels
    assert list(layout.pages) == ["\n".join(body(n)) for n in (3, 4, 5)]


def test_a_running_header_without_its_page_number_is_kept_as_a_title_candidate():
    layout = lay_out_pages(["\n".join([f"某某学院 2025 学生手册 {n}", *body(n)]) for n in (3, 4, 5)])
    assert layout.running_header == "某某学院 2025 学生手册" and layout.labels == ("3", "4", "5")


def test_a_repeated_line_in_the_middle_of_the_page_stays():
    note = "注：本条所称设施包括室内和室外场所。"
    pages = ["\n".join([*body(n)[:2], note, body(n)[2], "第四条 本办法自发布之日起施行。"]) for n in range(3)]
    assert all(note in text for text in lay_out_pages(pages).pages)


def test_page_number_values():
    numbers = ("—13—", "- 3 -", "第 3 页 共 27 页", "76", "3/27")
    assert [page_number_value(line) for line in numbers] == [13, 3, 3, 76, 3]
    assert [page_number_value(line) for line in ("2024年", "第三条", "共3项", "13 个街道")] == [None] * 4


# --- characters ---------------------------------------------------------------------------------


def test_radical_code_points_are_folded(tmp_path):
    # STSong-Light maps the Kangxi radicals back to themselves, as Chrome's fonts do: the text
    # layer says ⼀⼈⺠ (U+2F00, U+2F08, U+2EA0) where the page shows 一人民.
    path = samples.write_layout_pdf(tmp_path / "chrome.pdf", [["第⼀条 ⼈⺠政府应当加强管理。", *BODY[1:]]])
    doc = parse_pdf(path)
    assert lines_of(doc)[0] == "第一条 人民政府应当加强管理。"


def test_overprinted_bold_comes_out_once(tmp_path):
    pages = [[PdfLine("第一章 总则", overprint=0.3), PdfLine("第二条 设施应当向居民开放。", overprint=0.3),
              *BODY]]
    doc = parse_pdf(samples.write_layout_pdf(tmp_path / "bold.pdf", pages))
    assert lines_of(doc)[:2] == ["第一章 总则", "第二条 设施应当向居民开放。"]
    assert doc.text.count("第一章") == 1


# --- hard line wraps ------------------------------------------------------------------------------


def test_a_wrapped_sentence_is_joined_while_headings_and_list_items_stay_lines(tmp_path):
    lead = ("第五条 街道办事处应当建立设施台账，每季度开展一次安全检查，发现下列情形之一的，"
            "应当及时督促管理单位整改：")
    items = ["（一）消防设施损坏的；", "（二）无障碍通道被占用的；",
             "（三）开放时间、服务项目和投诉电话未按照规定在设施入口处向社会公示，或者设施长期不对社区居民开放的。"]
    pages = [["第二章 管理与维护", lead, *items, "第三章 附则", *BODY]]
    assert len(samples.pdf_line_pieces(lead)) > 1 and len(samples.pdf_line_pieces(items[2])) > 1  # both wrap
    doc = parse_pdf(samples.write_layout_pdf(tmp_path / "wrapped.pdf", pages))
    assert lines_of(doc) == ["第二章 管理与维护", lead, *items, "第三章 附则", *BODY]


def test_a_sentence_running_over_the_page_break_is_joined(tmp_path):
    sentence = ("第四条 市民政部门负责全市社区公共服务设施的统筹管理工作，"
                "区民政部门负责本辖区内社区公共服务设施的监督管理工作，"
                "街道办事处负责具体实施，社区居民委员会协助做好设施的日常管理和使用登记工作。")
    pieces = samples.pdf_line_pieces(sentence)
    assert len(pieces) == 3
    pages = [[*BODY, *pieces[:2]], [pieces[2], "第五条 本办法自发布之日起施行。"]]
    doc = parse_pdf(samples.write_layout_pdf(tmp_path / "runs_on.pdf", pages, footer="- {page} -"))
    assert sentence in lines_of(doc)
    first, second = doc.pages
    assert second.start == first.end  # no line break between the pages
    assert doc.page_at(doc.text.index(pieces[1])) == 1 and doc.page_at(doc.text.index(pieces[2])) == 2


# --- titles ---------------------------------------------------------------------------------------


def test_the_title_comes_from_the_page_not_from_stale_metadata(tmp_path):
    pages = [[PdfLine("示范市社区公共服务设施管理办法", size=18, centred=True), *BODY]]
    path = samples.write_layout_pdf(tmp_path / "stale.pdf", pages, title="法规修改决定电子报备格式标准及示例")
    assert parse_pdf(path).title == "示范市社区公共服务设施管理办法"


def test_the_cover_of_a_promulgation_order_is_not_the_title(tmp_path):
    pages = [[PdfLine("示范市人民政府令", size=18, centred=True), PdfLine("第12号", size=18, centred=True),
              PdfLine("示范市社区公共服务设施管理办法", size=18, centred=True), *BODY]]
    assert parse_pdf(samples.write_layout_pdf(tmp_path / "order.pdf", pages)).title == "示范市社区公共服务设施管理办法"


def test_a_title_wrapped_over_two_display_lines_is_joined_and_a_doubled_one_counted_once(tmp_path):
    title = ["关于印发示范市社区公共服务设施", "管理办法的通知"]
    pages = [[*(PdfLine(line, size=18, centred=True, overprint=0.3) for line in title), *BODY]]
    assert parse_pdf(samples.write_layout_pdf(tmp_path / "wrapped_title.pdf", pages)).title == "".join(title)


def test_metadata_is_the_title_when_the_page_prints_it_in_body_type(tmp_path):
    pages = [["第一章 总则", "示范市社区公共服务设施管理办法", *BODY]]
    path = samples.write_layout_pdf(tmp_path / "agrees.pdf", pages, title="示范市社区公共服务设施管理办法")
    assert parse_pdf(path).title == "示范市社区公共服务设施管理办法"


def test_a_running_header_names_a_handbook_without_metadata_or_display_title(tmp_path):
    pages = [["前言", *body(1)], ["目录", *body(2)], ["第一章 总则", *body(3)]]
    path = samples.write_layout_pdf(tmp_path / "handbook.pdf", pages, header="示范学院 2025 学生手册",
                                    footer="{page}")
    assert parse_pdf(path).title == "示范学院 2025 学生手册"


def test_title_shapes():
    assert title_like("示范市社区公共服务设施管理办法") and not title_like("前言")
    assert not title_like("规范高等学校论文相关指标使用的若干意见》的通知")  # a fragment: 》 without 《
    assert not title_like("本办法自发布之日起施行。")
    assert undouble("管理办法管理办法") == "管理办法" and undouble("管理办法 管理办法") == "管理办法"


# --- failures -------------------------------------------------------------------------------------


def test_a_page_that_fails_to_read_stays_as_an_empty_page(tmp_path, monkeypatch):
    real_read = pdf_module._read_page

    def first_page_breaks(pdf, index, sized):
        if index == 0:
            raise KeyError("/Font")
        return real_read(pdf, index, sized)

    monkeypatch.setattr(pdf_module, "_read_page", first_page_breaks)
    doc = parse_pdf(samples.write_pdf(tmp_path / "rules.pdf", samples.PDF_PAGES))
    assert [(page.number, page.start, page.end) for page in doc.pages] == [(1, 0, 0), (2, 1, len(doc.text))]
    assert doc.text.startswith("\n第二章 管理与维护") and doc.page_at(doc.text.index("第五条")) == 2


def test_a_pdf_whose_pages_all_fail_is_corrupt(tmp_path, monkeypatch):
    def always_breaks(pdf, index, sized):
        raise KeyError("/Font")

    monkeypatch.setattr(pdf_module, "_read_page", always_breaks)
    with pytest.raises(ParseError, match="no page of the PDF could be read"):
        parse_pdf(samples.write_pdf(tmp_path / "rules.pdf", samples.PDF_PAGES))


def test_an_aes_encrypted_pdf_with_an_empty_user_password_opens(tmp_path):
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(samples.pdf_bytes(samples.PDF_PAGES))))
    writer.encrypt(user_password="", owner_password="owner-secret", algorithm="AES-256")
    path = tmp_path / "aes.pdf"
    with path.open("wb") as handle:
        writer.write(handle)
    assert "第八条 本办法自发布之日起施行。" in parse_pdf(path).text


# --- OCR ----------------------------------------------------------------------------------------

TSV_HEADER = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext"


def tsv(*words: tuple[int, int, int, int, float, str]) -> str:
    """A tesseract word table: (line, left, width, height, confidence, text) per word."""
    rows = [f"5\t1\t1\t1\t{line}\t{n}\t{left}\t{100 * line}\t{width}\t{height}\t{conf}\t{text}"
            for n, (line, left, width, height, conf, text) in enumerate(words, start=1)]
    return "\n".join([TSV_HEADER, *rows])


def test_ocr_words_become_lines_with_their_mean_confidence():
    table = tsv((1, 100, 60, 30, 90.0, "第一"), (1, 162, 30, 30, 80.0, "条"), (1, 194, 30, 30, -1, "本"),
                (2, 100, 90, 30, 70.0, "Article"), (2, 200, 20, 30, 60.0, "1"))
    lines, scores = lines_from_tsv(table)
    assert [line.text for line in lines] == ["第一条本", "Article 1"]  # Chinese runs on, Latin keeps a space
    assert lines[0].confidence == (90.0 + 80.0) / 2  # a word scored -1 counts for nothing
    assert scores == [90.0, 80.0, 70.0, 60.0]


def test_ocr_lines_set_far_apart_are_items_of_a_bar():
    table = tsv((1, 100, 60, 30, 95.0, "首页"), (1, 400, 60, 30, 95.0, "新闻"),
                (1, 700, 60, 30, 95.0, "服务"))
    (line,), _ = lines_from_tsv(table)
    assert line.items == 3 and navigation_like(line)


def ocr_line(text: str, confidence: float = 92.0, height: int = 30) -> OcrLine:
    return OcrLine(text, confidence, 100, 0, 1800, height)


def test_a_scanned_web_page_loses_its_navigation_and_footer_but_not_its_text():
    page = OcrPage((
        ocr_line("Languages 微言教育 无障碍浏览"),
        ocr_line("登录|注册"),
        ocr_line("一人了", confidence=12.0),  # a logo read as noise
        ocr_line("当前位置：首页>公开"),
        ocr_line("示范市社区服务设施管理办法", height=44),
        ocr_line("第一条 为了规范社区服务设施的管理，制定本办法。"),
        ocr_line("第二条 本办法自发布之日起施行。"),
        ocr_line("网站声明|网站地图|联系我们"),
        ocr_line("京ICP备00000000号"),
    ))
    (stripped,), dropped = strip_chrome([page])
    assert [line.text for line in stripped.lines] == [
        "示范市社区服务设施管理办法",
        "第一条 为了规范社区服务设施的管理，制定本办法。",
        "第二条 本办法自发布之日起施行。",
    ]
    assert dropped == 6


def test_a_scan_of_paper_keeps_its_signature_lines():
    page = OcrPage((ocr_line("第一条 为了规范管理，制定本办法。"), ocr_line("示范市民政局"),
                    ocr_line("2024年3月1日")))
    assert strip_chrome([page])[0][0] == page


def _tesseract_has_chinese() -> bool:
    if shutil.which("tesseract") is None:
        return False
    listed = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True, check=False)
    return "chi_sim" in listed.stdout.split()


@pytest.mark.skipif(not _tesseract_has_chinese() or samples.cjk_font_file() is None,
                    reason="needs Debian's tesseract-ocr, tesseract-ocr-chi-sim and fonts-noto-cjk")
def test_an_ocr_document_carries_the_mean_word_confidence_and_its_title(tmp_path):
    document = parse_file(samples.write_image_pdf(tmp_path / "扫描件.pdf"), ocr=OcrOptions())
    assert document.ocr and document.ocr_confidence is not None and 50 < document.ocr_confidence <= 100
    assert "档案数字化" in document.title
    assert any(f"{document.ocr_confidence:.0f}" in warning for warning in document.warnings)


def test_pages_that_differ_only_in_their_digits_are_text_not_running_lines(tmp_path):
    pages = [[f"第{n}页正文：示范市社区服务设施应当按照规定开放，方便居民就近使用。", "示范市人民政府公报", f"— {n} —"]
             for n in (1, 2, 3)]
    doc = parse_pdf(samples.write_pdf(tmp_path / "short.pdf", pages))
    assert "第2页正文" in doc.text and "示范市人民政府公报" not in doc.text and "— 2 —" not in doc.text
    assert [page.label for page in doc.pages] == ["1", "2", "3"]


def test_the_issuer_mark_of_a_red_header_is_not_the_title(tmp_path):
    """GB/T 9704 sets the 版头 「XX文件」 larger than anything else; the title is the next display block."""
    from tests.samples import PdfLine

    pages = [[PdfLine("示范市人民政府办公厅文件", size=26, centred=True), PdfLine("示府办〔2024〕7号", centred=True),
              PdfLine("示范市人民政府办公厅关于加强社区服务站管理的通知", size=18, centred=True),
              "各区人民政府，市政府各部门：", "为规范社区服务站管理，现就有关事项通知如下。"]]
    doc = parse_pdf(samples.write_layout_pdf(tmp_path / "red.pdf", pages))
    assert doc.title == "示范市人民政府办公厅关于加强社区服务站管理的通知"
