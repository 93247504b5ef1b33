"""The embeddable widget in real headless Chromium, against the live server over corpus/.

The widget is always loaded from the live server's /widget.js. Host pages are the server's own
/demo, test pages answered by Playwright on the server's origin, or (for cross-origin embedding)
pages answered under http://portal.example, the origin the live server allows by CORS.
Screenshots go to test-output/screenshots/ (git-ignored) so a person can look at them.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import API_KEY, CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, WAIT_MS, needs_chromium
from tests.conftest import SEED, WUQING

PORTAL = "http://portal.example"  # allowed by the live server's CORS settings (tests/api/conftest.py)
# Chromium blocks a public-looking page (portal.example, answered by Playwright) from reaching a
# loopback server ("private network access"); real deployments serve the API on a public host.
PNA_FEATURES = "BlockInsecurePrivateNetworkRequests,PrivateNetworkAccessSendPreflights,LocalNetworkAccessChecks"
CROSS_ORIGIN_ARGS = [*CHROMIUM_ARGS, f"--disable-features={PNA_FEATURES}"]
TITLE = "清廉建设问答"
HOST = "policykb-widget"

pytestmark = needs_chromium


@pytest.fixture
def open_page(browser):
    """open_page(width, height) -> a page in a fresh context (own sessionStorage); fails on JS errors."""
    contexts, errors = [], []

    def factory(width: int = 1280, height: int = 800):
        context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
        context.set_default_timeout(WAIT_MS)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        return page

    yield factory
    for context in contexts:
        context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def host_page(page, url: str, widget_src: str | None, body: str, style: str = "") -> None:
    """Serve a host page at `url` (intercepted by Playwright) that embeds the widget from widget_src."""
    script = f'<script src="{widget_src}" data-title="{TITLE}" defer></script>' if widget_src else ""
    html = (f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>门户</title>'
            f"<style>{style}</style></head><body>{body}{script}</body></html>")
    page.route(url, lambda route: route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html))
    page.goto(url)


def same_origin_page(page, live_server: str, name: str, body: str, style: str = "", widget: bool = True) -> None:
    """A host page on the live server's origin (a test-only path answered by Playwright)."""
    host_page(page, f"{live_server}/__test-host/{name}.html", f"{live_server}/widget.js" if widget else None,
              body, style)


def shadow(page, script: str):
    """Evaluate `script` (an expression over `root`, the widget's shadow root) in the page."""
    return page.evaluate(f"() => {{ const root = document.querySelector('{HOST}').shadowRoot; return {script}; }}")


def focused_class(page) -> str | None:
    return page.evaluate(f"""() => {{
        const host = document.querySelector('{HOST}');
        if (document.activeElement !== host) return null;
        return host.shadowRoot.activeElement ? host.shadowRoot.activeElement.className : null;
    }}""")


def open_widget(page):
    from playwright.sync_api import expect

    page.locator(".launcher").click()
    expect(page.get_by_role("dialog", name=TITLE)).to_be_visible()


def ask(page, question: str):
    """Type a question, press Enter and wait for the answer; returns the /api/v1/kbs/<base>/ask response body."""
    from playwright.sync_api import expect

    before = page.locator(".msg.a, .msg.error").count()
    with page.expect_response(lambda r: r.url.endswith("/ask") and r.request.method == "POST") as info:
        page.locator(".input").fill(question)
        page.locator(".input").press("Enter")
    expect(page.locator(".msg.a, .msg.error")).to_have_count(before + 1)
    return info.value.json()


def seed_title(api_kb) -> str:
    [record] = [d for d in api_kb.documents() if Path(d.source).name == SEED.name]
    return record.title


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name))


# -- the main flow -------------------------------------------------------------------------------


