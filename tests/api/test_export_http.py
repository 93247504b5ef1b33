"""POST /api/v1/kbs/default/export over real HTTP against the live server built from corpus/."""

from __future__ import annotations

import io
from urllib.parse import quote

import docx
import httpx
import pytest

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TITLE = "五清专题学习"


@pytest.fixture(scope="module")
def selection(api_kb) -> dict:
    """A request body selecting a 五清 passage, the term 五清 and the row 清廉村居 > 村务清爽 > 三公开,
    with the citation labels the handout must show."""
    hit = next(h for h in api_kb.search("五清", k=10) if h.citation.kind != "catalogue" and "五清" in h.chunk.text)
    row = next(r for r in api_kb.catalogue() if r.item.path == ("清廉村居", "村务清爽", "三公开"))
    labels = [hit.citation.label(), *(r.citation.label() for r in api_kb.glossary("五清")), row.citation.label()]
    return {"body": {"title": TITLE, "passages": [hit.chunk.id], "terms": ["五清"], "catalogue": [row.chunk_id]},
            "labels": labels}


def test_docx_export_is_a_word_attachment_with_the_citations(live_server, selection):
    response = httpx.post(f"{live_server}/api/v1/kbs/default/export", json={**selection["body"], "format": "docx"}, timeout=30)
    assert response.status_code == 200
    assert response.headers["content-type"] == DOCX
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert 'filename="handout.docx"' in disposition, "an ASCII fallback for old clients"
    assert f"filename*=UTF-8''{quote(TITLE + '.docx')}" in disposition
    document = docx.Document(io.BytesIO(response.content))
    assert document.core_properties.title == TITLE
    text = "\n".join(p.text for p in document.paragraphs)
    for label in selection["labels"]:
        assert f"出处：{label}" in text
    assert "参考答案" in text and "“三公开”属于哪个清廉单元的哪一大类？" in text


def test_markdown_export_is_utf8_text_with_the_citations(live_server, selection):
    response = httpx.post(f"{live_server}/api/v1/kbs/default/export", json={**selection["body"], "format": "md"}, timeout=30)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/markdown; charset=utf-8"
    assert f"filename*=UTF-8''{quote(TITLE + '.md')}" in response.headers["content-disposition"]
    markdown = response.content.decode("utf-8")
    assert markdown.startswith(f"# {TITLE}\n")
    for label in selection["labels"]:
        assert label in markdown
    assert "## 参考答案" in markdown


def test_ascii_title_keeps_its_name_in_the_fallback(live_server, selection):
    body = {**selection["body"], "title": "Week 3 五清", "format": "md"}
    response = httpx.post(f"{live_server}/api/v1/kbs/default/export", json=body, timeout=30)
    assert response.status_code == 200
    assert 'filename="Week_3.md"' in response.headers["content-disposition"]


def test_empty_selection_is_422_with_a_message(live_server):
    response = httpx.post(f"{live_server}/api/v1/kbs/default/export", json={"title": TITLE, "format": "docx"}, timeout=30)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["status"] == 422
    assert "nothing is selected" in error["message"]


def test_unknown_term_is_422_naming_it(live_server):
    response = httpx.post(f"{live_server}/api/v1/kbs/default/export", json={"terms": ["并不存在的术语"]}, timeout=30)
    assert response.status_code == 422
    assert "并不存在的术语" in response.json()["error"]["message"]


def test_unknown_format_is_422(live_server, selection):
    response = httpx.post(f"{live_server}/api/v1/kbs/default/export", json={**selection["body"], "format": "pdf"}, timeout=30)
    assert response.status_code == 422
    assert "format" in response.json()["error"]["message"]
