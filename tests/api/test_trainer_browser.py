"""The trainers' page at / in real headless Chromium against the live server over corpus/.

Search with highlighting, filters, picking passages, glossary terms and catalogue rows,
keeping the selection across a reload, and exporting Word and Markdown handouts through
the buttons. Screenshots go to test-output/screenshots/ (git-ignored) for a person to look at.
"""

from __future__ import annotations

from pathlib import Path

import docx
import pytest

from tests.api.conftest import SCREENSHOTS, WAIT_MS, needs_chromium
from tests.conftest import REPO, WUQING

STATIC = REPO / "api" / "static"
TITLE = "五清专题学习"

pytestmark = needs_chromium


@pytest.fixture
def open_page(browser, live_server):
    """open_page(width, height) -> the trainer page in a fresh context; fails on JavaScript errors."""
    contexts, errors = [], []

    def factory(width: int = 1440, height: int = 1000):
        context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN", accept_downloads=True)
        context.set_default_timeout(WAIT_MS)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(live_server + "/")
        return page

    yield factory
    for context in contexts:
        context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def search(page, query: str) -> None:
    from playwright.sync_api import expect

    page.get_by_label("检索词").fill(query)
    page.get_by_label("检索词").press("Enter")
    expect(page.locator("#search-status")).to_contain_text("共找到")


def all_cites_contain(page, text: str) -> None:
    """Wait until the results are all cited from `text` (a filter was applied): a passage's citation
    names its section, a table row shows its path beside a citation naming its document and row."""
    page.wait_for_function(
        """text => { const hits = [...document.querySelectorAll('#results .hit')];
                     return hits.length > 0 && hits.every(h => h.textContent.includes(text)); }""",
        arg=text,
    )


def test_search_select_and_export_a_handout(open_page, api_kb, tmp_path):
    from playwright.sync_api import expect

    page = open_page()
    search(page, "五清")
    marks = page.locator("#results mark")
    expect(marks.first).to_be_visible()
    assert set(marks.all_text_contents()) == {"五清"}

    # filter by unit: only rows of 清廉村居 are left; then back to everything
    page.get_by_label("单元 / 大类").select_option("清廉村居")
    all_cites_contain(page, "清廉村居")
    page.get_by_label("单元 / 大类").select_option("")
    expect(page.locator("#results .hit .badge", has_text="文本").first).to_be_visible()

    # a passage of the article from the results
    passage = page.locator("#results .hit").filter(has=page.locator(".badge", has_text="文本")).filter(
        has_text="五清").first
    passage_label = passage.locator(".cite").text_content()
    passage.get_by_role("checkbox", name="加入讲义").check()

    # the term 五清 from the glossary
    page.get_by_label("筛选术语").fill("五清")
    term = page.locator("#glossary-list .term").filter(has=page.locator(".term-name", has_text="五清"))
    term.get_by_role("checkbox", name="加入讲义").check()

    # 清廉村居 > 村务清爽 > 三公开 from the catalogue tree
    page.get_by_role("tab", name="标准目录").click()
    village = page.locator("#catalogue-tree details", has=page.locator("summary", has_text="清廉村居"))
    if village.get_attribute("open") is None:
        village.locator("summary").click()
    village.get_by_role("checkbox", name="三公开", exact=True).check()

    expect(page.locator("#selection-count")).to_have_text("3")
    page.get_by_label("讲义标题").fill(TITLE)

    # the selection survives a reload (sessionStorage), and the boxes show it
    page.reload()
    expect(page.locator("#selection-count")).to_have_text("3")
    expect(page.get_by_label("讲义标题")).to_have_value(TITLE)
    expect(page.locator("#selection-groups")).to_contain_text(passage_label)
    expect(page.locator("#selection-groups")).to_contain_text("清廉村居 > 村务清爽 > 三公开")
    expect(page.locator("#results mark").first).to_be_visible()  # the last search is run again
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "trainer-desktop.png"))

    row = next(r for r in api_kb.catalogue() if r.item.path == ("清廉村居", "村务清爽", "三公开"))
    labels = [passage_label, *(r.citation.label() for r in api_kb.glossary("五清")), row.citation.label()]

    with page.expect_download() as download_info:
        page.get_by_role("button", name="导出 Markdown").click()
    download = download_info.value
    assert download.suggested_filename == f"{TITLE}.md"
    markdown = Path(download.path()).read_text(encoding="utf-8")
    assert markdown.startswith(f"# {TITLE}\n")
    for label in labels:
        assert label in markdown
    expect(page.locator("#export-status")).to_contain_text("已导出")

    with page.expect_download() as download_info:
        page.get_by_role("button", name="导出 Word").click()
    download = download_info.value
    assert download.suggested_filename == f"{TITLE}.docx"
    target = tmp_path / "handout.docx"
    download.save_as(target)
    document = docx.Document(str(target))
    assert document.core_properties.title == TITLE
    text = "\n".join(p.text for p in document.paragraphs)
    for label in labels:
        assert f"出处：{label}" in text
    assert "参考答案" in text and "“五清”共包括几项？" in text


