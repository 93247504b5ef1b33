"""Hostile clients over real HTTP: uploads refused from their headers alone, admin keys, wildcard ids.

The widget's inert rendering of hostile document text is asserted in Chromium by
tests/api/test_widget_browser.py; CORS and the admin-key matrix by tests/api/test_http.py.
"""

from __future__ import annotations

import socket
import time

import httpx
import pytest

from api.app import create_app
from api.limits import max_upload_body
from config.settings import Settings
from index.kb import KnowledgeBase
from tests.conftest import SEED
from tests.live import LiveServer, free_port

KEY = "security-test-key"


@pytest.fixture(scope="module")
def server(tmp_path_factory, embedder):
    settings = Settings(kb_dir=tmp_path_factory.mktemp("security") / "kb", api_key=KEY, max_upload_mb=1,
                        max_upload_files=3)
    kb = KnowledgeBase(settings, embedder=embedder)
    kb.ingest([SEED])
    live = LiveServer(create_app(settings, kb), free_port())
    live.start()
    yield live, kb
    live.stop()
    kb.close()


def _raw_request(url: str, head: str, timeout: float = 10) -> tuple[int, str, float]:
    """Send only a request head (no body) on a raw socket; (status, response text, seconds to answer)."""
    host, port = url.removeprefix("http://").split(":")
    started = time.monotonic()
    with socket.create_connection((host, int(port)), timeout=timeout) as conn:
        conn.sendall(head.encode("latin-1"))
        data = b""
        while b"\r\n\r\n" not in data or not data.rstrip().endswith(b"}"):
            chunk = conn.recv(65536)
            if not chunk:
                break
            data += chunk
    status = int(data.split(b" ", 2)[1])
    return status, data.decode("utf-8", "replace"), time.monotonic() - started


def _upload_head(length: int | None, key: str | None) -> str:
    lines = ["POST /api/v1/kbs/default/documents HTTP/1.1", "Host: 127.0.0.1", "Content-Type: multipart/form-data; boundary=b0undary"]
    lines.append(f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked")
    if key is not None:
        lines.append(f"X-API-Key: {key}")
    return "\r\n".join(lines) + "\r\n\r\n"


def test_uploads_are_refused_from_their_headers_before_any_body_is_sent(server):
    live, kb = server
    limit = max_upload_body(kb.settings)
    cases = [
        (_upload_head(10 * 1024**3, None), 401, "missing X-API-Key"),  # 10 GB announced, no key
        (_upload_head(10 * 1024**3, "wrong"), 401, "wrong API key"),
        (_upload_head(10 * 1024**3, KEY), 413, "too large"),
        (_upload_head(limit + 1, KEY), 413, "too large"),
        (_upload_head(None, KEY), 411, "Content-Length"),
    ]
    for head, status, message in cases:
        # The server answers although not one byte of the announced body was sent.
        got, text, seconds = _raw_request(live.url, head)
        assert got == status and message in text, text
        assert seconds < 5
    assert not (kb.dir / "uploads").exists() or not any((kb.dir / "uploads").rglob("*.*"))  # nothing stored


def test_a_normal_upload_still_passes_the_gate(server):
    live, _ = server
    response = httpx.post(f"{live.url}/api/v1/kbs/default/documents", headers={"X-API-Key": KEY}, timeout=60,
                          files=[("files", ("规则.txt", "示范市规则\n\n第一条 本规则自发布之日起施行。\n".encode(), "text/plain"))])
    assert response.status_code == 202, response.text
    job_url = f"{live.url}/api/v1/kbs/default/jobs/{response.json()['id']}"
    deadline = time.monotonic() + 120
    while httpx.get(job_url, headers={"X-API-Key": KEY}, timeout=10).json()["status"] not in ("done", "failed"):
        assert time.monotonic() < deadline, "the upload job did not finish"
        time.sleep(0.2)
    assert httpx.get(job_url, headers={"X-API-Key": KEY}, timeout=10).json()["results"][0]["status"] == "added"


def test_wildcards_in_a_document_reference_match_nothing(server):
    live, kb = server
    before = [d.id for d in kb.documents()]
    for ref in ("%25", "_", "%25%25", "%5F%25"):
        response = httpx.delete(f"{live.url}/api/v1/kbs/default/documents/{ref}", headers={"X-API-Key": KEY}, timeout=10)
        assert response.status_code in (404, 422), response.text
    assert [d.id for d in kb.documents()] == before


@pytest.mark.parametrize("method,path", [("GET", "/api/v1/kbs/default/documents"), ("POST", "/api/v1/kbs/default/documents"),
                                         ("DELETE", "/api/v1/kbs/default/documents/abc"), ("GET", "/api/v1/kbs/default/jobs/abc")])
def test_admin_routes_refuse_missing_wrong_and_near_miss_keys(server, method, path):
    live, _ = server
    for headers in ({}, {"X-API-Key": ""}, {"X-API-Key": "wrong"}, {"X-API-Key": KEY[:-1]}, {"X-API-Key": KEY + "x"},
                    {"X-API-Key": KEY.upper()}):
        response = httpx.request(method, live.url + path, headers=headers, timeout=10)
        assert response.status_code == 401, (headers, response.status_code, response.text)
