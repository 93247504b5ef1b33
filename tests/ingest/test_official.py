"""Official-document fields (文号, issuing body, dates, validity) read from generated documents of each layout."""

from __future__ import annotations

import pytest

from ingest.official import (
    doc_number_key,
    find_doc_numbers,
    normalise_doc_number,
    parse_date,
    read_official,
    same_doc_number,
)
from ingest.parsers import parse_file
from ingest.types import OfficialMeta
from tests import samples

# A 红头 notice as GB/T 9704 lays it out: the issuing body's mark, the 发文字号, title, addressee,
# body, signature and 成文日期, then the 版记 with the print date. (Made-up bodies and numbers.)
RED_HEADER = [
    "示范市人民政府办公厅文件",
    "示府办〔2024〕7号",
    "示范市人民政府办公厅关于加强社区服务站管理的通知",
    "各区人民政府，市政府各部门：",
    "为规范社区服务站管理，根据《示范市社区服务条例》（示范市人民政府令第3号）等规定，现就有关事项通知如下。",
    "一、各区应于每年三月前完成服务站年度检查。",
    "二、本通知自2024年6月1日起施行，有效期3年。",
    "示范市人民政府办公厅",
    "2024年5月6日",
    "示范市人民政府办公厅秘书处 2024年5月8日印发",
]

# A promulgation order (令) in front of the rules it promulgates.
ORDER = [
    ("paragraph", "示范市人民政府令"),
    ("paragraph", "第 12 号"),
    ("paragraph", "《示范市停车场管理办法》已经2023年3月1日市人民政府第5次常务会议通过，现予公布，自2023年5月1日起施行。"),
    ("paragraph", "市长　王某"),
    ("paragraph", "二〇二三年三月十日"),
    ("heading", 1, "示范市停车场管理办法"),
    ("paragraph", "第一条 为了加强停车场管理，制定本办法。"),
    ("paragraph", "第二条 本办法适用于本市行政区域内的停车场。"),
    ("paragraph", "第三条 本办法自2023年5月1日起施行。"),
]

# A covering notice (印发通知) that signs before the document it issues, without a 文号.
NOTICE = [
    ("heading", 0, "示范市教育局关于印发《示范市课后服务工作指引》的通知"),
    ("paragraph", "各中小学："),
    ("paragraph", "现将《示范市课后服务工作指引》印发给你们，请遵照执行。"),
    ("paragraph", "示范市教育局"),
    ("paragraph", "2022年 8月 25 日"),
    ("heading", 1, "示范市课后服务工作指引"),
    ("paragraph", "一、课后服务每天不少于两小时。"),
    ("paragraph", "二、本指引自发布之日起施行。"),
]


def test_red_header_pdf(tmp_path):
    doc = parse_file(samples.write_pdf(tmp_path / "红头.pdf", [RED_HEADER]))
    assert doc.official == OfficialMeta(
        doc_number="示府办〔2024〕7号",
        issuer="示范市人民政府办公厅",
        issued="2024-05-06",  # the 成文日期 under the signature, not the print date
        effective="2024-06-01",
        expires="2027-05-31",  # 有效期3年 from 2024-06-01
    )
    assert doc.official.status_on("2026-12-02") == "有效"
    assert doc.official.status_on("2027-06-01") == "已失效"
    assert doc.official.status_on("2024-05-20") == "尚未施行"


def test_order_docx(tmp_path):
    doc = parse_file(samples.write_docx(tmp_path / "令.docx", ORDER))
    official = doc.official
    assert (official.doc_number, official.issuer) == ("示范市人民政府令第12号", "示范市人民政府")
    assert official.issued == "2023-03-10"  # the order's date, written in Chinese numerals
    assert official.effective == "2023-05-01"  # the order and the rules' last article agree
    assert official.expires == ""