def test_suggestions_answer_citation_and_feedback(open_page, live_server, api_kb):
    from playwright.sync_api import expect

    page = open_page()
    page.goto(live_server + "/demo")
    open_widget(page)
    suggested = httpx.get(live_server + "/api/v1/kbs/default/suggestions", timeout=30).json()["questions"]
    assert suggested
    expect(page.locator(".suggestion")).to_have_text(suggested[:6])
    assert focused_class(page) == "input"

    body = ask(page, "村居建设的五清是什么")
    answer = page.locator(".msg.a").last
    for item in WUQING.split("、"):
        expect(answer.locator(".text")).to_contain_text(item)
    cites = answer.locator(".cite")
    labels = cites.all_inner_texts()
    assert labels and labels[0].startswith("[1] ")
    title = seed_title(api_kb)
    seed_cites = [i for i, label in enumerate(labels) if title in label or SEED.name in label]
    assert seed_cites, labels

    cite = cites.nth(seed_cites[0])
    passage = answer.locator(".passage").nth(seed_cites[0])
    expect(cite).to_have_attribute("aria-expanded", "false")
    expect(passage).to_be_hidden()
    cite.click()
    expect(cite).to_have_attribute("aria-expanded", "true")
    expect(passage).to_be_visible()
    expect(passage.locator("mark")).to_contain_text("班子清廉")
    screenshot(page, "widget-desktop.png")

    answer.get_by_role("button", name="有帮助", exact=True).click()
    expect(answer.locator(".feedback")).to_contain_text("感谢反馈")
    expect(answer.locator(".vote").first).to_be_disabled()
    expect(answer.locator(".vote").last).to_be_disabled()
    stored = [f for f in api_kb.store.feedback() if f["answer_id"] == body["answer_id"]]
    assert [(f["question"], f["helpful"], f["answer_kind"]) for f in stored] == [
        ("村居建设的五清是什么", True, "glossary")]

    cite.click()
    expect(cite).to_have_attribute("aria-expanded", "false")
    expect(passage).to_be_hidden()


def test_suggested_question_is_asked_on_click(open_page, live_server):
    from playwright.sync_api import expect

    page = open_page()
    page.goto(live_server + "/demo")
    open_widget(page)
    first = page.locator(".suggestion").first
    question = first.inner_text()
    with page.expect_response(lambda r: r.url.endswith("/api/v1/kbs/default/ask")):
        first.click()
    expect(page.locator(".msg.q")).to_have_text([question])
    expect(page.locator(".msg.a")).to_have_count(1)
    expect(page.locator(".suggestion")).to_have_count(0)


def test_abstention_is_shown_as_not_found(open_page, live_server):
    from playwright.sync_api import expect

    page = open_page()
    page.goto(live_server + "/demo")
    open_widget(page)
    body = ask(page, "衡阳市的常住人口是多少")
    assert body["kind"] == "none"
    answer = page.locator(".msg.a").last
    expect(answer).to_have_class("msg a none")
    expect(answer.locator(".none-title")).to_have_text("没有明确答案")
    if body["text"]:
        expect(answer.locator(".text")).to_have_text(body["text"])


def test_errors_are_shown_as_text(open_page, live_server):
    from playwright.sync_api import expect

    page = open_page()
    page.goto(live_server + "/demo")
    open_widget(page)
    page.route("**/api/v1/kbs/default/ask", lambda route: route.fulfill(
        status=503, content_type="application/json",
        body=json.dumps({"error": {"status": 503, "message": "知识库正在维护", "details": None}})))
    ask(page, "村居建设的五清是什么")
    expect(page.locator(".msg.error").last).to_have_text("知识库正在维护")
    page.unroute("**/api/v1/kbs/default/ask")
    page.route("**/api/v1/kbs/default/ask", lambda route: route.abort())
    page.locator(".input").fill("再问一次")
    page.locator(".input").press("Enter")
    expect(page.locator(".msg.error")).to_have_count(2)
    expect(page.locator(".msg.error").last).to_have_text("服务暂时不可用")
    # The server's English messages are for developers: a reader gets a Chinese sentence by status.
    page.unroute("**/api/v1/kbs/default/ask")
    page.route("**/api/v1/kbs/default/ask", lambda route: route.fulfill(
        status=429, content_type="application/json", headers={"Retry-After": "7"},
        body=json.dumps({"error": {"status": 429, "message": "too many requests", "details": None}})))
    page.locator(".input").fill("第三次问")
    page.locator(".input").press("Enter")
    expect(page.locator(".msg.error")).to_have_count(3)
    expect(page.locator(".msg.error").last).to_have_text("提问太频繁了，请7秒后再试。")
    page.locator(".input").fill("   ")  # blank questions are ignored
    page.locator(".input").press("Enter")
    expect(page.locator(".msg.q")).to_have_count(3)


