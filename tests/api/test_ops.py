"""What operators expect (#16): request ids and access logs, /metrics, rate limits, a bound on
concurrent asks and an OpenAPI schema a client can be generated from. Real HTTP against the real
app over the corpus/ base; a `policykb serve --workers 2` process for JSON logs and summed metrics."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from api.app import create_app
from config.settings import Settings
from eval.load import LoadPlan, run_load
from index.kb import KnowledgeBase
from tests.api.conftest import API_KEY
from tests.conftest import REPO, SEED
from tests.live import LiveServer, free_port, wait_until_serving

ADMIN = {"X-API-Key": API_KEY}
SEARCH = "/api/v1/kbs/default/search"
ASK = "/api/v1/kbs/default/ask"
QUESTION_CHARS = 50  # the ops server's max_question_chars, below the default 200 to show the schema follows it


@pytest.fixture(scope="module")
def ops(api_kb):
    """The corpus base served with tiny limits: 3 reads and 2 questions a minute per client, one
    question at a time with a short queue, questions of at most QUESTION_CHARS characters."""
    settings = api_kb.settings.model_copy(update={
        "rate_limit": "3/minute", "ask_rate_limit": "2/minute", "max_concurrent_asks": 1,
        "ask_queue_seconds": 0.3, "max_question_chars": QUESTION_CHARS, "access_log": True,
    })
    app = create_app(settings, api_kb)
    server = LiveServer(app, free_port())
    server.start()
    with httpx.Client(base_url=server.url, timeout=60) as http:
        yield app, http
    server.stop()


def as_client(address: str) -> dict[str, str]:
    """Headers of a request that reached the server through a proxy on loopback for `address`:
    uvicorn takes the client address from X-Forwarded-For when the peer is 127.0.0.1 (its default)."""
    return {"X-Forwarded-For": address}


# ---- request id and access log --------------------------------------------------------------

def _access_records(caplog, request_id: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "policykb.access" and getattr(r, "request_id", "") == request_id]


def test_every_request_gets_an_id_and_one_access_line(ops, caplog):
    _, http = ops
    with caplog.at_level(logging.INFO, logger="policykb.access"):
        given = http.get("/healthz", headers={"X-Request-ID": "portal-7f3a"})
        made = http.get("/api/v1/kbs/nobase/glossary")
        forged = http.get("/healthz", headers={"X-Request-ID": "x\" 200 GET /admin"})
    assert given.headers["X-Request-ID"] == "portal-7f3a"
    [line] = _access_records(caplog, "portal-7f3a")
    assert (line.method, line.path, line.status, line.client) == ("GET", "/healthz", 200, "127.0.0.1")
    assert line.duration_ms >= 0 and "GET /healthz 200" in line.getMessage()

    generated = made.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    [line] = _access_records(caplog, generated)
    assert (line.path, line.status) == ("/api/v1/kbs/nobase/glossary", 404)

    # an id that could forge a log line is replaced by a fresh one
    assert re.fullmatch(r"[0-9a-f]{32}", forged.headers["X-Request-ID"])
    assert len(_access_records(caplog, forged.headers["X-Request-ID"])) == 1


def test_the_query_string_stays_out_of_the_access_log(ops, caplog):
    _, http = ops
    with caplog.at_level(logging.INFO, logger="policykb.access"):
        response = http.get("/api/v1/kbs/default/glossary", params={"term": "村务公开"})
    [line] = _access_records(caplog, response.headers["X-Request-ID"])
    assert line.path == "/api/v1/kbs/default/glossary" and "村务" not in line.getMessage()


# ---- /metrics -------------------------------------------------------------------------------

def _samples(text: str) -> dict[tuple[str, frozenset], float]:
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def _requests(samples, route: str, status: str, method: str = "GET") -> float:
    key = frozenset({"method": method, "route": route, "status": status}.items())
    return samples.get(("policykb_http_requests_total", key), 0.0)


def test_metrics_count_requests_per_route_template_and_give_the_base_sizes(ops, api_kb):
    _, http = ops
    before = _samples(http.get("/metrics").text)
    route = "/api/v1/kbs/{base}/catalogue"
    for unit in ("清廉村居", "清廉学校", ""):
        assert http.get("/api/v1/kbs/default/catalogue", params={"unit": unit}).status_code == 200
    assert http.get("/api/v1/kbs/nobase/catalogue").status_code == 404
    response = http.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    after = _samples(response.text)
    assert _requests(after, route, "200") - _requests(before, route, "200") == 3
    assert _requests(after, route, "404") - _requests(before, route, "404") == 1
    routes = {dict(labels)["route"] for name, labels in after if name == "policykb_http_requests_total"}
    assert not any("default" in r or "nobase" in r for r in routes)  # templates, never raw paths
    latency = frozenset({"method": "GET", "route": route}.items())
    assert after[("policykb_http_request_duration_seconds_count", latency)] >= 3
    stats = api_kb.stats()
    assert after[("policykb_base_chunks", frozenset({"base": "default"}.items()))] == stats["chunks"]
    assert after[("policykb_base_documents", frozenset({"base": "default"}.items()))] == stats["documents"]


def test_metrics_count_the_files_of_upload_jobs_by_result(ops):
    _, http = ops
    ingested = ("policykb_ingest_files_total",)

    def counts() -> dict[str, float]:
        return {dict(labels)["status"]: value for (name, labels), value in _samples(http.get("/metrics").text).items()
                if name in ingested}

    before = counts()
    files = [("files", (SEED.name, SEED.read_bytes(), "text/plain")),  # already in the base
             ("files", ("program.exe", b"MZ\x90\x00", "application/octet-stream"))]
    job = http.post("/api/v1/kbs/default/documents", files=files, headers=ADMIN).json()
    deadline = time.monotonic() + 120
    while job["status"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.2)
        job = http.get(f"/api/v1/kbs/default/jobs/{job['id']}", headers=ADMIN).json()
    assert job["status"] == "done"
    statuses = sorted(r["status"] for r in job["results"])
    after = counts()
    for status in set(statuses):
        assert after.get(status, 0) - before.get(status, 0) == statuses.count(status)
    assert "failed" in statuses and len(statuses) == 2


# ---- rate limits ----------------------------------------------------------------------------

def test_the_fourth_read_in_a_minute_is_refused_with_retry_after(ops):
    _, http = ops
    client = as_client("198.51.100.1")
    for query in ("村务公开", "三公开", "清廉"):
        assert http.get(SEARCH, params={"q": query, "k": 1}, headers=client).status_code == 200
    refused = http.get(SEARCH, params={"q": "廉政", "k": 1}, headers=client)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    error = refused.json()["error"]
    assert error["status"] == 429 and error["details"] is None and "3 per minute" in error["message"]
    # suggestions and feedback share the window of searches
    assert http.get("/api/v1/kbs/default/suggestions", headers=client).status_code == 429
    # another client, and the same client's questions (their own window), are served
    assert http.get(SEARCH, params={"q": "廉政", "k": 1}, headers=as_client("198.51.100.2")).status_code == 200
    assert http.post(ASK, json={"question": "村务公开的内容有哪些？"}, headers=client).status_code == 200
    # the window is per base: the same client's first read of another base is not refused (this
    # base does not exist, so the route's own answer, 404, comes back)
    assert http.get("/api/v1/kbs/otherbase/search", params={"q": "廉政"}, headers=client).status_code == 404
    # routes outside the public four are not limited
    assert http.get("/api/v1/kbs/default/glossary", headers=client).status_code == 200


def test_questions_have_their_own_window(ops):
    _, http = ops
    client = as_client("198.51.100.3")
    for _ in range(2):
        assert http.post(ASK, json={"question": "什么是三公开？"}, headers=client).status_code == 200
    refused = http.post(ASK, json={"question": "什么是三公开？"}, headers=client)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert refused.json()["error"]["status"] == 429


# ---- the bound on concurrent asks -----------------------------------------------------------

def test_a_question_finding_every_slot_busy_is_refused_with_503(ops):
    app, http = ops
    slots = app.state.ask_slots
    assert slots.size == 1 and slots.try_take()  # the test answers "a question" itself
    try:
        busy = http.post(ASK, json={"question": "村务公开的内容有哪些？"}, headers=as_client("198.51.100.10"))
    finally:
        slots.give_back()
    assert busy.status_code == 503 and busy.headers["Retry-After"] == "1"
    assert busy.json()["error"]["status"] == 503 and "try again" in busy.json()["error"]["message"]
    served = http.post(ASK, json={"question": "村务公开的内容有哪些？"}, headers=as_client("198.51.100.11"))
    assert served.status_code == 200 and served.json()["answer_id"]


def test_concurrent_questions_queue_briefly_then_some_are_refused(ops):
    """Four questions at once while the only slot is held for longer than the queue wait: all four
    are refused. Then the slot is given back while a second group waits: at least one is answered."""
    app, http = ops
    slots = app.state.ask_slots
    results: list[int] = []

    def asks(group: str) -> list[threading.Thread]:
        threads = [threading.Thread(target=lambda n=n: results.append(http.post(
            ASK, json={"question": "什么是三公开？"}, headers=as_client(f"198.51.{group}.{n}")).status_code))
            for n in range(4)]
        for thread in threads:
            thread.start()
        return threads

    assert slots.try_take()
    try:
        for thread in asks("101"):
            thread.join()
    finally:
        slots.give_back()
    assert results == [503] * 4
    results.clear()
    for thread in asks("102"):
        thread.join()
    assert 200 in results and set(results) <= {200, 503}


def test_eval_load_counts_refusals_apart_from_errors(ops):
    """`policykb eval load` (eval/load.py) against the 3-a-minute server: from one address the window
    serves 2 searches after the load's probe; with distinct clients each address has its own 3."""
    _, http = ops
    url = str(http.base_url).rstrip("/")
    report = run_load(LoadPlan(url, ("村务公开", "三公开"), clients=2, seconds=3, mix={"search": 1}))
    [search] = report.routes
    assert report.errors == 0 and report.refused == search.refused > 0
    assert search.requests - search.refused == 2 and search.p50_ms > 0
    spread = run_load(LoadPlan(url, ("村务公开", "三公开"), clients=2, seconds=3, mix={"search": 1},
                               distinct_clients=True))
    [search] = spread.routes
    assert spread.errors == 0 and search.requests - search.refused == 2 * 3


