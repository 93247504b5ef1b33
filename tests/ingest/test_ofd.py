"""OFD files (GB/T 33190-2016) the tests build: OFD.xml -> Document.xml -> each page's Content.xml,
with text objects placed in millimetres as an OFD producer writes them."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from ingest.parsers import PARSERS, parse_file
from ingest.parsers import ofd as ofd_module
from ingest.parsers.ofd import parse_ofd
from ingest.types import Document, ParseError

NS = "http://www.ofdspec.org/2016"
BODY_SIZE = 5.6  # 三号 (16 pt), the body size of GB/T 9704 official documents, in mm
TITLE_SIZE = 7.8  # 二号 (22 pt), the title size
LEFT = 28.0  # left margin, mm
TOP = 40.0  # baseline of the first line, mm
LINE_STEP = 10.0  # baseline to baseline, mm
PAGE_WIDTH = 210.0

NOTICE_PAGES = [
    [
        ("关于开展示例工作的通知", TITLE_SIZE),
        "各有关单位：",
        "为做好示例工作，现将有关事项通知如下。",
        "第一条 本通知适用于本市示例工作。",
    ],
    [
        "第二条 各单位应当按时报送材料。",
        "第三条 本通知自发布之日起施行。",
    ],
]
NOTICE_PAGE_TEXTS = [
    "关于开展示例工作的通知\n各有关单位：\n为做好示例工作，现将有关事项通知如下。\n第一条 本通知适用于本市示例工作。",
    "第二条 各单位应当按时报送材料。\n第三条 本通知自发布之日起施行。",
]


@dataclass(frozen=True)
class Run:
    """Text drawn from (x, baseline) on the page, one TextObject (or one per character)."""

    text: str
    x: float
    baseline: float
    size: float = BODY_SIZE
    per_char: bool = False  # one TextObject per character, without DeltaX


def runs_of(lines: list, top: float = TOP) -> list[Run]:
    """Lines (text, or (text, size)) as runs down the page; larger type is centred like a title.

    A body line "第一条 ……" is drawn as two runs set a character apart, as producers place
    the article number and its text, rather than with a space character.
    """
    runs: list[Run] = []
    for index, line in enumerate(lines):
        text, size = (line, BODY_SIZE) if isinstance(line, str) else line
        baseline = top + index * LINE_STEP
        if size > BODY_SIZE:
            runs.append(Run(text, (PAGE_WIDTH - size * len(text)) / 2, baseline, size))
        elif " " in text:
            head, tail = text.split(" ", 1)
            runs.append(Run(head, LEFT, baseline, size))
            runs.append(Run(tail, LEFT + size * (len(head) + 1), baseline, size))
        else:
            runs.append(Run(text, LEFT, baseline, size))
    return runs


def text_objects(runs: list[Run], first_id: int = 100) -> str:
    objects: list[str] = []
    next_id = first_id
    for run in runs:
        if run.per_char:
            pieces = [(char, run.x + i * run.size) for i, char in enumerate(run.text)]
        else:
            pieces = [(run.text, run.x)]
        for text, x in pieces:
            width = run.size * len(text)
            # Boundary "x y w h": the box's top-left corner on the page; the TextCode's X and Y
            # (its baseline) are measured from that corner.
            delta = f' DeltaX="g {len(text) - 1} {run.size}"' if len(text) > 1 else ""
            objects.append(
                f'<ofd:TextObject ID="{next_id}" Boundary="{x:.2f} {run.baseline - run.size:.2f} {width:.2f} '
                f'{run.size * 1.2:.2f}" Font="3" Size="{run.size}">'
                f'<ofd:TextCode X="0" Y="{run.size}"{delta}>{text}</ofd:TextCode></ofd:TextObject>'
            )
            next_id += 1
    return "".join(objects)


def content_xml(objects: str, templates: str = "") -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="{NS}">{templates}'
        f'<ofd:Content><ofd:Layer ID="2" Type="Body">{objects}</ofd:Layer></ofd:Content></ofd:Page>'
    )


def build_ofd(
    path: Path,
    pages: list[list[Run]],
    title: str | None = None,
    template: list[Run] | None = None,
    members: dict[str, str | bytes] | None = None,
    omit: tuple[str, ...] = (),
) -> Path:
    """A valid OFD package: OFD.xml names Doc_0/Document.xml, which lists Pages/Page_i/Content.xml.

    Each page is a list of runs written in the order given; `template` is a template page every
    page draws; `members` replaces or adds package members, `omit` leaves some out.
    """
    info_title = f"<ofd:Title>{title}</ofd:Title>" if title is not None else ""
    parts: dict[str, str | bytes] = {
        "OFD.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="{NS}" Version="1.0" DocType="OFD">'
            f"<ofd:DocBody><ofd:DocInfo><ofd:DocID>0c1d2e3f</ofd:DocID>{info_title}"
            "<ofd:CreationDate>2024-01-02</ofd:CreationDate></ofd:DocInfo>"
            "<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>"
        ),
    }
    template_page = '<ofd:TemplatePage ID="5" BaseLoc="Tpls/Tpl_0/Content.xml"/>' if template else ""
    page_list = "".join(
        f'<ofd:Page ID="{10 + i}" BaseLoc="Pages/Page_{i}/Content.xml"/>' for i in range(len(pages))
    )
    parts["Doc_0/Document.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document xmlns:ofd="{NS}"><ofd:CommonData>'
        "<ofd:MaxUnitID>999</ofd:MaxUnitID><ofd:PageArea><ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox>"
        f"</ofd:PageArea><ofd:PublicRes>PublicRes.xml</ofd:PublicRes>{template_page}</ofd:CommonData>"
        f"<ofd:Pages>{page_list}</ofd:Pages></ofd:Document>"
    )
    parts["Doc_0/PublicRes.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8"?><ofd:Res xmlns:ofd="{NS}" BaseLoc="Res"><ofd:Fonts>'
        '<ofd:Font ID="3" FontName="仿宋" FamilyName="仿宋"/></ofd:Fonts></ofd:Res>'
    )
    uses_template = '<ofd:Template TemplateID="5" ZOrder="Background"/>' if template else ""
    for index, runs in enumerate(pages):
        parts[f"Doc_0/Pages/Page_{index}/Content.xml"] = content_xml(text_objects(runs), uses_template)
    if template:
        parts["Doc_0/Tpls/Tpl_0/Content.xml"] = content_xml(text_objects(template, first_id=900))
    parts.update(members or {})
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            if name not in omit:
                archive.writestr(name, data)
    return path


def notice(path: Path, **options) -> Path:
    return build_ofd(path, [runs_of(lines) for lines in NOTICE_PAGES], **options)


def page_texts(doc: Document) -> list[str]:
    return [doc.text[page.start : page.end] for page in doc.pages]


# --- text, pages, order -------------------------------------------------------------------------


def test_two_page_notice_reads_as_its_pages(tmp_path):
    doc = parse_ofd(notice(tmp_path / "notice.ofd"))

    assert doc.kind == "ofd"
    assert doc.source == str(tmp_path / "notice.ofd")
    assert doc.text == NOTICE_PAGE_TEXTS[0] + "\n" + NOTICE_PAGE_TEXTS[1]
    assert [page.number for page in doc.pages] == [1, 2]
    first = len(NOTICE_PAGE_TEXTS[0])
    second = first + 1  # the pages are joined by one "\n"
    assert [(page.start, page.end) for page in doc.pages] == [
        (0, first), (second, second + len(NOTICE_PAGE_TEXTS[1]))
    ]
    assert page_texts(doc) == NOTICE_PAGE_TEXTS
    assert doc.page_at(doc.text.index("第二条")) == 2


def test_text_objects_written_out_of_order_are_read_top_to_bottom_left_to_right(tmp_path):
    in_order = [runs_of(lines) for lines in NOTICE_PAGES]
    # Drawing order is not reading order: the last line first, each article's text before its
    # number, and one line drawn a character per object, shuffled.
    shuffled = [list(reversed(runs)) for runs in in_order]
    # An article number set in another font sits a little lower on the line than its text.
    shuffled[1] = [Run(run.text, run.x, run.baseline + 0.4, run.size) if run.text == "第二条" else run
                   for run in shuffled[1]]
    first_page = shuffled[0]
    spread = [Run(run.text, run.x, run.baseline, run.size, per_char=True) for run in first_page
              if run.text == "各有关单位："]
    first_page[:] = [run for run in first_page if run.text != "各有关单位："]
    objects = text_objects(spread)
    chars = objects.split("</ofd:TextObject>")[:-1]
    scrambled = "".join(chars[i] + "</ofd:TextObject>" for i in (3, 0, 5, 1, 4, 2))
    page_0 = content_xml(scrambled + text_objects(first_page, first_id=200))
    path = build_ofd(tmp_path / "shuffled.ofd", shuffled, members={"Doc_0/Pages/Page_0/Content.xml": page_0})

    assert page_texts(parse_ofd(path)) == NOTICE_PAGE_TEXTS


def test_characters_drawn_twice_for_bold_count_once(tmp_path):
    title = Run("关于开展示例工作的通知", 50.0, TOP, TITLE_SIZE)
    shadow = Run(title.text, title.x + 0.2, title.baseline, TITLE_SIZE)
    body = runs_of(NOTICE_PAGES[0][1:], top=TOP + LINE_STEP)
    path = build_ofd(tmp_path / "bold.ofd", [[title, shadow, *body]])

    assert parse_ofd(path).text.split("\n")[0] == "关于开展示例工作的通知"


def test_hard_line_wraps_are_joined_into_paragraphs(tmp_path):
    paragraphs = [
        "各单位要高度重视示例工作，明确责任分工，细化工作措施，确保各项任务按期完成，取得实效。",
        "各单位要加强沟通协调，及时研究解决工作中遇到的问题，重大事项及时报告，不得拖延。",
        "各单位要认真总结经验做法，形成书面材料，连同相关证明材料一并报送示例工作办公室。",
    ]
    width = 28  # characters a full line holds
    lines = [paragraph[i : i + width] for paragraph in paragraphs for i in range(0, len(paragraph), width)]
    assert len(lines) == 2 * len(paragraphs)  # every paragraph wraps once
    path = build_ofd(tmp_path / "wrapped.ofd", [runs_of(lines)])

    assert parse_ofd(path).text == "\n".join(paragraphs)


def test_template_text_is_drawn_on_the_page_and_page_numbers_become_labels(tmp_path):
    footer_y = TOP + 20 * LINE_STEP
    pages = [
        [*runs_of(NOTICE_PAGES[0]), Run(f"— {number} —", 95.0, footer_y)]
        for number in (1, 2)
    ]
    pages[1] = [*runs_of(NOTICE_PAGES[1]), Run("— 2 —", 95.0, footer_y)]
    # A template drawn under the text of every page: here a note below the last line of text.
    template = [Run("示例单位内部资料", LEFT, TOP + 15 * LINE_STEP)]
    doc = parse_ofd(build_ofd(tmp_path / "template.ofd", pages, template=template))

    assert [page.label for page in doc.pages] == ["1", "2"]
    assert "— 1 —" not in doc.text and "— 2 —" not in doc.text
    # The template line is the same on every page and at its edge: a running line, dropped ...
    assert "示例单位内部资料" not in doc.text
    # ... but on a single page it is text like any other, read in its place (after the body).
    single = parse_ofd(build_ofd(tmp_path / "single.ofd", [runs_of(NOTICE_PAGES[0])], template=template))
    assert single.text == NOTICE_PAGE_TEXTS[0] + "\n示例单位内部资料"


# --- titles -------------------------------------------------------------------------------------


def test_title_is_docinfo_title_when_the_first_page_prints_it(tmp_path):
    # A red-header document: the issuer's mark is set larger than the title.
    lines = [("某某市示例局文件", 9.0), "某示〔2024〕1号", ("关于开展示例工作的通知", TITLE_SIZE),
             *NOTICE_PAGES[0][1:]]
    stated = parse_ofd(build_ofd(tmp_path / "stated.ofd", [runs_of(lines)], title="关于开展示例工作的通知"))
    unstated = parse_ofd(build_ofd(tmp_path / "unstated.ofd", [runs_of(lines)]))

    assert stated.title == "关于开展示例工作的通知"
    assert unstated.title == "关于开展示例工作的通知"  # without DocInfo: the display block after the 版头 mark


def test_stale_or_placeholder_docinfo_title_gives_way_to_the_display_line(tmp_path):
    stale = parse_ofd(notice(tmp_path / "stale.ofd", title="公文模板"))
    placeholder = parse_ofd(notice(tmp_path / "placeholder.ofd", title="untitled"))
    file_name = parse_ofd(notice(tmp_path / "file-name.ofd", title="Microsoft Word - 关于开展示例工作的通知.docx"))

    assert stale.title == placeholder.title == "关于开展示例工作的通知"
    assert file_name.title == "关于开展示例工作的通知"


def test_title_without_docinfo_or_display_type(tmp_path):
    plain = [runs_of(["关于开展示例工作的通知", *NOTICE_PAGES[0][1:]])]
    sentence = [runs_of(NOTICE_PAGES[0][2:])]

    assert parse_ofd(build_ofd(tmp_path / "plain.ofd", plain)).title == "关于开展示例工作的通知"
    assert parse_ofd(build_ofd(tmp_path / "示例文件.ofd", sentence)).title == "示例文件"  # the file stem
    # A placeholder or a sentence in DocInfo is no title, even when nothing else is one.
    assert parse_ofd(build_ofd(tmp_path / "p.ofd", plain, title="untitled")).title == "关于开展示例工作的通知"
    assert parse_ofd(build_ofd(tmp_path / "示例.ofd", sentence, title="现将有关事项通知如下。")).title == "示例"


# --- registration -------------------------------------------------------------------------------


def test_parse_file_dispatches_ofd(tmp_path):
    path = notice(tmp_path / "Notice.OFD")

    assert PARSERS[".ofd"] is parse_ofd
    doc = parse_file(path)
    assert doc.kind == "ofd" and len(doc.pages) == 2


# --- damaged, hostile and empty files -----------------------------------------------------------


def test_not_a_zip(tmp_path):
    path = tmp_path / "fake.ofd"
    path.write_bytes(b"%PDF-1.7 this is no OFD package")
    with pytest.raises(ParseError, match=r"^fake\.ofd: not a valid OFD file \(it is not a ZIP package\)"):
        parse_file(path)


def test_truncated_package(tmp_path):
    data = notice(tmp_path / "whole.ofd").read_bytes()
    path = tmp_path / "cut.ofd"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ParseError, match=r"^cut\.ofd: not a valid OFD file"):
        parse_file(path)


def test_zip_without_ofd_xml(tmp_path):
    path = notice(tmp_path / "rootless.ofd", omit=("OFD.xml",))
    expected = r"^rootless\.ofd: not a valid OFD file \(the package has no OFD\.xml\)"
    with pytest.raises(ParseError, match=expected):
        parse_file(path)


def test_missing_page_content(tmp_path):
    path = notice(tmp_path / "gap.ofd", omit=("Doc_0/Pages/Page_1/Content.xml",))
    with pytest.raises(ParseError, match=r"^gap\.ofd: page 2 \(Doc_0/Pages/Page_1/Content\.xml\) is missing"):
        parse_file(path)


def test_malformed_xml(tmp_path):
    broken = f'<ofd:Page xmlns:ofd="{NS}"><ofd:Content><ofd:Layer><ofd:TextObject>'
    path = notice(tmp_path / "broken.ofd", members={"Doc_0/Pages/Page_0/Content.xml": broken})
    expected = r"^broken\.ofd: page 1 \(Doc_0/Pages/Page_0/Content\.xml\) is not well-formed XML"
    with pytest.raises(ParseError, match=expected):
        parse_file(path)


def test_ofd_without_text(tmp_path):
    # A scanned OFD: its pages hold images and no text objects.
    image = '<ofd:ImageObject ID="7" Boundary="0 0 210 297" ResourceID="8"/>'
    path = notice(tmp_path / "scan.ofd", members={f"Doc_0/Pages/Page_{i}/Content.xml": content_xml(image)
                                                   for i in range(2)})
    with pytest.raises(ParseError, match=r"^scan\.ofd: no text found in the OFD \(2 page\(s\)"):
        parse_ofd(path)


def test_encrypted_ofd_is_refused(tmp_path):
    entry = f'<ofd:Encryptions xmlns:ofd="{NS}"/>'
    path = notice(tmp_path / "sealed.ofd", members={"Encryptions.xml": entry})
    with pytest.raises(ParseError, match=r"^sealed\.ofd: encrypted OFD"):
        parse_file(path)


def test_password_protected_zip_is_refused(tmp_path):
    path = tmp_path / "locked.ofd"
    notice(path)
    data = bytearray(path.read_bytes())
    # Set the "encrypted" flag (bit 0) on every local and central header, as a ZIP tool would.
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = data.find(signature)
        while start != -1:
            data[start + offset] |= 0x01
            start = data.find(signature, start + 4)
    path.write_bytes(bytes(data))
    with pytest.raises(ParseError, match=r"^locked\.ofd: the OFD package is password-protected"):
        parse_file(path)


def test_xml_entities_are_not_expanded(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-FROM-DISK", encoding="utf-8")
    page = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<!DOCTYPE ofd:Page [<!ENTITY disk SYSTEM "{secret.as_uri()}"><!ENTITY a "ENTITY-TEXT">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
        + content_xml(text_objects(runs_of(NOTICE_PAGES[0]))).split("?>", 1)[1].replace(
            "各有关单位：", "各有关单位：&disk;&c;")
    )
    path = notice(tmp_path / "entities.ofd", members={"Doc_0/Pages/Page_0/Content.xml": page})
    doc = parse_ofd(path)

    assert "SECRET-FROM-DISK" not in doc.text and "ENTITY-TEXT" not in doc.text
    assert "第一条 本通知适用于本市示例工作。" in doc.text


def test_inflation_is_capped_while_reading(tmp_path, monkeypatch):
    path = notice(tmp_path / "bomb.ofd")
    whole = sum(info.file_size for info in zipfile.ZipFile(path).infolist())
    monkeypatch.setattr(ofd_module, "MAX_UNCOMPRESSED_BYTES", whole // 2)  # the directory check passes
    with pytest.raises(ParseError, match=r"^bomb\.ofd: refused, the OFD inflates to more than .* zip bomb"):
        parse_ofd(path)