# -- isolation from the host page -----------------------------------------------------------------

HOSTILE_CSS = """
html { font-size: 40px !important; }
* { color: red !important; font-size: 40px !important; display: block !important;
    font-family: serif !important; line-height: 3 !important; margin: 9px !important; padding: 9px !important; }
button { background: lime !important; border: 5px dotted blue !important; border-radius: 0 !important; }
mark { background: black !important; color: white !important; }
policykb-widget, div, p, ol, li, blockquote { position: absolute !important; top: 0 !important;
    left: 0 !important; width: 10px !important; opacity: .5 !important; transform: rotate(10deg) !important; }
"""
HOST_BODY = '<h1>门户</h1><p id="host-p">正文段落</p><button id="host-button" type="button">订阅</button>'
HOST_CSS = "#host-p { color: rgb(1, 2, 3); font-size: 13px; } #host-button { background: rgb(4, 5, 6); color: #fff; }"

WIDGET_STYLES = """(() => {
    const pick = (el, names) => { const s = getComputedStyle(el); return names.map(n => n + '=' + s[n]); };
    const box = el => { const r = el.getBoundingClientRect(); return [r.width, r.height, r.x, r.y].map(Math.round); };
    const q = sel => root.querySelector(sel);
    const names = ['color', 'backgroundColor', 'fontSize', 'fontFamily', 'lineHeight', 'display',
                   'borderTopStyle', 'borderTopLeftRadius', 'paddingTop', 'marginTop', 'opacity', 'transform'];
    return {
        launcher: pick(q('.launcher'), names), launcherBox: box(q('.launcher')),
        panel: pick(q('.panel'), names.concat(['position', 'width'])), panelBox: box(q('.panel')),
        title: pick(q('.title'), names), text: pick(q('.msg.a .text'), names),
        cite: pick(q('.cite'), names), mark: pick(q('mark'), names), input: pick(q('.input'), names),
    };
})()"""


def widget_styles_after_answer(page) -> dict:
    from playwright.sync_api import expect

    open_widget(page)
    ask(page, "村居建设的五清是什么")
    page.locator(".cite").first.click()
    expect(page.locator("mark").first).to_be_visible()
    page.mouse.move(0, 0)  # no hover styles in the comparison
    page.locator(".input").blur()
    return shadow(page, WIDGET_STYLES)


def test_host_css_does_not_restyle_the_widget(open_page, live_server):
    plain = open_page()
    same_origin_page(plain, live_server, "plain", HOST_BODY)
    hostile = open_page()
    same_origin_page(hostile, live_server, "hostile", HOST_BODY, style=HOSTILE_CSS)
    expected = widget_styles_after_answer(plain)
    assert "backgroundColor=rgb(179, 38, 30)" in expected["launcher"]  # the widget's own red
    assert "fontSize=14px" in expected["text"]
    assert widget_styles_after_answer(hostile) == expected


def test_widget_css_does_not_leak_into_the_host(open_page, live_server):
    probe = """(() => ['host-p', 'host-button'].map(id => {
        const s = getComputedStyle(document.getElementById(id));
        return [s.color, s.backgroundColor, s.fontSize, s.fontFamily, s.display, s.outlineStyle, s.boxSizing];
    }))()"""
    without = open_page()
    same_origin_page(without, live_server, "without", HOST_BODY, style=HOST_CSS, widget=False)
    expected = without.evaluate(probe)
    assert expected[0][0] == "rgb(1, 2, 3)" and expected[1][1] == "rgb(4, 5, 6)"
    page = open_page()
    same_origin_page(page, live_server, "with", HOST_BODY, style=HOST_CSS)
    open_widget(page)
    ask(page, "村居建设的五清是什么")
    assert page.evaluate(probe) == expected
    assert page.evaluate("document.styleSheets.length") == 1  # the widget adds no page-level stylesheet