# ---- OpenAPI --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def schema(ops) -> dict:
    return ops[1].get("/openapi.json").json()


def _operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_operation_ids_are_unique_readable_identifiers(schema):
    ids = [op["operationId"] for _, _, op in _operations(schema)]
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", i) for i in ids), ids
    assert len(ids) == len(set(ids))
    assert {"search", "ask", "facets", "upload_documents", "create_base", "metrics"} <= set(ids)


def test_every_operation_has_a_success_schema_and_documented_errors(schema):
    for path, method, operation in _operations(schema):
        success = [c for c in operation["responses"] if c.startswith("2")]
        assert success, (path, method)
        content = operation["responses"][success[0]].get("content", {})
        assert content and all("schema" in media for media in content.values()), (path, method)
        for status, response in operation["responses"].items():
            if status[0] in "45":
                ref = response["content"]["application/json"]["schema"]["$ref"]
                assert ref == "#/components/schemas/ErrorResponse", (path, method, status)
    responses = {(p, m): set(op["responses"]) for p, m, op in _operations(schema)}
    for route in ("search", "suggestions", "feedback"):
        assert {"404", "422", "429"} <= responses[(f"/api/v1/kbs/{{base}}/{route}", "get" if route != "feedback"
                                                  else "post")]
    assert {"401", "404", "422", "429", "503"} <= responses[("/api/v1/kbs/{base}/ask", "post")]
    assert {"401", "403", "411", "413"} <= responses[("/api/v1/kbs/{base}/documents", "post")]
    assert {"401", "403", "409"} <= responses[("/api/v1/kbs", "post")]
    facets = schema["paths"]["/api/v1/kbs/{base}/facets"]["get"]["responses"]["200"]["content"]
    assert facets["application/json"]["schema"]["$ref"] == "#/components/schemas/FacetsOut"


