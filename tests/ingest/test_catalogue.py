"""The catalogue parser on real CSV, XLSX, JSON and YAML files written at test time, and the
committed catalogue derived from the seed article.

Every sample row here is fictional (示范市), written for these tests.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import openpyxl
import pytest
import yaml

from ingest.parsers import PARSERS, parse_file
from ingest.parsers.catalogue import (
    HEADER_ALIASES,
    catalogue_chunks,
    field_for_header,
    parse_catalogue,
    render_item,
)
from ingest.types import CatalogueItem, Document, ParseError

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
SEED = CORPUS / "000_5c55d41fe458c655.txt"
SEED_CATALOGUE = CORPUS / "清廉衡阳建设标准化目录（据新闻报道整理）.csv"

CHINESE_HEADER = ["序号", "一级单元", "二级大类", "三级项目", "标准内容", "问题描述", "牵头部门", "备注"]
# Spreadsheet row numbers: the header is row 1.
CHINESE_ROWS = [
    [
        "1",
        "清廉社区",
        "居务公开",
        "财务公开",
        "每季度公开一次收支",
        "公开不及时",
        "示范市民政局",
        "重点",
    ],  # row 2
    ["2", "", "居务公开", "党务公开", "按月公开", "", "", ""],  # row 3: no unit
    ["", "", "", "", "", "", "", ""],  # row 4: empty, skipped silently
    ["3", "清廉社区", "", "", "", "", "示范市民政局", ""],  # row 5: a department only
    ["4", "清廉企业", "合规经营", "", "", "", "示范市国资委", ""],  # row 6: a level-2 category
]
EXPECTED_WARNINGS = [
    "row 3: missing 一级单元 (unit)",
    "row 5: missing 二级大类, 三级项目, 标准内容 or 问题描述 (category, item, standard or problem)",
]


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8", delimiter: str = ",") -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return path


def write_xlsx(path: Path, sheets: list[tuple[str, list[list[object]]]], title: str | None = None) -> Path:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets:
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    if title:
        workbook.properties.title = title
    workbook.save(path)
    return path


def paths_of(doc: Document) -> list[tuple[str, ...]]:
    return [item.path for item in doc.items]


# --- header aliases -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("一级单元", "unit"),
        ("一级（单元）目录", "unit"),  # the seed's wording 一级(单元)目录, bracketed part removed
        ("（一级）单元", "unit"),  # brackets dropped: 一级单元
        (" Unit ", "unit"),
        ("二级(大类)", "category"),
        ("Category", "category"),
        ("三级项目", "item"),
        ("ITEM", "item"),
        ("标准内容说明", "standard"),
        ("标准内容(standard)", "standard"),
        ("问题详解", "problem"),
        ("Problem Description", "problem"),
        ("牵头 责任 部门", "department"),
        ("Lead_Department", "department"),
        ("＊牵头部门", "department"),  # full-width asterisk marking a required column
        ("备注", None),
        ("依据", None),
    ],
)
def test_header_aliases(header, expected):
    assert field_for_header(header) == expected


def test_every_alias_maps_to_its_own_field():
    for name, aliases in HEADER_ALIASES.items():
        assert [field_for_header(alias) for alias in aliases] == [name] * len(aliases)


# --- CSV --------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk", "gb18030"])
def test_chinese_csv_in_excel_encodings(tmp_path, encoding):
    path = write_csv(tmp_path / "社区目录.csv", [CHINESE_HEADER, *CHINESE_ROWS], encoding=encoding)
    doc = parse_catalogue(path)
    assert doc.kind == "catalogue" and doc.title == "社区目录"
    assert paths_of(doc) == [("清廉社区", "居务公开", "财务公开"), ("清廉企业", "合规经营")]
    assert [item.row for item in doc.items] == [2, 6]
    assert list(doc.warnings) == EXPECTED_WARNINGS
    first, second = doc.items
    assert (first.standard, first.problem, first.department) == (
        "每季度公开一次收支",
        "公开不及时",
        "示范市民政局",
    )
    # unmapped columns, in column order, only where filled
    assert first.extra == (("序号", "1"), ("备注", "重点"))
    assert second.extra == (("序号", "4"),)


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_csv_delimiter_is_sniffed(tmp_path, delimiter):
    rows = [
        ["一级单元", "二级大类", "三级项目", "标准内容"],
        ["清廉社区", "居务公开", "财务公开", "收支, 按季公开"],
    ]
    doc = parse_catalogue(write_csv(tmp_path / "sniff.csv", rows, delimiter=delimiter))
    assert paths_of(doc) == [("清廉社区", "居务公开", "财务公开")]
    assert doc.items[0].standard == "收支, 按季公开"


def test_rendered_text_and_block_offsets(tmp_path):
    path = write_csv(tmp_path / "blocks.csv", [CHINESE_HEADER, *CHINESE_ROWS], encoding="utf-8-sig")
    doc = parse_catalogue(path)
    first_block = (
        "清廉社区 > 居务公开 > 财务公开\n"
        "标准内容：每季度公开一次收支\n"
        "问题描述：公开不及时\n"
        "牵头部门：示范市民政局"
    )
    second_block = "清廉企业 > 合规经营\n牵头部门：示范市国资委"  # empty fields have no line
    assert doc.text == first_block + "\n\n" + second_block + "\n"
    assert [doc.text[item.start : item.end] for item in doc.items] == [first_block, second_block]
    assert (doc.items[1].start, doc.items[1].end) == (
        len(first_block) + 2,
        len(first_block) + 2 + len(second_block),
    )
    assert all(render_item(item) == doc.text[item.start : item.end] for item in doc.items)


def test_catalogue_chunks_carry_path_and_fields(tmp_path):
    path = write_csv(tmp_path / "chunks.csv", [CHINESE_HEADER, *CHINESE_ROWS], encoding="utf-8-sig")
    doc = parse_catalogue(path)
    chunks = catalogue_chunks(doc)
    assert [chunk.section_path for chunk in chunks] == [
        ("清廉社区", "居务公开", "财务公开"),
        ("清廉企业", "合规经营"),
    ]
    assert [chunk.section for chunk in chunks] == ["清廉社区 > 居务公开 > 财务公开", "清廉企业 > 合规经营"]
    assert chunks[0].meta == {
        "row": "2",
        "unit": "清廉社区",
        "category": "居务公开",
        "item": "财务公开",
        "standard": "每季度公开一次收支",
        "problem": "公开不及时",
        "department": "示范市民政局",
    }
    assert chunks[1].meta == {
        "row": "6",
        "unit": "清廉企业",
        "category": "合规经营",
        "department": "示范市国资委",
    }
    for chunk, item in zip(chunks, doc.items, strict=True):
        assert chunk.doc_id == doc.id and chunk.page is None
        assert (chunk.start, chunk.end) == (item.start, item.end)
        assert chunk.text == doc.text[chunk.start : chunk.end]


def test_header_below_a_title_row(tmp_path):
    rows = [
        ["示范市清廉单元建设标准目录"],
        [],
        ["单元", "类别", "项目"],
        ["清廉社区", "居务公开", "财务公开"],
        ["", "居务公开", "党务公开"],
    ]
    doc = parse_catalogue(write_csv(tmp_path / "titled.csv", rows))
    assert doc.title == "示范市清廉单元建设标准目录"
    assert paths_of(doc) == [("清廉社区", "居务公开", "财务公开")]
    assert list(doc.warnings) == ["row 5: missing 一级单元 (unit)"]  # the header is row 3 here


def test_multiline_cell_keeps_record_numbers_and_block_shape(tmp_path):
    rows = [
        ["一级单元", "三级项目", "标准内容"],
        ["清廉社区", "财务公开", "第一段\r\n\r\n\r\n第二段"],  # row 2, spans several lines in the file
        ["", "党务公开", ""],  # row 3
    ]
    doc = parse_catalogue(write_csv(tmp_path / "multiline.csv", rows))
    assert doc.items[0].standard == "第一段\n第二段"  # no blank line inside a block
    assert doc.text == "清廉社区 > 财务公开\n标准内容：第一段\n第二段\n"
    assert list(doc.warnings) == ["row 3: missing 一级单元 (unit)"]


def test_second_column_for_the_same_field_is_kept_as_extra(tmp_path):
    rows = [["一级单元", "二级大类", "标准内容", "标准"], ["清廉社区", "居务公开", "按季公开", "旧标准"]]
    doc = parse_catalogue(write_csv(tmp_path / "twice.csv", rows))
    assert doc.items[0].standard == "按季公开"
    assert doc.items[0].extra == (("标准", "旧标准"),)
    assert list(doc.warnings) == [
        "row 1: column '标准' is another standard column after '标准内容'; kept as an extra column"
    ]


def test_a_table_without_catalogue_columns_is_read_as_a_register(tmp_path):
    # Not refused any more (a register of records under its own headers: tests/ingest/test_register.py)
    doc = parse_file(write_csv(tmp_path / "budget.csv", [["科目", "金额"], ["办公费", "1200"]]))
    assert (doc.kind, doc.items, doc.text) == ("register", (), "科目：办公费\n金额：1200\n")
    assert [record.row for record in doc.records] == [2]


def test_header_with_only_a_category_column_is_a_register(tmp_path):
    path = write_csv(tmp_path / "categories.csv", [["二级大类", "标准内容"], ["居务公开", "按季公开"]])
    assert parse_catalogue(path).kind == "register"  # no unit column: no catalogue row could be kept


def test_json_without_catalogue_fields_is_refused_naming_the_aliases(tmp_path):
    path = tmp_path / "budget.json"
    path.write_text('[{"科目": "办公费", "金额": 1200}]', encoding="utf-8")
    with pytest.raises(ParseError) as error:
        parse_file(path)
    assert "一级单元" in str(error.value)


def test_zero_valid_rows_lists_the_first_warnings(tmp_path):
    rows = [["一级单元", "二级大类", "三级项目"]] + [["", "居务公开", f"项目{n}"] for n in range(2, 7)]
    with pytest.raises(ParseError) as error:
        parse_file(write_csv(tmp_path / "norows.csv", rows))
    assert str(error.value) == (
        "norows.csv: no catalogue rows: row 2: missing 一级单元 (unit); row 3: missing 一级单元 (unit); "
        "row 4: missing 一级单元 (unit) (+2 more)"
    )


def test_header_only_has_no_rows(tmp_path):
    with pytest.raises(ParseError, match=r"header\.csv: no catalogue rows below the header"):
        parse_file(write_csv(tmp_path / "header.csv", [["一级单元", "三级项目"], [], []]))


# --- XLSX -------------------------------------------------------------------------------------


def test_xlsx_first_sheet_with_a_header_merged_cells_and_numbers(tmp_path):
    notes = [["说明"], ["本表为示例"]]
    catalogue = [
        ["示范市清廉单元建设标准目录"],  # row 1: title, merged across A1:E1
        [None],  # row 2: empty
        ["一级单元", "二级大类", "三级项目", "标准内容", "分值"],  # row 3: header
        ["清廉社区", "居务公开", "财务公开", "每季度公开", 5],  # row 4
        [None, None, "党务公开", "每月公开", 2.5],  # row 5: A4:A5 and B4:B5 merged
        [None, "合规经营", None, None, 3.0],  # row 6: A4:A6 merged; B6:C6 merged across columns
        [None, None, None, None, None],  # row 7: empty
        [None, None, "无单元项目", None, None],  # row 8: no unit
    ]
    path = tmp_path / "workbook.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.title = "说明"
    for row in notes:
        workbook.active.append(row)
    sheet = workbook.create_sheet("清廉社区")
    for row in catalogue:
        sheet.append(row)
    sheet.merge_cells("A1:E1")
    sheet.merge_cells("A4:A6")
    sheet.merge_cells("B4:B5")
    sheet.merge_cells("B6:C6")  # one value spanning two columns: the item stays empty
    workbook.save(path)

    doc = parse_file(path)
    assert doc.kind == "catalogue"
    assert doc.title == "示范市清廉单元建设标准目录"  # the title row above the header
    assert paths_of(doc) == [
        ("清廉社区", "居务公开", "财务公开"),
        ("清廉社区", "居务公开", "党务公开"),
        ("清廉社区", "合规经营"),
    ]
    assert [item.row for item in doc.items] == [4, 5, 6]
    assert [item.extra for item in doc.items] == [(("分值", "5"),), (("分值", "2.5"),), (("分值", "3"),)]
    assert list(doc.warnings) == ["row 8: missing 一级单元 (unit)"]


def test_xlsx_title_from_workbook_property_then_sheet_name(tmp_path):
    rows = [["Unit", "Item"], ["清廉社区", "财务公开"]]
    titled = write_xlsx(tmp_path / "a.xlsx", [("Sheet1", rows)], title="示范市目录")
    named = write_xlsx(tmp_path / "b.xlsx", [("清廉社区标准", rows)])
    default = write_xlsx(tmp_path / "c.xlsx", [("Sheet1", rows)])
    assert [parse_file(path).title for path in (titled, named, default)] == [
        "示范市目录",
        "清廉社区标准",
        "c",
    ]


def test_xlsx_without_a_catalogue_header_is_a_register(tmp_path):
    path = write_xlsx(tmp_path / "plain.xlsx", [("Sheet1", [["科目", "金额"], ["办公费", 1200]])])
    doc = parse_file(path)
    assert doc.kind == "register" and "科目：办公费" in doc.text


def test_an_empty_workbook_is_refused(tmp_path):
    path = write_xlsx(tmp_path / "empty.xlsx", [("Sheet1", [])])
    with pytest.raises(ParseError, match=r"^empty\.xlsx: "):
        parse_file(path)


def test_file_that_is_no_workbook(tmp_path):
    path = tmp_path / "fake.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a spreadsheet")
    with pytest.raises(ParseError, match=r"^fake\.xlsx: "):
        parse_file(path)


# --- JSON and YAML ---------------------------------------------------------------------------


ENGLISH_ROWS = [
    {
        "Unit": "Clean Community",
        "Category": "Open Affairs",
        "Item": "Finance",
        "Standard": "Publish quarterly",
        "Problem description": "Late publication",
        "Lead department": "Civil Affairs Bureau",
        "Score": 5,
    },
    {"Unit": "Clean Community", "Category": "", "Item": ""},
    {},
    {"Unit": "Clean Enterprise", "Category": "Compliance", "Notes": ["a", "b"]},
]


def test_json_list_with_english_keys(tmp_path):
    path = tmp_path / "english.json"
    path.write_text(json.dumps(ENGLISH_ROWS), encoding="utf-8")
    doc = parse_file(path)
    assert doc.title == "english"
    assert paths_of(doc) == [
        ("Clean Community", "Open Affairs", "Finance"),
        ("Clean Enterprise", "Compliance"),
    ]
    assert [item.row for item in doc.items] == [1, 4]  # 1-based positions in the list
    first = doc.items[0]
    assert (first.standard, first.problem, first.department) == (
        "Publish quarterly",
        "Late publication",
        "Civil Affairs Bureau",
    )
    assert first.extra == (("Score", "5"),)
    assert doc.items[1].extra == (("Notes", "a、b"),)
    assert list(doc.warnings) == [
        "row 2: missing 二级大类, 三级项目, 标准内容 or 问题描述 (category, item, standard or problem)"
    ]


def test_json_object_with_title_and_items(tmp_path):
    data = {
        "title": "示范市目录",
        "items": [{"一级单元": "清廉社区", "三级项目": "财务公开", "牵头部门": "示范市民政局"}],
    }
    path = tmp_path / "titled.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8-sig")
    doc = parse_file(path)
    assert doc.title == "示范市目录"
    assert doc.text == "清廉社区 > 财务公开\n牵头部门：示范市民政局\n"


@pytest.mark.parametrize("suffix", [".yaml", ".yml"])
def test_yaml_items_with_chinese_keys(tmp_path, suffix):
    text = (
        "title: 示范市清廉社区目录\n"
        "items:\n"
        "  - 一级单元: 清廉社区\n"
        "    二级大类: 居务公开\n"
        "    三级项目: 财务公开\n"
        "    问题描述: 公开不及时\n"
        "    分值: 5\n"
        "  - 一级单元: 清廉社区\n"  # row 2: nothing below the unit
        "  - 二级大类: 居务公开\n"  # row 3: no unit, no item
        "    三级项目: 党务公开\n"
    )
    path = tmp_path / f"community{suffix}"
    path.write_text(text, encoding="utf-8")
    doc = parse_file(path)
    assert doc.title == "示范市清廉社区目录"
    assert paths_of(doc) == [("清廉社区", "居务公开", "财务公开")]
    assert doc.items[0].extra == (("分值", "5"),)
    assert list(doc.warnings) == [
        "row 2: missing 二级大类, 三级项目, 标准内容 or 问题描述 (category, item, standard or problem)",
        "row 3: missing 一级单元 (unit)",
    ]


def test_nested_yaml_is_flattened(tmp_path):
    data = {
        "title": "示范市嵌套目录",
        "units": [
            {
                "name": "清廉社区",
                "categories": [
                    {
                        "name": "居务公开",
                        "items": [{"name": "财务公开", "standard": "每季度公开"}, "党务公开"],
                    },
                    {"name": "合规管理"},
                    {
                        "name": "队伍建设",
                        "standard": "定期培训",
                        "items": [{"name": "培训", "牵头部门": "示范市民政局"}],
                    },
                ],
            }
        ],
    }
    path = tmp_path / "nested.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    doc = parse_file(path)
    assert doc.title == "示范市嵌套目录"
    assert paths_of(doc) == [
        ("清廉社区", "居务公开", "财务公开"),
        ("清廉社区", "居务公开", "党务公开"),
        ("清廉社区", "合规管理"),  # a category without items is a row of its own
        ("清廉社区", "队伍建设"),  # … and so is one with fields of its own
        ("清廉社区", "队伍建设", "培训"),
    ]
    assert [item.row for item in doc.items] == [1, 2, 3, 4, 5]
    assert [(item.standard, item.department) for item in doc.items] == [
        ("每季度公开", ""),
        ("", ""),
        ("", ""),
        ("定期培训", ""),
        ("", "示范市民政局"),
    ]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("broken.json", "[{", r"broken\.json: not valid JSON \(line 1"),
        ("scalar.json", "42", r"scalar\.json: expected a list of rows"),
        ("keys.json", '{"rows": []}', r"keys\.json: expected a list of rows or an object with an 'items'"),
        (
            "english.json",
            '[{"name": "a", "value": 1}]',
            r"english\.json: no catalogue header found \(columns: 'name', 'value'\)",
        ),
        ("broken.yaml", "items: [a, b\n", r"broken\.yaml: not valid YAML"),
    ],
)
def test_invalid_json_and_yaml(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ParseError, match=message):
        parse_file(path)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".json", ".yaml", ".yml"])
def test_registry_dispatches_catalogue_suffixes(tmp_path, suffix):
    assert PARSERS[suffix] is parse_catalogue
    rows = [["一级单元", "三级项目"], ["清廉社区", "财务公开"]]
    path = tmp_path / f"dispatch{suffix}"
    if suffix == ".csv":
        write_csv(path, rows)
    elif suffix == ".xlsx":
        write_xlsx(path, [("Sheet1", rows)])
    else:
        path.write_text(json.dumps([dict(zip(*rows, strict=True))], ensure_ascii=False), encoding="utf-8")
    doc = parse_file(path)
    assert doc.kind == "catalogue"
    assert doc.items == (
        CatalogueItem(
            "清廉社区", "", "财务公开", row=doc.items[0].row, start=0, end=len("清廉社区 > 财务公开")
        ),
    )


# --- the committed catalogue derived from the seed article ----------------------------------


@pytest.fixture(scope="module")
def seed_catalogue() -> Document:
    return parse_file(SEED_CATALOGUE)


def test_seed_catalogue_parses_without_warnings(seed_catalogue):
    assert seed_catalogue.kind == "catalogue"
    assert seed_catalogue.title == "清廉衡阳建设标准化目录（据新闻报道整理）"
    assert seed_catalogue.warnings == ()
    assert len(seed_catalogue.items) == 20  # 3 清廉机关 + 10 清廉村居 + 6 清廉学校 + 1 清廉医院


def test_seed_catalogue_has_the_five_school_categories(seed_catalogue):
    school = [item for item in seed_catalogue.items if item.unit == "清廉学校" and item.category]
    # Exactly the 5大类 named in the report; their 10 子项目 are not named, so no item is filled.
    assert [item.category for item in school] == ["政治强廉", "干部清廉", "教师守廉", "机制保廉", "文化润廉"]
    assert all(item.item == "" and item.standard == "" and item.problem == "" for item in school)


def test_seed_catalogue_unit_rows_hold_the_problems_the_standards_target(seed_catalogue):
    unit_rows = {item.unit: item.problem for item in seed_catalogue.items if len(item.path) == 1}
    assert unit_rows == {
        "清廉村居": "三资管理问题",
        "清廉学校": "师德师风、学生食堂监管问题",
        "清廉医院": "药品集采、医保基金使用问题",
    }


def test_seed_catalogue_village_paths(seed_catalogue):
    village = [item.path for item in seed_catalogue.items if item.unit == "清廉村居"]
    # the five members of 五清, then the negative list 五无
    categories = ["班子清廉", "村务清爽", "思想清正", "民风清醇", "干群亲清", "五无"]
    assert [path[1] for path in village if len(path) == 2] == categories
    assert [path for path in village if len(path) == 3] == [
        ("清廉村居", "村务清爽", "三公开"),
        ("清廉村居", "村务清爽", "五必晒"),
        ("清廉村居", "村务清爽", "三要"),
    ]
    wuwu = next(item for item in seed_catalogue.items if item.path == ("清廉村居", "五无"))
    assert wuwu.standard == "“五无”负面清单"
    sections = [chunk.section for chunk in catalogue_chunks(seed_catalogue)]
    assert "清廉村居 > 村务清爽 > 三公开" in sections


def test_seed_catalogue_organ_rows(seed_catalogue):
    organ = {item.path: item for item in seed_catalogue.items if item.unit == "清廉机关"}
    assert list(organ) == [("清廉机关", "五好"), ("清廉机关", "四无"), ("清廉机关", "风险防控", "公务用车")]
    # slogans whose members the report does not name: one row each, the report's words as standard
    assert organ[("清廉机关", "五好")].standard == "“五好”标准"
    assert organ[("清廉机关", "四无")].standard == "“四无”负面清单"
    # the report calls this a 问题描述或问题详解 of the 风险防控 类别; the six 不得 are not listed
    assert organ[("清廉机关", "风险防控", "公务用车")].problem == "公务用车做到‘六个不得’"
    assert organ[("清廉机关", "风险防控", "公务用车")].standard == ""


def test_seed_catalogue_quotes_the_report_and_invents_no_department(seed_catalogue):
    seed = SEED.read_text(encoding="utf-8")
    with SEED_CATALOGUE.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["一级单元", "二级大类", "三级项目", "标准内容", "问题描述", "牵头部门", "依据"]
    assert len(rows) == len(seed_catalogue.items)
    for row in rows:
        assert row["依据"] and row["依据"] in seed, row["依据"]
        assert row["牵头部门"] == ""  # the report names no lead department
    # The report speaks of 7 units but names only these four.
    expected_units = ["清廉机关"] * 3 + ["清廉村居"] * 10 + ["清廉学校"] * 6 + ["清廉医院"]
    assert [row["一级单元"] for row in rows] == expected_units
    assert [item.extra[-1][0] for item in seed_catalogue.items] == ["依据"] * len(rows)
