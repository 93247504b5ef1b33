"""Registers: CSV and XLSX tables that are not catalogues, read as one record per row.

Every row here is fictional (示范市, 示范区), written for these tests.
"""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest

from ingest.parsers import parse_file
from ingest.parsers.catalogue import parse_catalogue
from ingest.parsers.register import register_chunks, register_document, render_record, title_column
from ingest.types import Document, ParseError, RegisterRow

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
SEED_CATALOGUE = CORPUS / "清廉衡阳建设标准化目录（据新闻报道整理）.csv"

# A register of policy documents: a sequence number, a title, an issuer, a document number,
# a date, a link and an excerpt (multi-line in the second row).
DOCS_HEADER = ["序号", "文件标题", "发文机关", "文号", "发布日期", "出处链接", "摘录"]
DOCS_ROWS = [
    ["1", "示范市公共租赁住房管理办法", "示范市人民政府", "示府规〔2024〕3号", "2024-03-01",
     "https://example.org/a/1.html", "第二条 本办法适用于本市公共租赁住房。"],
    ["2", "示范市就业见习补贴实施细则", "示范市人力资源局", "示人社〔2023〕12号", "2023-07-15",
     "https://example.org/a/2.html", "第一条 见习单位可申请补贴。\n第二条 补贴按月发放。"],
    ["3", "示范区随迁子女入学指引", "示范区教育局", "示教〔2025〕1号", "2025-04-20",
     "https://example.org/a/3.html", "积分入学按分数排名安排学位。"],
]


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8", delimiter: str = ",") -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return path


def blocks(doc: Document) -> list[str]:
    return [doc.text[record.start : record.end] for record in doc.records]


def assert_offsets(doc: Document) -> None:
    """Every record's span is its rendered block, and the blocks are the text, blank-line separated."""
    assert blocks(doc) == [render_record(record.cells) for record in doc.records]
    assert doc.text == "\n\n".join(blocks(doc)) + "\n"


# --- CSV --------------------------------------------------------------------------------------


def test_utf8_bom_csv_register_has_one_record_per_row(tmp_path):
    path = write_csv(tmp_path / "文件登记表.csv", [DOCS_HEADER, *DOCS_ROWS], encoding="utf-8-sig")
    doc = parse_file(path)
    assert doc.kind == "register"
    assert doc.title == "文件登记表"  # no title row: the file name
    assert doc.items == ()
    assert [record.row for record in doc.records] == [2, 3, 4]  # the header is row 1
    assert doc.records[0].cells == tuple(zip(DOCS_HEADER, DOCS_ROWS[0]))
    assert blocks(doc)[0] == (
        "序号：1\n文件标题：示范市公共租赁住房管理办法\n发文机关：示范市人民政府\n文号：示府规〔2024〕3号\n"
        "发布日期：2024-03-01\n出处链接：https://example.org/a/1.html\n摘录：第二条 本办法适用于本市公共租赁住房。"
    )
    assert_offsets(doc)
    assert doc.warnings == ()


def test_gbk_csv_with_multiline_cells_keeps_the_inner_line_breaks(tmp_path):
    rows = [
        ["事项", "办理条件", "备注"],
        ["示范区公租房申请", "一、具有本市户籍；\n二、家庭收入符合标准；\n\n三、无自有住房。", "每季度受理"],
        ["示范区人才公寓", "经认定的人才", ""],
    ]
    doc = parse_file(write_csv(tmp_path / "gbk.csv", rows, encoding="gbk"))
    assert doc.kind == "register"
    # The blank line inside the cell is collapsed, so no block is split in two.
    assert blocks(doc) == [
        "事项：示范区公租房申请\n办理条件：一、具有本市户籍；\n二、家庭收入符合标准；\n三、无自有住房。\n备注：每季度受理",
        "事项：示范区人才公寓\n办理条件：经认定的人才",  # the empty 备注 is left out
    ]
    assert_offsets(doc)