def test_the_admin_key_is_a_security_scheme_required_by_admin_operations(schema):
    assert schema["components"]["securitySchemes"]["APIKeyHeader"] == {
        "type": "apiKey", "in": "header", "name": "X-API-Key",
        "description": schema["components"]["securitySchemes"]["APIKeyHeader"]["description"]}
    required = [{"APIKeyHeader": []}]
    optional = [{}, {"APIKeyHeader": []}]  # public bases are read without a key
    admin = {("/api/v1/kbs/{base}/documents", "get"), ("/api/v1/kbs/{base}/documents", "post"),
             ("/api/v1/kbs/{base}/documents/{doc_id}", "delete"), ("/api/v1/kbs/{base}/jobs/{job_id}", "get"),
             ("/api/v1/kbs", "get"), ("/api/v1/kbs", "post"), ("/api/v1/kbs/{base}", "patch"),
             ("/api/v1/kbs/{base}", "delete")}
    for path, method, operation in _operations(schema):
        if (path, method) in admin:
            assert operation["security"] == required, (path, method)
        elif path.startswith("/api/v1/kbs/{base}"):
            assert operation["security"] == optional, (path, method)
        else:
            assert "security" not in operation, (path, method)


def test_the_question_limit_is_the_setting_in_the_schema_and_the_route(ops, schema):
    _, http = ops
    question = schema["components"]["schemas"]["AskRequest"]["properties"]["question"]
    assert question["maxLength"] == QUESTION_CHARS and question["minLength"] == 1
    at_limit = ("村务公开的内容有哪些" * 5)[:QUESTION_CHARS]
    answered = http.post(ASK, json={"question": at_limit}, headers=as_client("198.51.100.20"))
    assert answered.status_code == 200
    too_long = http.post(ASK, json={"question": at_limit + "？"}, headers=as_client("198.51.100.21"))
    assert too_long.status_code == 422
    error = too_long.json()["error"]
    assert error["message"] == f"question: longer than {QUESTION_CHARS} characters"
    assert error["details"][0]["loc"] == ["body", "question"]