# -- hostile server text ---------------------------------------------------------------------------

IMG = '<img src=x onerror="window.__pwned=1">'
SCRIPT = "</script><script>window.__pwned=2</script>"
JS_URL = "javascript:window.__pwned=3"


def test_server_text_is_rendered_inert(open_page, live_server):
    from playwright.sync_api import expect

    passage = f"前文{IMG}。{SCRIPT}后文"
    fake = {
        "answer_id": "a" * 32, "question": "x", "text": f"{IMG} 与 {SCRIPT} 与 {JS_URL}", "kind": "passage",
        "citations": [{
            "citation": {"doc_id": "d", "title": JS_URL, "source": "x.txt", "kind": "text", "section_path": [],
                         "section": SCRIPT, "page": 1, "row": None, "start": 0, "end": 1,
                         "label": f"{JS_URL} · {IMG} · 第1页"},
            "sentence": IMG, "start": 0, "end": 1, "passage": passage,
            "highlight_start": passage.index(IMG), "highlight_end": passage.index(IMG) + len(IMG),
        }],
        "passages": [],
    }
    page = open_page()
    page.goto(live_server + "/demo")
    page.route("**/api/v1/kbs/default/ask", lambda route: route.fulfill(status=200, content_type="application/json",
                                                         body=json.dumps(fake)))
    open_widget(page)
    ask(page, "<b>问题</b>")
    answer = page.locator(".msg.a").last
    expect(answer.locator(".text")).to_have_text(fake["text"])
    expect(answer.locator(".cite")).to_have_text("[1] " + fake["citations"][0]["citation"]["label"])
    answer.locator(".cite").click()
    expect(answer.locator(".passage")).to_have_text(passage)
    expect(answer.locator(".passage mark")).to_have_text(IMG)
    expect(page.locator(".msg.q").last).to_have_text("<b>问题</b>")
    page.wait_for_timeout(300)  # give an injected onerror handler the chance to run
    assert page.evaluate("window.__pwned") is None
    assert shadow(page, "root.querySelectorAll('img, script, a, b, iframe').length") == 0
    assert page.evaluate("document.querySelectorAll('img, iframe').length") == 0


# -- keyboard, small screens, reload ----------------------------------------------------------------


def test_keyboard_only(open_page, live_server):
    from playwright.sync_api import expect

    page = open_page()
    page.goto(live_server + "/demo")
    page.wait_for_selector(f"{HOST} >> .launcher", state="attached")
    for _ in range(40):
        page.keyboard.press("Tab")
        if focused_class(page) == "launcher":
            break
    assert focused_class(page) == "launcher", "the launcher is not reachable with Tab"
    assert shadow(page, "getComputedStyle(root.querySelector('.launcher')).outlineStyle") != "none"
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name=TITLE)
    expect(dialog).to_be_visible()
    expect(page.locator(".launcher")).to_have_attribute("aria-expanded", "true")
    assert focused_class(page) == "input"

    with page.expect_response(lambda r: r.url.endswith("/api/v1/kbs/default/ask")):
        page.keyboard.type("村居建设的五清是什么")
        page.keyboard.press("Enter")
    expect(page.locator(".msg.a .text")).to_contain_text("班子清廉")

    for _ in range(10):  # back from the input into the conversation
        page.keyboard.press("Shift+Tab")
        if focused_class(page) == "cite":
            break
    assert focused_class(page) == "cite", "citations are not reachable with Tab"
    page.keyboard.press("Enter")
    expect(page.locator(".cite[aria-expanded='true']")).to_have_count(1)

    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(page.locator(".launcher")).to_have_attribute("aria-expanded", "false")
    assert focused_class(page) == "launcher"