def test_covering_notice_signs_the_document_and_relative_dates_take_the_issue_date(tmp_path):
    doc = parse_file(samples.write_docx(tmp_path / "通知.docx", NOTICE))
    official = doc.official
    assert official.doc_number == ""  # none is written; the 《指引》 named in the title is no 文号
    assert official.issuer == "示范市教育局"
    assert (official.issued, official.effective) == ("2022-08-25", "2022-08-25")  # 自发布之日起


def test_web_page_with_labelled_fields(tmp_path):
    article = "\n".join([
        "<h1>示范市医疗保障局关于调整门诊报销比例的通知</h1>",
        "<p>发文机关：示范市医疗保障局　　成文日期：2021-03-01　　文号：示医保规字[2021]2号</p>",
        "<p>时效性：已废止</p>",
        "<p>各定点医疗机构：为减轻参保人负担，现将门诊报销比例调整为百分之六十。</p>",
        "<p>本通知自2021年4月1日起施行，有效期2年。</p>",
    ])
    doc = parse_file(samples.write_gov_page(tmp_path / "page.html", article=article))
    official = doc.official
    assert official.doc_number == "示医保规字〔2021〕2号"  # [2021] stored as 〔2021〕
    assert (official.issuer, official.issued) == ("示范市医疗保障局", "2021-03-01")
    assert (official.effective, official.expires, official.status) == ("2021-04-01", "2023-03-31", "废止")
    assert official.status_on("2022-01-01") == "已废止"  # the page says so, whatever the dates


def test_a_doc_number_quoted_in_a_sentence_names_another_document():
    text = ("示范市社区服务站管理办法\n第一条 根据《示范市社区服务条例》（示府〔2019〕3号），制定本办法。\n"
            "第二条 本办法自《示范市社区服务条例》施行之日起施行。\n第三条 《示范市旧办法》自2020年1月1日起施行。")
    official = read_official(text, "示范市社区服务站管理办法")
    assert official.doc_number == ""
    assert official.effective == ""  # the only dated statement is about another document


def test_a_compilation_states_no_dates_of_its_own():
    text = "\n".join([
        "学生手册", "甲规定", "第一条 总则。", "第二条 本规定自2017年9月1日起施行。", "教务处", "2017年8月1日",
        "乙办法", "第一条 总则。", "第二条 本办法自2019年3月1日起施行。", "学生处", "2019年2月1日",
    ])
    assert read_official(text, "学生手册") == OfficialMeta()


def test_a_relative_print_date_needs_the_print_line():
    body = "示范市就业见习管理办法\n第一条 为规范就业见习，制定本办法。\n第九条 本办法自印发之日起施行，有效期5年。\n示范市人力资源和社会保障局\n2019年10月9日"
    assert read_official(body, "示范市就业见习管理办法").effective == ""  # the signature is not the print date
    printed = read_official(body + "\n示范市人力资源和社会保障局办公室 2019年10月12日印发", "示范市就业见习管理办法")
    assert (printed.effective, printed.expires) == ("2019-10-12", "2024-10-11")