# ---- `policykb serve --workers 2`: JSON access lines on stderr, metrics summed over workers ---

@pytest.fixture(scope="module")
def served_workers(tmp_path_factory, embedder, onnx_export):
    folder = tmp_path_factory.mktemp("ops-serve")
    kb_dir = folder / "kb"
    with KnowledgeBase(Settings(kb_dir=kb_dir), embedder=embedder) as kb:
        kb.ingest([REPO / "corpus"])
    onnx_export(kb_dir)
    port = free_port()
    env = {**os.environ, "POLICYKB_EMBEDDING_BACKEND": "onnx", "POLICYKB_LOG_FORMAT": "json",
           "POLICYKB_RATE_LIMIT": "", "POLICYKB_DATA_DIR": str(folder / "data")}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)  # `serve --workers` makes its own
    stderr = folder / "stderr.log"
    with stderr.open("w") as sink:
        server = subprocess.Popen([sys.executable, "-m", "api.cli", "--kb", str(kb_dir), "serve", "--port", str(port),
                                   "--workers", "2"], cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=sink)
    url = f"http://127.0.0.1:{port}"
    wait_until_serving(url, server, stderr, timeout=180)
    yield url, stderr
    server.terminate()
    server.wait(timeout=60)


def _json_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def test_served_workers_write_json_access_lines_and_sum_their_metrics(served_workers):
    url, stderr = served_workers
    ids = [f"ops-{n}" for n in range(12)]
    # fresh connections, so the requests spread over both workers
    for request_id in ids:
        response = httpx.get(url + "/api/v1/kbs/default/glossary", headers={"X-Request-ID": request_id}, timeout=30)
        assert response.status_code == 200 and response.headers["X-Request-ID"] == request_id
    metrics = _samples(httpx.get(url + "/metrics", timeout=30).text)
    assert _requests(metrics, "/api/v1/kbs/{base}/glossary", "200") == len(ids)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # stderr is written by other processes: wait for their lines
        lines = _json_lines(stderr)  # every line is a JSON object, or this raises
        access = {line["request_id"]: line for line in lines if line.get("logger") == "policykb.access"}
        if set(ids) <= set(access):
            break
        time.sleep(0.2)
    assert set(ids) <= set(access)
    line = access[ids[0]]
    assert (line["method"], line["path"], line["status"], line["client"]) == (
        "GET", "/api/v1/kbs/default/glossary", 200, "127.0.0.1")
    assert line["level"] == "INFO" and isinstance(line["duration_ms"], float)
    assert not any(line.get("logger") == "uvicorn.access" for line in lines)  # ours replaces uvicorn's