def test_semicolon_delimited_csv(tmp_path):
    rows = [["日期", "任务", "负责人"], ["5月6日", "整理政策文件, 核对文号", "张三"], ["5月7日", "上线测试", "李四"]]
    doc = parse_file(write_csv(tmp_path / "进度.csv", rows, delimiter=";"))
    assert doc.kind == "register"
    assert [record.cells for record in doc.records] == [
        (("日期", "5月6日"), ("任务", "整理政策文件, 核对文号"), ("负责人", "张三")),
        (("日期", "5月7日"), ("任务", "上线测试"), ("负责人", "李四")),
    ]
    assert_offsets(doc)


def test_title_row_empty_columns_rows_duplicates_and_a_trailing_note(tmp_path):
    rows = [
        ["示范区政策咨询台账", "", "", "", "", ""],  # row 1: title
        ["", "", "", "", "", ""],  # row 2: empty
        ["事项", "答复", "", "备注", "备注", ""],  # row 3: header; column 3 nameless, column 6 empty
        ["社保卡补办", "携带身份证到服务大厅办理", "", "当日办结", "免费", ""],  # row 4
        ["", "", "", "", "", ""],  # row 5: empty, skipped
        ["居住证办理", "向社区服务站申请", "窗口3", "", "需预约", ""],  # row 6: a nameless cell
        ["事项", "答复", "", "备注", "备注", ""],  # row 7: the header repeated, skipped
        ["注：以上内容以当年通知为准", "", "", "", "", ""],  # row 8: a note below the table
    ]
    doc = parse_file(write_csv(tmp_path / "台账.csv", rows))
    assert doc.title == "示范区政策咨询台账"
    assert [record.row for record in doc.records] == [4, 6, 8]
    assert [record.cells for record in doc.records] == [
        (("事项", "社保卡补办"), ("答复", "携带身份证到服务大厅办理"), ("备注", "当日办结"), ("备注(2)", "免费")),
        (("事项", "居住证办理"), ("答复", "向社区服务站申请"), ("第3列", "窗口3"), ("备注(2)", "需预约")),
        (("", "注：以上内容以当年通知为准"),),
    ]
    assert blocks(doc)[2] == "注：以上内容以当年通知为准"  # no column name in front of the note
    assert_offsets(doc)


def test_unquoted_delimiter_in_a_cell_is_joined_back_into_its_column(tmp_path):
    # A hand-written CSV: the keyword lists hold the delimiter without quotes, so rows have
    # 1 to 3 cells too many. The surplus belongs to 关键词, the only column where it fits.
    lines = [
        "类别,事项,关键词,说明,联系电话",
        "教育,示范区小学入学,小学,入学,户籍,适龄儿童按地段入读公办小学。,020-1234567",
        "住房,示范区公租房申请,公租房,保障,申请家庭须符合收入和住房条件，按季度受理。,020-7654321",
        "就业,示范区见习补贴,见习,补贴,毕业生,青年,见习单位按月申领补贴。,020-1112223",
        "社保,示范区社保卡补办,社保卡,补办,携带身份证到服务大厅办理。,020-3334445",
    ]
    path = tmp_path / "草稿.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    doc = parse_file(path)
    assert [dict(record.cells)["关键词"] for record in doc.records] == [
        "小学,入学,户籍",
        "公租房,保障",
        "见习,补贴,毕业生,青年",
        "社保卡,补办",
    ]
    assert [dict(record.cells)["联系电话"] for record in doc.records] == [
        "020-1234567", "020-7654321", "020-1112223", "020-3334445",
    ]
    assert doc.records[1].cells[3] == ("说明", "申请家庭须符合收入和住房条件，按季度受理。")
    assert list(doc.warnings) == [
        "rows 2, 3, 4, 5: more cells than the header's 5 columns; the surplus was joined with ',' into "
        "column '关键词' (an unquoted ',' in a cell)"
    ]
    assert_offsets(doc)