def test_a_law_note_gives_the_adoption_date_and_body():
    text = ("中华人民共和国示范法\n（2007年6月29日第十届全国人民代表大会常务委员会第二十八次会议通过）\n"
            "第一条 为了示范，制定本法。\n第二条 本法自 2008 年 1 月 1 日起施行。")
    official = read_official(text, "中华人民共和国示范法")
    assert (official.issuer, official.issued, official.effective) == (
        "全国人民代表大会常务委员会", "2007-06-29", "2008-01-01")


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        ("1994年2月26日 中华人民共和国国务院令第149号发布",
         OfficialMeta("中华人民共和国国务院令第149号", "中华人民共和国国务院", "1994-02-26")),
        ("1986年11月8日 国务院批准\n1986年12月1日 交通部发布", OfficialMeta(issuer="交通部", issued="1986-12-01")),
        ("2017年5月22日 由最高人民法院审判委员会第1718次会议通过\n2022年2月15日 施行",
         OfficialMeta(issuer="最高人民法院审判委员会", issued="2017-05-22", effective="2022-02-15")),
        ("2022年2月25日 中共中央、国务院发布", OfficialMeta(issuer="中共中央、国务院", issued="2022-02-25")),
        ("1982年12月4日 全国人民代表大会公告公布施行",
         OfficialMeta(issuer="全国人民代表大会", issued="1982-12-04", effective="1982-12-04")),
        ("2008年7月14日 经人力资源和社会保障部第6次部务会议通过",
         OfficialMeta(issuer="人力资源和社会保障部", issued="2008-07-14")),
        ("2018年12月5日 国务院第33次常务会议通过\n2019年2月17日 中华人民共和国国务院令第708号公布\n2019年4月1日 施行",
         OfficialMeta("中华人民共和国国务院令第708号", "中华人民共和国国务院", "2019-02-17", "2019-04-01")),
        ("1993年3月29日 中华人民共和国全国人民代表大会公告第八号公布施行",  # published and in force that day
         OfficialMeta(issuer="中华人民共和国全国人民代表大会", issued="1993-03-29", effective="1993-03-29")),
        ("1984年9月20日 第六届全国人民代表大会常务委员会第七次会议通过\n"
         "2001年2月28日 第九届全国人民代表大会常务委员会第二十次会议第一次修订",  # the amendment is no issue
         OfficialMeta(issuer="全国人民代表大会常务委员会", issued="1984-09-20")),
    ],
)
def test_promulgation_lines_under_the_title(head, expected):
    """The lines legal databases print under a law's title (STARD's LawRefBook files have them)."""
    assert read_official(f"# 示范条例\n\n{head}\n\n第一条 为了示范，制定本条例。", "示范条例") == expected


def test_relative_dates_need_a_stated_publication_not_an_adoption():
    text = "# 示范法\n\n2000年12月28日 第九届全国人民代表大会常务委员会第十九次会议通过\n\n第五十五条 本法自公布之日起施行。"
    official = read_official(text, "示范法")
    assert (official.issued, official.effective) == ("2000-12-28", "")  # 通过 is not 公布


def test_only_statements_about_this_document_count():
    text = ("示范条例\n2001年11月16日 示范机关令第321号公布\n"
            "第二十九条 条例应当自公布之日起30日后施行；但是，涉及国家安全的条例，可以自公布之日起施行。\n"
            "第四十条 本条例自2002年1月1日起施行。")
    assert read_official(text, "示范条例").effective == "2002-01-01"


def test_an_effective_date_without_qi():
    text = "示范补贴办法\n第二十三条 本办法自2019年2月1日实施，有效期5年。"
    official = read_official(text, "示范补贴办法")
    assert (official.effective, official.expires) == ("2019-02-01", "2024-01-31")


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("示范市人民银行关于加强终端管理的通知（示银发〔2021〕259号）\n各分支机构：\n现通知如下。", "示银发〔2021〕259号"),
        ("示范银行令〔2025〕第12号（示范客户识别管理办法）\n第一条 为了示范，制定本办法。", "示范银行令〔2025〕第12号"),
        ("示范规定\n**示银发〔2013〕226号**\n各分支机构：", "示银发〔2013〕226号"),  # bold in a Markdown source
        ("示范意见\n中支协发2023】 81 号\n各会员单位：", "中支协发〔2023〕81号"),  # OCR lost a bracket
        ("示范条例\n中华人民共和国国务院令  第737号 《示范条例》已经国务院常务会议通过，现予公布。",
         "中华人民共和国国务院令第737号"),  # the order and its text on one line
        ("- **文号**：示协发〔2023〕34号\n- **发布日期**：2023年3月6日", "示协发〔2023〕34号"),
        ("示范办法\n根据《示范条例》（示府〔2019〕3号）制定。", ""),  # a sentence cites another document
    ],
)
def test_where_a_document_states_its_own_number(text, number):
    assert read_official(text, text.split("\n")[0]).doc_number == number


