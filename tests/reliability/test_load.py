"""Load: 50 concurrent clients against a real `policykb serve` process, mixing search, ask and
glossary, while an upload's ingest job runs in the same server. No request may fail.

The server is its own process (as deployed), so the clients here do not share its
interpreter. POLICYKB_LOAD_SECONDS sets the duration: 30 s in `make test` (to keep the suite
short), 60 s in `scripts/reliability.sh`, whose run gives the figures in docs/reliability.md.
"""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
import pytest

from config.settings import Settings
from eval.benchmark import load_queries
from eval.load import LoadPlan, run_load
from index.kb import KnowledgeBase
from tests.conftest import REPO
from tests.live import free_port, wait_until_serving

KEY = "load-test-key"
CLIENTS = 50
SECONDS = float(os.environ.get("POLICYKB_LOAD_SECONDS", "30"))
QUERIES = REPO / "eval" / "datasets" / "seed_beir" / "queries.jsonl"


def _uploads(folder):
    """Eight new rule documents for the ingest job that runs during the load."""
    folder.mkdir()
    for i in range(8):
        articles = "\n".join(f"第{n}条 示范市第{i}号规则要求，各单位每月第{n}周报送廉政风险排查情况。" for n in range(1, 8))
        (folder / f"upload-{i}.md").write_text(f"# 示范市第{i}号廉政风险防控规则\n\n{articles}\n", "utf-8")
    return sorted(folder.iterdir())


@pytest.fixture
def served(tmp_path, embedder, onnx_export):
    """The server as `make run` starts it: on the ONNX backend, over a base of corpus/."""
    kb_dir = tmp_path / "kb"
    with KnowledgeBase(Settings(kb_dir=kb_dir), embedder=embedder) as kb:
        kb.ingest([REPO / "corpus"])
    onnx_export(kb_dir)
    port = free_port()
    env = {**os.environ, "POLICYKB_API_KEY": KEY, "POLICYKB_MAX_UPLOAD_FILES": "20",
           "POLICYKB_EMBEDDING_BACKEND": "onnx"}
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen([sys.executable, "-m", "api.cli", "--kb", str(kb_dir), "serve", "--port", str(port)],
                              cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    wait_until_serving(url, server, tmp_path / "server.log")
    yield url
    server.terminate()
    server.wait(timeout=30)
    log.close()


def test_fifty_clients_during_an_ingest_get_no_errors(served, tmp_path, figures):
    files = _uploads(tmp_path / "uploads")
    plan = LoadPlan(served, tuple(load_queries(QUERIES)), clients=CLIENTS, seconds=SECONDS,
                    mix={"search": 2, "ask": 1, "glossary": 1}, upload=tuple(files), api_key=KEY, timeout=60)
    report = run_load(plan)
    assert report.errors == 0, report.error_samples
    assert report.ingest is not None and report.ingest.status == "done" and report.ingest.failed_files == 0
    routes = {r.route: r for r in report.routes}
    assert set(routes) == {"search", "ask", "glossary"} and all(r.requests > 0 for r in routes.values())
    documents = httpx.get(served + "/api/v1/kbs/default/documents", headers={"X-API-Key": KEY}, timeout=30).json()
    assert {f.name for f in files} <= {d["source"] for d in documents}  # the uploads were ingested
    hit = httpx.get(served + "/api/v1/kbs/default/search", params={"q": "廉政风险排查情况", "k": 1}, timeout=30).json()
    assert hit["hits"][0]["citation"]["source"].startswith("upload-")
    figures.update(clients=CLIENTS, seconds=report.seconds, requests=report.requests, errors=report.errors,
                   per_second=report.per_second, ingest_seconds=report.ingest.seconds,
                   routes={r.route: {"requests": r.requests, "p50_ms": r.p50_ms, "p95_ms": r.p95_ms,
                                     "p99_ms": r.p99_ms} for r in report.routes})
