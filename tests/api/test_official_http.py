"""文号, issuers, dates and validity over real HTTP: the documents list, search and ask filters, facets."""

from __future__ import annotations

import httpx
import pytest

from tests.api.conftest import API_KEY, WAIT_MS, needs_chromium

EXPIRED = "示范市人力资源局关于发放培训补贴的通知"
CURRENT = "示范市人力资源局关于发放见习补贴的通知"
EDUCATION = "示范市教育局关于发放助学补贴的通知"


def _titles(body: dict) -> set[str]:
    return {hit["citation"]["title"] for hit in body["hits"]}


def test_documents_list_shows_doc_number_issuer_dates_and_status(official_server):
    response = httpx.get(f"{official_server}/api/v1/kbs/default/documents", headers={"X-API-Key": API_KEY})
    assert response.status_code == 200
    by_title = {d["title"]: d for d in response.json()}
    current = by_title[CURRENT]
    assert (current["doc_number"], current["issuer"], current["issued"], current["effective"]) == (
        "示人社规〔2024〕5号", "示范市人力资源局", "2024-05-06", "2024-06-01")
    assert current["status"] == "有效" and current["expires"] == "2029-05-31"
    assert by_title[EXPIRED]["status"] == "已失效"
    assert by_title["示范劳动法"]["doc_number"] == ""


def test_search_filters_by_issuer_dates_and_in_force(official_server):
    url = f"{official_server}/api/v1/kbs/default/search"
    everything = _titles(httpx.get(url, params={"q": "补贴发放标准", "k": 20}).json())
    assert {CURRENT, EXPIRED, EDUCATION} <= everything
    hr = httpx.get(url, params={"q": "补贴发放标准", "k": 20, "issuer": "示范市人力资源局"}).json()
    assert _titles(hr) == {CURRENT, EXPIRED}
    assert hr["hits"][0]["citation"]["doc_number"].startswith("示人社规")
    dated = httpx.get(url, params={"q": "补贴发放标准", "k": 20, "issued_from": "2023-01-01",
                                   "issued_to": "2023-12-31"}).json()
    assert _titles(dated) == {EDUCATION}
    in_force = _titles(httpx.get(url, params={"q": "补贴发放标准", "k": 20, "in_force": "true"}).json())
    assert EXPIRED not in in_force and CURRENT in in_force


def test_bad_date_filters_get_clear_errors(official_server):
    url = f"{official_server}/api/v1/kbs/default/search"
    reversed_range = httpx.get(url, params={"q": "补贴", "issued_from": "2024-01-01", "issued_to": "2023-01-01"})
    assert reversed_range.status_code == 422
    assert "issued_from 2024-01-01 is after issued_to 2023-01-01" in reversed_range.json()["error"]["message"]
    assert httpx.get(url, params={"q": "补贴", "issued_from": "2024-13-01"}).status_code == 422


def test_ask_takes_the_same_filters_and_answers_named_articles(official_server):
    url = f"{official_server}/api/v1/kbs/default/ask"
    body = httpx.post(url, json={"question": "培训补贴的标准是多少", "in_force": True}).json()
    assert all(c["citation"]["title"] != EXPIRED for c in body["citations"])
    assert all(p["citation"]["title"] != EXPIRED for p in body["passages"])
    article = httpx.post(url, json={"question": "示范劳动法第3条是什么"}).json()
    assert article["kind"] == "article"
    assert article["citations"][0]["citation"]["article"] == 3
    assert article["text"].startswith("第三条")
    only_education = httpx.post(url, json={"question": "补贴标准是多少", "issuer": ["示范市教育局"]}).json()
    assert {c["citation"]["title"] for c in only_education["citations"]} <= {EDUCATION}


def test_facets_offer_issuers_and_the_date_range(official_server):
    facets = httpx.get(f"{official_server}/api/v1/kbs/default/facets").json()
    assert facets["issuers"] == ["示范市人力资源局", "示范市教育局"] or set(facets["issuers"]) >= {
        "示范市人力资源局", "示范市教育局"}
    assert facets["issued"] == {"from": "2018-02-01", "to": "2024-05-06"}


@needs_chromium
def test_trainer_page_filters_by_issuer_and_validity(browser, official_server):
    from playwright.sync_api import expect

    context = browser.new_context(locale="zh-CN")
    context.set_default_timeout(WAIT_MS)
    errors: list[str] = []
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(official_server + "/")
        page.get_by_label("发文机关").select_option("示范市人力资源局")
        page.get_by_label("检索词").fill("补贴发放标准")
        page.get_by_label("检索词").press("Enter")
        expect(page.locator("#search-status")).to_contain_text("共找到")
        cites = page.locator("#results .hit .cite")
        expect(cites.first).to_contain_text("示人社规")
        assert all("人力资源局" in text for text in cites.all_text_contents())
        page.get_by_label("只看现行有效").check()
        page.wait_for_function("""() => { const c = [...document.querySelectorAll('#results .hit .cite')];
            return c.length > 0 && c.every(e => !e.textContent.includes('培训补贴')); }""")
        assert any("见习补贴" in text for text in cites.all_text_contents())
        page.get_by_label("发布日期起").fill("2025-01-01")
        expect(page.locator("#search-status")).to_contain_text("没有找到")
    finally:
        context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"