def test_removing_and_clearing_the_selection(open_page):
    from playwright.sync_api import expect

    page = open_page()
    page.get_by_label("筛选术语").fill("五清")
    box = page.locator('#glossary-list input[data-key="terms:五清"]')
    box.check()
    expect(page.locator("#selection-count")).to_have_text("1")
    expect(page.get_by_role("button", name="导出 Word")).to_be_enabled()
    page.get_by_role("button", name="移除：五清").click()
    expect(box).not_to_be_checked()
    expect(page.locator("#selection-count")).to_have_text("0")
    expect(page.get_by_role("button", name="导出 Word")).to_be_disabled()
    box.check()
    page.get_by_role("button", name="清空已选").click()
    expect(page.locator("#selection-count")).to_have_text("0")


def test_keyboard_only_use(open_page):
    from playwright.sync_api import expect

    page = open_page()
    page.get_by_label("检索词").focus()
    page.keyboard.type("三公开")
    page.keyboard.press("Enter")
    expect(page.locator("#results mark").first).to_be_visible()
    first_box = page.locator("#results .hit input[type=checkbox]").first
    first_box.focus()
    page.keyboard.press("Space")
    expect(first_box).to_be_checked()
    expect(page.locator("#selection-count")).to_have_text("1")

    glossary_tab = page.get_by_role("tab", name="术语表")
    glossary_tab.focus()
    page.keyboard.press("ArrowRight")
    catalogue_tab = page.get_by_role("tab", name="标准目录")
    expect(catalogue_tab).to_be_focused()
    expect(catalogue_tab).to_have_attribute("aria-selected", "true")
    expect(page.locator("#pane-catalogue")).to_be_visible()
    expect(page.locator("#pane-glossary")).to_be_hidden()


def test_narrow_screen_has_no_sideways_scrolling(open_page):
    from playwright.sync_api import expect

    page = open_page(375, 800)
    search(page, "五清")
    expect(page.locator("#results mark").first).to_be_visible()
    page.locator("#results .hit input[type=checkbox]").first.check()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    expect(page.get_by_role("link", name="已选 1 项")).to_be_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "trainer-mobile.png"))


def test_type_filter_keeps_only_that_type(open_page):
    from playwright.sync_api import expect

    page = open_page()
    page.get_by_label("类型").select_option("catalogue")
    search(page, "村务清爽")
    all_cites_contain(page, "清廉衡阳建设标准化目录")
    expect(page.locator("#results .hit .badge", has_text="文本")).to_have_count(0)


def test_server_text_is_never_inserted_as_html():
    script = (STATIC / "trainer.js").read_text(encoding="utf-8")
    for sink in (".innerHTML", ".outerHTML", "insertAdjacentHTML", "document.write"):
        assert sink not in script


def test_an_off_topic_query_says_nothing_close_was_found(open_page):
    from playwright.sync_api import expect

    page = open_page()
    page.get_by_label("检索词").fill("周末带孩子去哪里钓鱼比较好")
    page.get_by_label("检索词").press("Enter")
    status = page.locator("#search-status")
    expect(status).to_contain_text("没有找到与“周末带孩子去哪里钓鱼比较好”相近的内容")
    expect(status).not_to_contain_text("共找到")
    # the weaker hits are shown, under a heading that says they are not close
    expect(page.get_by_role("heading", name="与检索词不相近的结果", exact=False)).to_be_visible()
    expect(page.locator("#results .result-group-weak .hit").first).to_be_visible()
    expect(page.locator("#results .result-group-passages, #results .result-group-entries")).to_have_count(0)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "trainer-nothing-close.png"))


def test_a_catalogue_unit_shows_the_passage_that_explains_it_on_the_first_page(open_page):
    from playwright.sync_api import expect

    page = open_page()
    search(page, "清廉村居")
    passages = page.locator("#results .result-group-passages")
    expect(passages.get_by_role("heading", name="正文段落", exact=False)).to_be_visible()
    expect(passages.locator(".hit", has_text=WUQING).first).to_be_visible()
    # the unit's rows sit in their own compact group, not in front of every passage
    rows = page.locator("#results .result-group-entries")
    expect(rows.get_by_role("heading", name="目录条目", exact=False)).to_be_visible()
    expect(rows.locator(".hit-entry", has_text="清廉村居 > 村务清爽").first).to_be_visible()
    row_height = rows.locator(".hit-entry").first.bounding_box()["height"]
    passage_height = passages.locator(".hit", has_text=WUQING).first.bounding_box()["height"]
    assert row_height < passage_height
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "trainer-grouped-results.png"), full_page=True)