def test_fits_a_375px_screen(open_page, live_server):
    from playwright.sync_api import expect

    page = open_page(375, 740)
    page.goto(live_server + "/demo")
    launcher = page.locator(".launcher").bounding_box()
    assert launcher["x"] >= 0 and launcher["x"] + launcher["width"] <= 375
    open_widget(page)
    ask(page, "村居建设的五清是什么")
    page.locator(".cite").first.click()
    expect(page.locator("mark").first).to_be_visible()
    panel = page.get_by_role("dialog", name=TITLE).bounding_box()
    assert panel["x"] >= 0 and panel["x"] + panel["width"] <= 375
    assert panel["y"] >= 0 and panel["y"] + panel["height"] <= 740
    for selector in (".input", ".send", ".close"):
        box = page.locator(selector).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 375 and box["y"] + box["height"] <= 740, selector
    assert shadow(page, "root.querySelector('.log').scrollWidth <= root.querySelector('.log').clientWidth")
    screenshot(page, "widget-375.png")


def test_conversation_survives_a_reload(open_page, live_server):
    from playwright.sync_api import expect

    page = open_page()
    page.goto(live_server + "/demo")
    open_widget(page)
    ask(page, "村居建设的五清是什么")
    page.locator(".cite").first.click()
    page.reload()
    expect(page.get_by_role("dialog", name=TITLE)).to_be_visible()
    expect(page.locator(".msg.q")).to_have_text(["村居建设的五清是什么"])
    expect(page.locator(".msg.a .text")).to_contain_text("班子清廉")
    expect(page.locator(".cite").first).to_have_attribute("aria-expanded", "true")

    page.locator(".close").click()
    page.reload()
    page.wait_for_selector(f"{HOST} >> .launcher", state="attached")
    expect(page.get_by_role("dialog", name=TITLE)).to_be_hidden()
    open_widget(page)
    expect(page.locator(".msg.q")).to_have_count(1)

    other_tab = page.context.new_page()  # sessionStorage belongs to one tab
    other_tab.goto(live_server + "/demo")
    other_tab.locator(".launcher").click()
    expect(other_tab.locator(".msg.q")).to_have_count(0)


def test_embeds_in_a_page_of_another_origin(playwright, live_server, api_kb):
    """On an allowed origin the widget finds its API from its own src; elsewhere CORS stops it."""
    from playwright.sync_api import expect

    chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CROSS_ORIGIN_ARGS)
    try:
        page = chromium.new_page()
        page.set_default_timeout(WAIT_MS)
        host_page(page, PORTAL + "/news/index.html", f"{live_server}/widget.js", HOST_BODY)
        open_widget(page)
        expect(page.locator(".suggestion").first).to_be_visible()
        body = ask(page, "村居建设的五清是什么")
        expect(page.locator(".msg.a .text")).to_have_text(body["text"])
        page.get_by_role("button", name="没有帮助", exact=True).click()
        expect(page.locator(".feedback")).to_contain_text("感谢反馈")
        assert [f["helpful"] for f in api_kb.store.feedback() if f["answer_id"] == body["answer_id"]] == [False]

        elsewhere = chromium.new_page()
        elsewhere.set_default_timeout(WAIT_MS)
        host_page(elsewhere, "http://elsewhere.example/", f"{live_server}/widget.js", HOST_BODY)
        open_widget(elsewhere)
        elsewhere.locator(".input").fill("村居建设的五清是什么")
        elsewhere.locator(".input").press("Enter")
        expect(elsewhere.locator(".msg.error")).to_have_text("服务暂时不可用")
    finally:
        chromium.close()


def test_data_api_overrides_the_api_base(open_page, live_server):
    from playwright.sync_api import expect

    page = open_page()
    page.route(f"{live_server}/gateway/api/v1/kbs/default/suggestions", lambda route: route.fulfill(
        status=200, content_type="application/json", body=json.dumps({"questions": ["经由网关的问题？"]})))
    url = f"{live_server}/__test-host/gateway.html"
    html = (f'<!doctype html><meta charset="utf-8"><body><script src="{live_server}/widget.js" '
            f'data-api="/gateway/" defer></script></body>')
    page.route(url, lambda route: route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html))
    page.goto(url)
    page.locator(".launcher").click()
    expect(page.get_by_role("dialog", name="政策问答")).to_be_visible()  # the default title
    expect(page.locator(".suggestion")).to_have_text(["经由网关的问题？"])


