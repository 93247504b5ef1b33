"""/docs (Swagger UI) and /redoc in real headless Chromium with no way off the machine (#16).

A government intranet reaches no CDN, so the documentation pages must render from the live
server's own files. Chromium resolves one name only, INTRANET, to the live server (so the pages
run as on an intranet host, not on localhost) and no other name at all; every request to another
origin is also aborted and recorded by Playwright. The rendered operations are compared with the
server's own /openapi.json, never with a list of paths written here.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

from tests.api.conftest import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, WAIT_MS, needs_chromium

INTRANET = "policykb.intranet"
METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
DOC_PAGES = ("/docs", "/redoc", "/docs/oauth2-redirect")


def operations(live_server: str) -> list[tuple[str, str]]:
    """(METHOD, path) of every operation in the server's OpenAPI schema."""
    schema = httpx.get(live_server + "/openapi.json", timeout=30).raise_for_status().json()
    return [(method.upper(), path) for path, item in schema["paths"].items() for method in item if method in METHODS]


@pytest.fixture(scope="module")
def intranet(live_server) -> str:
    """The live server's origin under INTRANET."""
    return f"http://{INTRANET}:{urlsplit(live_server).port}"


@pytest.fixture(scope="module")
def offline_browser(playwright):
    rules = f"MAP {INTRANET} 127.0.0.1, MAP * ~NOTFOUND"  # the first matching rule wins
    chromium = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                          args=[*CHROMIUM_ARGS, f"--host-resolver-rules={rules}"])
    yield chromium
    chromium.close()


class OfflinePage:
    """A page that may reach `origin` only; whatever else it asks for is aborted and recorded."""

    def __init__(self, browser, origin: str) -> None:
        self.origin = origin
        self.outside: list[str] = []  # requests to another origin that reached the network layer
        self.refused: list[tuple[str, str]] = []  # (resource type, url) the page's own CSP refused
        self.failed: list[str] = []  # local requests that failed
        self.bad_status: list[str] = []
        self.errors: list[str] = []
        self.context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        self.context.set_default_timeout(WAIT_MS)
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("requestfailed", self._failed)
        self.page.on("response", lambda r: r.status >= 400 and self.bad_status.append(f"{r.status} {r.url}"))

    def _local(self, url: str) -> bool:
        parts = urlsplit(url)
        return parts.scheme in ("data", "blob", "about") or f"{parts.scheme}://{parts.netloc}" == self.origin

    def _route(self, route) -> None:
        if self._local(route.request.url):
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort("blockedbyclient")

    def _failed(self, request) -> None:
        if request.failure == "csp":
            self.refused.append((request.resource_type, request.url))
        elif self._local(request.url):
            self.failed.append(f"{request.url}: {request.failure}")

    def assert_stayed_local(self) -> None:
        assert not self.outside, f"requests that would have left the machine: {self.outside}"
        assert not self.failed, f"local requests that failed: {self.failed}"
        assert not self.bad_status, f"error responses: {self.bad_status}"
        assert not self.errors, f"JavaScript errors on the page: {self.errors}"


@pytest.fixture
def open_offline(offline_browser, intranet):
    opened: list[OfflinePage] = []

    def factory() -> OfflinePage:
        opened.append(OfflinePage(offline_browser, intranet))
        return opened[-1]

    yield factory
    for page in opened:
        page.context.close()


def shown_path(text: str) -> str:
    return text.replace("\u200b", "").strip()  # Swagger UI puts zero-width spaces into long paths


@needs_chromium
def test_swagger_ui_renders_every_operation_and_runs_one_offline(open_offline, intranet, live_server):
    from playwright.sync_api import expect

    expected = operations(live_server)
    assert any(path.endswith("/ask") for _, path in expected), expected
    offline = open_offline()
    page = offline.page
    page.goto(intranet + "/docs")
    expect(page).to_have_title(re.compile("policykb"))
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("policykb")
    blocks = page.locator(".opblock")
    expect(blocks).to_have_count(len(expected))
    methods = [m.strip().upper() for m in page.locator(".opblock .opblock-summary-method").all_inner_texts()]
    paths = [shown_path(p) for p in page.locator(".opblock .opblock-summary-path").all_inner_texts()]
    assert sorted(zip(methods, paths)) == sorted(expected)
    badge = page.evaluate("getComputedStyle(document.querySelector('.opblock-summary-method')).backgroundColor")
    assert badge not in ("rgba(0, 0, 0, 0)", "transparent"), "swagger-ui.css did not apply"

    # Swagger UI works, not only shows: run the liveness operation from the page.
    [health] = [i for i, path in enumerate(paths) if path.endswith("/healthz") and methods[i] == "GET"]
    block = blocks.nth(health)
    block.locator(".opblock-summary").click()
    block.get_by_role("button", name="Try it out").click()
    with page.expect_response(lambda r: urlsplit(r.url).path.endswith("/healthz")) as info:
        block.get_by_role("button", name="Execute").click()
    assert info.value.status == 200
    expect(block.locator(".live-responses-table tr.response .response-col_status")).to_have_text("200")
    expect(block.locator(".live-responses-table tr.response .response-col_description")).to_contain_text('"status": "ok"')

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "docs-offline.png"), full_page=True)
    offline.assert_stayed_local()
    assert not offline.refused, f"Swagger UI asked for outside resources: {offline.refused}"


@needs_chromium
def test_redoc_renders_every_operation_offline(open_offline, intranet, live_server):
    from playwright.sync_api import expect

    expected = operations(live_server)
    offline = open_offline()
    page = offline.page
    page.goto(intranet + "/redoc")
    expect(page).to_have_title(re.compile("policykb"))
    expect(page.locator("h1").first).to_contain_text("policykb")
    # One section per operation, whatever its tags are; the sidebar lists each under its tag.
    expect(page.locator("[data-section-id^='operation/']")).to_have_count(len(expected))
    expect(page.locator("[role=menuitem]").filter(has_text=re.compile(r"\S")).first).to_be_visible()
    offline.assert_stayed_local()
    # ReDoc's bundle always shows Redocly's logo from its CDN; the page's policy refuses it
    # before any request is made, and ReDoc hides the image. Nothing else may be refused.
    assert all(kind == "image" for kind, _ in offline.refused), offline.refused


class _References(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]


@pytest.mark.parametrize("path", DOC_PAGES)
def test_doc_pages_reference_only_the_server(live_server, path):
    page = httpx.get(live_server + path, timeout=30)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    outside = [url for url in re.findall(r"https?://[^\s'\"<>()]+", page.text) if not url.startswith(live_server)]
    assert not outside, f"{path} names outside URLs: {outside}"
    assert "default-src 'self'" in page.headers["content-security-policy"]
    parser = _References()
    parser.feed(page.text)
    for url in parser.urls:  # the stylesheet, the scripts and the icon are all served here
        asset = httpx.get(urljoin(live_server + path, url), timeout=30)
        assert asset.status_code == 200, url
        assert asset.headers["content-type"].split(";")[0] in (
            "text/css", "text/javascript", "application/javascript", "image/png"), url