def test_surplus_cells_that_fit_no_column_better_stay_unnamed(tmp_path):
    # Two columns of the same shape: joining the surplus into either is as consistent, so
    # nothing is guessed and the cells are kept, under no name.
    path = tmp_path / "ab.csv"
    path.write_text("甲,乙\n一,二,三\n", encoding="utf-8")
    doc = parse_file(path)
    assert doc.records[0].cells == (("甲", "一"), ("乙", "二"), ("第3列", "三"))
    assert "no column could be told apart" in doc.warnings[0]


def test_an_item_column_without_a_unit_column_is_a_register(tmp_path):
    # "项目" names a catalogue item, but no catalogue row can lack its unit: this is a register.
    rows = [["序号", "项目", "负责单位"], ["1", "示范区政务大厅改造", "示范区政务服务中心"]]
    doc = parse_catalogue(write_csv(tmp_path / "项目表.csv", rows))
    assert doc.kind == "register"
    assert doc.records[0].cells == (("序号", "1"), ("项目", "示范区政务大厅改造"), ("负责单位", "示范区政务服务中心"))


def test_a_catalogue_stays_a_catalogue(tmp_path):
    doc = parse_file(SEED_CATALOGUE)
    assert doc.kind == "catalogue"
    assert doc.items and doc.records == ()
    rows = [["一级单元", "二级大类", "三级项目", "标准内容"], ["清廉社区", "居务公开", "财务公开", "每季度公开"]]
    small = parse_file(write_csv(tmp_path / "目录.csv", rows))
    assert small.kind == "catalogue" and small.records == ()
    assert small.items[0].path == ("清廉社区", "居务公开", "财务公开")


def test_a_header_without_rows_is_refused_with_the_columns(tmp_path):
    path = write_csv(tmp_path / "空表.csv", [["序号", "文件标题", "文号"], ["", "", ""], []])
    with pytest.raises(ParseError) as error:
        parse_file(path)
    assert str(error.value) == "空表.csv: no rows below the header (row 1: '序号', '文件标题', '文号')"


def test_rows_without_any_header_shape_are_refused(tmp_path):
    long_text = "本段是一段很长的说明文字，用来测试没有表头的表格，内容超过了列名应有的长度限制。"
    path = write_csv(tmp_path / "无表头.csv", [[long_text, long_text + "二"], [long_text + "三", long_text + "四"]])
    with pytest.raises(ParseError, match=r"^无表头\.csv: no header row found in the first 2 non-empty rows"):
        parse_file(path)


# --- XLSX -------------------------------------------------------------------------------------


def write_xlsx(
    path: Path, rows: list[list[object]], *, sheet: str = "Sheet1", title: str | None = None
) -> Path:
    workbook = openpyxl.Workbook()
    worksheet = workbook.active
    worksheet.title = sheet
    for row in rows:
        worksheet.append(row)
    if title is not None:
        workbook.properties.title = title
    return _save(workbook, path)


def _save(workbook: openpyxl.Workbook, path: Path) -> Path:
    workbook.save(path)
    return path


def test_xlsx_register_with_a_title_row_above_the_header(tmp_path):
    rows = [
        ["示范市政策文件清单"],  # row 1: title, merged across A1:D1
        [None],  # row 2: empty
        ["序号", "文件标题", "发布日期", "页数"],  # row 3: header
        [1, "示范市公共租赁住房管理办法", "2024-03-01", 12],  # row 4
        [2, "示范市就业见习补贴实施细则", None, 3.0],  # row 5
    ]
    path = tmp_path / "清单.xlsx"
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    workbook.active.merge_cells("A1:D1")
    doc = parse_file(_save(workbook, path))
    assert doc.kind == "register"
    assert doc.title == "示范市政策文件清单"
    assert [record.row for record in doc.records] == [4, 5]  # spreadsheet rows
    assert [record.cells for record in doc.records] == [
        (("序号", "1"), ("文件标题", "示范市公共租赁住房管理办法"), ("发布日期", "2024-03-01"), ("页数", "12")),
        (("序号", "2"), ("文件标题", "示范市就业见习补贴实施细则"), ("页数", "3")),
    ]
    assert_offsets(doc)