def test_the_question_limit_is_visible_and_a_long_answer_opens_at_its_start(open_page, live_server):
    from playwright.sync_api import expect

    long_text = "。".join(f"第{n}句很长的回答内容用于测试滚动位置" for n in range(60))
    fake = {"answer_id": "x", "question": "问题", "text": long_text, "kind": "passage", "passages": [],
            "citations": [{"citation": {"doc_id": "d", "title": "标题", "source": "x.txt", "kind": "text",
                                        "section_path": [], "section": "", "page": None, "row": None, "start": 0,
                                        "end": 1, "label": f"标题 · {n}"},
                           "sentence": "句", "start": 0, "end": 1, "passage": "句", "highlight_start": 0,
                           "highlight_end": 1} for n in range(8)]}
    page = open_page()
    page.goto(live_server + "/demo")
    page.route("**/api/v1/kbs/default/ask", lambda route: route.fulfill(status=200, content_type="application/json",
                                                         body=json.dumps(fake)))
    open_widget(page)
    counter = page.locator(".counter")
    expect(counter).to_have_text("0/200")
    page.get_by_label("输入问题").fill("问" * 250)  # pasted past the limit: cut, and the counter says so
    expect(counter).to_have_text("200/200")
    expect(counter).to_have_class("counter full")
    page.get_by_label("输入问题").fill("很长的回答会从哪里开始显示")
    expect(counter).to_have_text("13/200")
    page.get_by_label("输入问题").press("Enter")
    answer = page.locator(".msg.a").last
    expect(answer.locator(".text")).to_have_text(long_text)
    expect(counter).to_have_text("0/200")
    # the answer's first line is in view, not its citations at the bottom
    visible = shadow(page, """(() => { const log = root.querySelector('.log');
        const answer = [...log.querySelectorAll('.msg.a')].pop();
        return answer.offsetTop - log.offsetTop >= log.scrollTop
            && answer.offsetTop - log.offsetTop < log.scrollTop + log.clientHeight; })()""")
    assert visible


def test_data_kb_asks_another_base_of_the_server(open_page, live_server):
    """A second base created through the admin API; the widget's data-kb sends questions to it."""
    import time

    headers = {"X-API-Key": API_KEY}
    created = httpx.post(f"{live_server}/api/v1/kbs", json={"name": "widget-county"}, headers=headers, timeout=60)
    assert created.status_code == 201, created.text
    try:
        rule = "乡镇廉情观察员工作细则\n\n第一条 廉情观察员每半年向乡镇纪委报送一次廉情信息。\n"
        files = [("files", ("观察员细则.txt", rule.encode(), "text/plain"))]
        job = httpx.post(f"{live_server}/api/v1/kbs/widget-county/documents", files=files, headers=headers,
                         timeout=60).json()
        deadline = time.monotonic() + 120
        while httpx.get(f"{live_server}/api/v1/kbs/widget-county/jobs/{job['id']}", headers=headers,
                        timeout=10).json()["status"] not in ("done", "failed"):
            assert time.monotonic() < deadline
            time.sleep(0.2)
        page = open_page()
        url = f"{live_server}/__test-host/other-base.html"
        html = ('<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>县门户</title></head><body>'
                f'<script src="{live_server}/widget.js" data-title="{TITLE}" data-kb="widget-county" defer></script>'
                "</body></html>")
        page.route(url, lambda route: route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html))
        page.goto(url)
        with page.expect_response(lambda r: "/api/v1/kbs/widget-county/suggestions" in r.url) as first:
            open_widget(page)
        assert first.value.ok
        body = ask(page, "廉情观察员向谁报送廉情信息")
        assert "乡镇纪委" in body["text"]
        assert {c["citation"]["title"] for c in body["citations"]} == {"乡镇廉情观察员工作细则"}
    finally:
        httpx.delete(f"{live_server}/api/v1/kbs/widget-county", headers=headers, timeout=60)
