"""Hostile text inside a real ingested document, answered by the real server, shown by the widget
in Chromium: markup and javascript: links must stay text (the other widget tests fake the answer)."""

from __future__ import annotations

import pytest

from api.app import create_app
from config.settings import Settings
from index.kb import KnowledgeBase
from tests.api.conftest import needs_chromium
from tests.api.test_widget_browser import ask, open_widget, shadow
from tests.live import LiveServer, free_port

pytestmark = needs_chromium

HOSTILE = (
    "示范市政府网站安全管理办法\n\n"
    '第一条 外部链接须经审核<img src=x onerror="window.__pwned=1">后方可发布。\n'
    "第二条 网页不得嵌入未经审核的脚本</script><script>window.__pwned=2</script>。\n"
    '第三条 禁止发布形如<a href="javascript:window.__pwned=3">点击</a>的伪链接。\n'
)


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory, embedder):
    folder = tmp_path_factory.mktemp("hostile")
    (folder / "网站安全.txt").write_text(HOSTILE, "utf-8")
    kb = KnowledgeBase(Settings(kb_dir=folder / "kb"), embedder=embedder)
    kb.ingest([folder / "网站安全.txt"])
    server = LiveServer(create_app(kb.settings, kb), free_port())
    server.start()
    yield server.url
    server.stop()
    kb.close()


def test_hostile_document_text_is_shown_as_text(open_page, hostile_server):
    from playwright.sync_api import expect

    page = open_page()
    page.goto(hostile_server + "/demo")
    open_widget(page)
    body = ask(page, "外部链接发布前要经过审核吗")
    assert body["kind"] == "passage" and "<img" in body["citations"][0]["passage"]
    answer = page.locator(".msg.a").last
    answer.locator(".cite").first.click()
    expect(answer.locator(".passage").first).to_contain_text('<img src=x onerror="window.__pwned=1">')
    ask(page, "网页能否嵌入脚本")
    page.locator(".msg.a").last.locator(".cite").first.click()
    page.wait_for_timeout(300)  # give an injected handler the chance to run
    assert page.evaluate("window.__pwned") is None
    assert shadow(page, "root.querySelectorAll('img, script, a, iframe').length") == 0
    assert page.evaluate("document.querySelectorAll('img, iframe').length") == 0
    assert "</script>" in shadow(page, "root.textContent")