def test_xlsx_register_title_from_workbook_property_then_sheet_name(tmp_path):
    rows = [["事项", "答复"], ["社保卡补办", "到服务大厅办理"]]
    titled = write_xlsx(tmp_path / "a.xlsx", [["标题行"], *rows], title="示范区咨询台账")
    named = write_xlsx(tmp_path / "b.xlsx", rows, sheet="咨询记录")
    default = write_xlsx(tmp_path / "c.xlsx", rows)
    assert [parse_file(path).title for path in (titled, named, default)] == ["示范区咨询台账", "咨询记录", "c"]


def test_xlsx_register_cells_beyond_the_header_stay_unnamed_columns(tmp_path):
    doc = parse_file(write_xlsx(tmp_path / "extra.xlsx", [["事项", "答复"], ["社保卡补办", "到服务大厅办理", "另见通知"]]))
    assert doc.records[0].cells == (("事项", "社保卡补办"), ("答复", "到服务大厅办理"), ("第3列", "另见通知"))
    assert doc.warnings == ("rows 2: cells beyond the header's 2 columns are kept as unnamed columns",)


def test_xlsx_register_skips_a_sheet_of_notes_before_the_table(tmp_path):
    path = tmp_path / "台账.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.title = "说明"
    for row in (["填表说明"], ["本表为示例"]):
        workbook.active.append(row)
    table = workbook.create_sheet("咨询台账")
    for row in (["事项", "答复"], ["社保卡补办", "到服务大厅办理"]):
        table.append(row)
    doc = parse_file(_save(workbook, path))
    assert doc.title == "咨询台账"
    assert [record.cells for record in doc.records] == [(("事项", "社保卡补办"), ("答复", "到服务大厅办理"))]
    assert doc.warnings == ("sheets '说明' not read: a register is read from one sheet ('咨询台账')",)


def test_xlsx_without_cells_is_refused(tmp_path):
    with pytest.raises(ParseError, match=r"^blank\.xlsx: no filled cells on any sheet$"):
        parse_file(write_xlsx(tmp_path / "blank.xlsx", []))


# --- chunks -----------------------------------------------------------------------------------


def test_register_chunks_cite_rows_under_the_title_column(tmp_path):
    doc = parse_file(write_csv(tmp_path / "文件.csv", [DOCS_HEADER, *DOCS_ROWS]))
    # 序号 is numbers, 发文机关 would qualify but comes later, 文号 is a code, the rest are
    # dates, links and sentences: 文件标题 is the title column.
    assert title_column(doc.records) == "文件标题"
    chunks = register_chunks(doc, max_chars=1000)
    assert [chunk.meta for chunk in chunks] == [{"row": "2"}, {"row": "3"}, {"row": "4"}]
    assert [chunk.section_path for chunk in chunks] == [(row[1],) for row in DOCS_ROWS]
    assert [chunk.text for chunk in chunks] == blocks(doc)
    assert all(doc.text[chunk.start : chunk.end] == chunk.text and chunk.doc_id == doc.id for chunk in chunks)
    assert all(chunk.context == "" and chunk.page is None for chunk in chunks)