def test_persons_and_posts_above_the_date_are_no_issuer():
    text = ("示范银行令〔2024〕第4号\n《示范细则》已经审议通过，现予发布，自发布之日起施行。\n"
            "行　长\n2024年7月9日\n示范细则\n第一条 为了示范，制定本细则。")
    official = read_official(text, "示范细则")
    assert (official.issued, official.effective) == ("2024-07-09", "2024-07-09")
    assert official.issuer == "示范银行"  # from the order, not 「行长」
    signed = read_official("示范通知\n各单位：\n现通知如下。\n示范市财政局\n局长 王某某\n2021年3月1日", "示范通知")
    assert signed.issuer == "示范市财政局"


def test_an_item_numbered_clause_is_the_document_speaking():
    text = "示范通知\n各单位：\n（一）本通知自 2022年3月1日起施行。"
    assert read_official(text, "示范通知").effective == "2022-03-01"


def test_an_effective_range_gives_both_ends():
    text = "示范市停车办法\n第二十九条 本办法自2012年2月1日至2017年1月31日施行。"
    official = read_official(text, "示范市停车办法")
    assert (official.effective, official.expires) == ("2012-02-01", "2017-01-31")


def test_a_title_starting_with_guanyu_names_no_issuer():
    assert read_official("关于印发示范方案的通知\n各单位：\n现印发给你们。", "关于印发示范方案的通知").issuer == ""


@pytest.mark.parametrize(
    ("written", "normalised"),
    [
        ("教科技 【2020] 2号", "教科技〔2020〕2号"),  # as OCR reads a scanned notice
        ("穗府办规[2024]13号", "穗府办规〔2024〕13号"),
        ("穗府办规（2024）13号", "穗府办规〔2024〕13号"),
        ("穗府办规〔２０２４〕１３号", "穗府办规〔2024〕13号"),
        ("国办发〔2024〕第38号", "国办发〔2024〕38号"),
        ("国务院令 第 535 号", "国务院令第535号"),
        ("中华人民共和国主席令（第七十三号）", "中华人民共和国主席令第73号"),
    ],
)
def test_doc_numbers_in_every_written_form_normalise_to_one(written, normalised):
    assert normalise_doc_number(written) == normalised
    # in a sentence the words before the agency code cannot be told from it: same_doc_number allows for that
    found = find_doc_numbers(f"根据{written}的规定")[0][2]
    assert found.endswith(normalised) and same_doc_number(found, normalised)


def test_same_doc_number_needs_the_same_year_and_number_and_a_shared_agency_code():
    assert same_doc_number("穗府办规〔2024〕13号", "根据穗府办规〔2024〕13号")
    assert not same_doc_number("穗府办规〔2024〕13号", "穗府办规〔2024〕12号")
    assert not same_doc_number("穗府办规〔2024〕13号", "国办发〔2024〕13号")
    assert same_doc_number("中华人民共和国国务院令第535号", "国务院令第535号")
    assert not same_doc_number("国务院令第535号", "省政府令第535号")


def test_doc_number_key_drops_the_state_name():
    assert doc_number_key("中华人民共和国国务院令第535号") == doc_number_key("国务院令 第535号") == "国务院令第535号"


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2024年7月29日", "2024-07-29"),
        ("二〇二四年七月二十九日", "2024-07-29"),
        ("二○○八年九月十八日", "2008-09-18"),  # the look-alike ○ (U+25CB) typists use for 〇
        ("2024 年 3 月 4 日", "2024-03-04"),
        ("2023-10-19", "2023-10-19"),
        ("2024年2月30日", ""),  # no such day
        ("三月四日", ""),  # no year: not a date a document can be filed by
    ],
)
def test_dates(text, iso):
    assert parse_date(text) == iso
