"""Every route over real HTTP against a live server on a real base built from corpus/."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.api.conftest import API_KEY
from tests.conftest import SEED, WUQING

ADMIN = {"X-API-Key": API_KEY}


@pytest.fixture(scope="module")
def client(live_server):
    with httpx.Client(base_url=live_server, timeout=60) as http:
        yield http


def test_healthz_and_openapi(client):
    health = client.get("/healthz").json()
    assert health["status"] == "ok" and health["documents"] == 2 and health["chunks"] > 0
    schema = client.get("/openapi.json").json()
    routes = {f"/api/v1/kbs/{{base}}/{route}" for route in
              ("search", "ask", "glossary", "catalogue", "documents", "jobs/{job_id}", "feedback")}
    assert routes | {"/api/v1/kbs", "/api/v1/kbs/{base}", "/healthz"} <= set(schema["paths"])


def test_search_returns_cited_hits_and_filters(client):
    body = client.get("/api/v1/kbs/default/search", params={"q": "村居的五清", "k": 3}).json()
    assert body["mode"] == "hybrid" and len(body["hits"]) == 3 and "五清" in body["terms"]
    first = body["hits"][0]
    assert WUQING in first["text"] and first["citation"]["source"] == SEED.name
    assert "/" not in first["citation"]["source"]  # server paths are not exposed
    narrowed = client.get("/api/v1/kbs/default/search", params={"q": "三公开", "kind": "catalogue",
                                                 "section": "清廉村居 > 村务清爽"}).json()
    assert narrowed["hits"] and all(h["citation"]["section"].startswith("清廉村居 > 村务清爽")
                                    for h in narrowed["hits"])



def test_search_groups_result_types_and_says_how_close_each_hit_is(client):
    body = client.get("/api/v1/kbs/default/search", params={"q": "清廉村居"}).json()
    assert body["close"] and body["diversified"]
    assert {h["result_type"] for h in body["hits"]} == {"entry", "passage"}
    least = 0.93  # the default search_min_closeness
    assert all(h["close"] == (h["closeness"] >= least) for h in body["hits"])
    assert any(WUQING in h["text"] for h in body["hits"] if h["result_type"] == "passage")
    plain = client.get("/api/v1/kbs/default/search", params={"q": "清廉村居", "diversify": "false"}).json()
    assert not plain["diversified"] and not any(WUQING in h["text"] for h in plain["hits"])
    assert [h["rank"] for h in plain["hits"]] == list(range(1, 11))


def test_search_says_when_nothing_is_close(client):
    body = client.get("/api/v1/kbs/default/search", params={"q": "周末带孩子去哪里钓鱼比较好"}).json()
    assert body["hits"] and not body["close"]
    assert not any(h["close"] for h in body["hits"])

def test_ask_answers_with_passage_and_highlight(client):
    body = client.post("/api/v1/kbs/default/ask", json={"question": "村居建设的五清是什么"}).json()
    assert body["kind"] == "glossary" and body["answer_id"]
    assert body["text"] == "“五清”指：" + WUQING + "。"
    evidence = body["citations"][0]
    assert evidence["passage"][evidence["highlight_start"] : evidence["highlight_end"]] == evidence["sentence"]
    assert WUQING in evidence["sentence"]
    declined = client.post("/api/v1/kbs/default/ask", json={"question": "衡阳市的常住人口是多少"}).json()
    assert declined["kind"] == "none" and declined["citations"] == []


def test_glossary_catalogue_suggestions_and_facets(client):
    [entry] = [e for e in client.get("/api/v1/kbs/default/glossary", params={"term": "五清"}).json() if e["items"]]
    assert entry["count"] == 5 and entry["citation"]["source"] == SEED.name
    items = client.get("/api/v1/kbs/default/catalogue", params={"unit": "清廉村居"}).json()
    assert ["清廉村居", "村务清爽", "三公开"] in [i["path"] for i in items]
    assert all(i["unit"] == "清廉村居" for i in items)
    questions = client.get("/api/v1/kbs/default/suggestions").json()["questions"]
    assert "“五清”是什么？" in questions and len(questions) <= 6
    facets = client.get("/api/v1/kbs/default/facets").json()
    assert {d["kind"] for d in facets["documents"]} == {"text", "catalogue"}
    assert {"unit": "清廉学校", "categories": ["政治强廉", "干部清廉", "教师守廉", "机制保廉", "文化润廉"]} in facets["units"]


def test_feedback_is_stored_with_its_answer(client, api_kb):
    answer = client.post("/api/v1/kbs/default/ask", json={"question": "清廉学校分哪几类"}).json()
    response = client.post("/api/v1/kbs/default/feedback", json={"answer_id": answer["answer_id"], "question": answer["question"],
                                                  "helpful": True, "comment": "清楚"})
    assert response.status_code == 201
    stored = next(f for f in api_kb.store.feedback() if f["id"] == response.json()["id"])
    assert stored["helpful"] is True and stored["answer_kind"] == "catalogue" and stored["comment"] == "清楚"
    # kept with the answer: the chunks holding the cited sentences (what import-feedback grades)
    stored_texts = [chunk.text for chunk, _ in api_kb.store.chunks(stored["chunk_ids"]).values()]
    assert stored_texts and len(stored_texts) == len(stored["chunk_ids"])
    assert all(any(e["passage"] in text for text in stored_texts) for e in answer["citations"])


def test_errors_are_json_with_a_message(client):
    too_long = client.post("/api/v1/kbs/default/ask", json={"question": "五清" * 150})
    assert too_long.status_code == 422 and "longer than 200" in too_long.json()["error"]["message"]
    empty = client.post("/api/v1/kbs/default/ask", json={"question": ""})
    assert empty.status_code == 422 and empty.json()["error"]["message"].startswith("question")
    bad_mode = client.get("/api/v1/kbs/default/search", params={"q": "五清", "mode": "fuzzy"})
    assert bad_mode.status_code == 422 and bad_mode.json()["error"]["details"]
    assert client.get("/api/v1/kbs/default/search", params={"q": "五清", "k": 0}).status_code == 422
    missing = client.get("/api/v1/kbs/default/nothing-here")
    assert missing.status_code == 404 and missing.json()["error"]["message"]


def test_admin_routes_refuse_missing_or_wrong_keys(client):
    for method, path in (("GET", "/api/v1/kbs/default/documents"), ("POST", "/api/v1/kbs/default/documents"),
                         ("DELETE", "/api/v1/kbs/default/documents/abc"), ("GET", "/api/v1/kbs/default/jobs/abc")):
        assert client.request(method, path).status_code == 401
        wrong = client.request(method, path, headers={"X-API-Key": "not-the-key"})
        assert wrong.status_code == 401 and wrong.json()["error"]["message"] == "wrong API key"


def test_admin_routes_are_off_without_a_configured_key(closed_admin_server):
    response = httpx.get(closed_admin_server + "/api/v1/kbs/default/documents", headers=ADMIN)
    assert response.status_code == 403 and "disabled" in response.json()["error"]["message"]


def test_public_routes_are_read_only(client):
    assert client.post("/api/v1/kbs/default/search", params={"q": "五清"}).status_code == 405
    assert client.delete("/api/v1/kbs/default/glossary").status_code == 405


def test_cors_only_for_allowed_origins(client):
    allowed = client.options("/api/v1/kbs/default/ask", headers={"Origin": "http://portal.example",
                                                  "Access-Control-Request-Method": "POST"})
    assert allowed.headers.get("access-control-allow-origin") == "http://portal.example"
    other = client.options("/api/v1/kbs/default/ask", headers={"Origin": "http://evil.example",
                                                "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in other.headers


def wait_for(client, job_id: str) -> dict:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        job = client.get(f"/api/v1/kbs/default/jobs/{job_id}", headers=ADMIN).json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.2)
    raise AssertionError("the ingest job did not finish")


def test_upload_reports_bad_files_and_ingests_the_good_ones(client):
    files = [
        ("files", ("会议制度.md", "# 会议制度\n\n第一条 每月召开一次廉政例会。\n".encode(), "text/markdown")),
        ("files", ("坏文件.pdf", b"%PDF-1.7 broken", "application/pdf")),
        ("files", ("空文件.txt", b"", "text/plain")),
        ("files", ("表格.xls", b"\xd0\xcf\x11\xe0", "application/vnd.ms-excel")),
        ("files", ("../../逃逸.txt", "第一条 文件名里的路径被去掉。".encode(), "text/plain")),
    ]
    accepted = client.post("/api/v1/kbs/default/documents", files=files, headers=ADMIN)
    assert accepted.status_code == 202
    job = wait_for(client, accepted.json()["id"])
    assert job["status"] == "done" and job["files_done"] == 5
    by_file = {r["file"]: r for r in job["results"]}
    assert by_file["会议制度.md"]["status"] == "added"
    assert by_file["逃逸.txt"]["status"] == "added"
    assert by_file["坏文件.pdf"]["status"] == "failed" and by_file["坏文件.pdf"]["message"]
    assert by_file["空文件.txt"]["status"] == "failed" and "empty" in by_file["空文件.txt"]["message"]
    assert "unsupported" in by_file["表格.xls"]["message"]
    hits = client.get("/api/v1/kbs/default/search", params={"q": "廉政例会", "mode": "bm25"}).json()["hits"]
    assert hits and hits[0]["citation"]["source"] == "会议制度.md"
    documents = client.get("/api/v1/kbs/default/documents", headers=ADMIN).json()
    doc = next(d for d in documents if d["source"] == "会议制度.md")
    deleted = client.delete(f"/api/v1/kbs/default/documents/{doc['id']}", headers=ADMIN)
    assert deleted.status_code == 200 and deleted.json()["id"] == doc["id"]
    after = client.get("/api/v1/kbs/default/search", params={"q": "廉政例会", "mode": "bm25"}).json()["hits"]
    assert all(h["citation"]["source"] != "会议制度.md" for h in after)
    other = next(d for d in client.get("/api/v1/kbs/default/documents", headers=ADMIN).json() if d["source"] == "逃逸.txt")
    assert client.delete(f"/api/v1/kbs/default/documents/{other['id']}", headers=ADMIN).status_code == 200


def test_upload_limits(client):
    big = ("files", ("大文件.txt", "字".encode() * 400_000, "text/plain"))  # 1.2 MB > the 1 MB limit
    job = wait_for(client, client.post("/api/v1/kbs/default/documents", files=[big], headers=ADMIN).json()["id"])
    assert job["results"][0]["status"] == "failed" and "too large" in job["results"][0]["message"]
    many = [("files", (f"{i}.txt", b"x", "text/plain")) for i in range(6)]
    response = client.post("/api/v1/kbs/default/documents", files=many, headers=ADMIN)
    assert response.status_code == 413 and "at most 5 files" in response.json()["error"]["message"]
    assert client.get("/api/v1/kbs/default/jobs/unknown", headers=ADMIN).status_code == 404