def test_title_column_is_chosen_by_shape_not_by_position_alone():
    def records(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[RegisterRow]:
        return [RegisterRow(row=n, cells=tuple(zip(header, row))) for n, row in enumerate(rows, start=2)]

    # 类别 repeats, so it names no record; 事项 does.
    assert title_column(records(("类别", "事项", "说明", "电话"), [
        ("教育", "小学入学", "按地段入学。", "020-1"),
        ("教育", "初中入学", "电脑派位。", "020-2"),
        ("住房", "公租房申请", "按季度受理。", "020-3"),
        ("住房", "人才公寓", "经认定的人才。", "020-4"),
        ("就业", "见习补贴", "按月申领。", "020-5"),
    ])) == "事项"
    # Two columns qualify: the one named 名称 wins over the earlier one.
    assert title_column(records(("编码", "项目名称", "地点", "负责人"), [
        ("A类", "政务大厅改造", "一楼", "张三"),
        ("B类", "档案数字化", "二楼", "李四"),
    ])) == "项目名称"
    # Only dates, sentences and lists in the left half: no title column.
    assert title_column(records(("日期", "任务", "负责人", "风险"), [
        ("5月6日", "整理文件;核对文号", "张三", "资料不全"),
        ("5月7日", "上线测试;修复问题", "李四", "时间紧"),
    ])) is None


def test_register_without_a_title_column_has_no_section_path(tmp_path):
    rows = [["日期", "任务", "负责人"], ["5月6日", "整理文件;核对文号", "张三"], ["5月7日", "上线测试;修复问题", "李四"]]
    doc = parse_file(write_csv(tmp_path / "进度.csv", rows))
    chunks = register_chunks(doc, max_chars=300)
    assert [chunk.section_path for chunk in chunks] == [(), ()]
    assert [chunk.meta["row"] for chunk in chunks] == ["2", "3"]


def test_a_long_row_is_split_at_lines_and_sentences_keeping_row_and_section(tmp_path):
    sentence = "申请家庭应当符合本市规定的收入和财产标准。"  # 21 characters
    excerpt = "\n".join(f"第{n}条 " + sentence * 4 for n in range(1, 5))  # 4 lines of 88 characters
    rows = [DOCS_HEADER, [*DOCS_ROWS[0][:6], excerpt], DOCS_ROWS[2][:2]]
    doc = parse_file(write_csv(tmp_path / "长行.csv", rows))
    long_block = blocks(doc)[0]
    chunks = register_chunks(doc, max_chars=80)
    first = [chunk for chunk in chunks if chunk.meta == {"row": "2"}]
    assert len(first) > 1
    assert all(len(chunk.text) <= 80 for chunk in first)
    assert all(doc.text[chunk.start : chunk.end] == chunk.text for chunk in first)
    assert {chunk.section_path for chunk in first} == {("示范市公共租赁住房管理办法",)}
    # The pieces cover the whole block, in order, losing only the line breaks between them.
    assert "".join(chunk.text for chunk in first).replace("\n", "") == long_block.replace("\n", "")
    assert [chunk.start for chunk in first] == sorted(chunk.start for chunk in first)
    # Every chunk starts a line or a sentence: the cuts fall after a line break or a 。
    assert all(doc.text[chunk.start - 1] in "\n。" for chunk in first[1:])
    assert any(doc.text[chunk.start - 1] == "。" for chunk in first)  # an 88-character line was cut
    # The short row is one chunk.
    assert [chunk.text for chunk in chunks if chunk.meta == {"row": "3"}] == ["序号：3\n文件标题：示范区随迁子女入学指引"]


def test_register_chunks_need_a_positive_size(tmp_path):
    doc = parse_file(write_csv(tmp_path / "文件.csv", [DOCS_HEADER, *DOCS_ROWS]))
    with pytest.raises(ValueError, match="max_chars must be at least 1"):
        register_chunks(doc, max_chars=0)


def test_register_document_from_rows_directly(tmp_path):
    rows = [(1, ["名称", "说明"]), (2, ["示范区办事指南", "一份指南"]), (3, ["", ""])]
    doc = register_document(rows, tmp_path / "指南.csv", title="示范区指南", warnings=("row 9: kept",))
    assert (doc.kind, doc.title, doc.source) == ("register", "示范区指南", str(tmp_path / "指南.csv"))
    block = "名称：示范区办事指南\n说明：一份指南"
    assert doc.records == (
        RegisterRow(row=2, cells=(("名称", "示范区办事指南"), ("说明", "一份指南")), start=0, end=len(block)),
    )
    assert doc.text == "名称：示范区办事指南\n说明：一份指南\n"
    assert doc.warnings == ("row 9: kept",)
