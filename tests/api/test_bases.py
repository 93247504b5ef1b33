"""Several named bases in one server, a server and a CLI on one base, jobs that survive a restart.

Everything is real: a uvicorn server over HTTP, the policykb command line as a separate
process (so the two really are two processes on one SQLite file), the real model.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from api.app import create_app
from api.jobs import JOBS_FILE, JobStore
from config.settings import Settings
from tests.live import LiveServer, free_port

SERVER_KEY = "server-key-for-tests"
ADMIN = {"X-API-Key": SERVER_KEY}
# Texts written for these tests; each holds a term no other document of the bases holds.
COUNTY_RULE = ("县级廉洁驿站工作规则\n\n第一条 廉洁驿站每季度开展一次谈心谈话。\n"
               "第二条 谈心谈话由驿站站长主持，记录归档保存三年。\n")
NEW_RULE = ("公务接待清单管理办法\n\n第一条 公务接待实行清单管理，接待清单逐项列明接待对象和陪同人数。\n"
            "第二条 接待清单由办公室每月公开一次。\n")
OTHER_RULE = ("公车使用登记细则\n\n第一条 公车使用实行一车一登记，登记簿注明用车事由和里程。\n"
              "第二条 登记簿由车管员每周核对一次。\n")


def _cli(kb_dir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """The installed command line in its own process, on the torch backend like the test model."""
    env = {**os.environ, "POLICYKB_EMBEDDING_BACKEND": "torch"}
    env.pop("POLICYKB_API_KEY", None)
    done = subprocess.run([sys.executable, "-m", "api.cli", "--kb", str(kb_dir), *args], capture_output=True,
                          text=True, env=env, timeout=300, cwd=Path(__file__).resolve().parents[2])
    if check:
        assert done.returncode == 0, done.stderr
    return done


@pytest.fixture(scope="module")
def served(tmp_path_factory, embedder):
    """A server over data/kbs/ with a default base holding one rule; returns (url, settings)."""
    from index.kb import KnowledgeBase

    data = tmp_path_factory.mktemp("bases")
    settings = Settings(data_dir=data, api_key=SERVER_KEY, reload_interval=0.2)
    source = data / "sources"
    source.mkdir()
    (source / "驿站规则.txt").write_text(COUNTY_RULE, encoding="utf-8")
    kb = KnowledgeBase(settings, embedder=embedder)
    kb.ingest([source / "驿站规则.txt"])
    server = LiveServer(create_app(settings, kb), free_port())
    server.start()
    yield server.url, settings
    server.stop()
    kb.close()


def _hits(url: str, base: str, query: str, headers: dict | None = None) -> list[dict]:
    response = httpx.get(f"{url}/api/v1/kbs/{base}/search", params={"q": query, "mode": "bm25", "k": 3},
                         headers=headers or {}, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()["hits"]


def _wait_for_job(url: str, base: str, job_id: str, headers: dict) -> dict:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        job = httpx.get(f"{url}/api/v1/kbs/{base}/jobs/{job_id}", headers=headers, timeout=10).json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.2)
    raise AssertionError("the ingest job did not finish")


def test_bases_are_created_kept_apart_protected_and_deleted(served):
    url, _ = served
    created = httpx.post(f"{url}/api/v1/kbs", json={"name": "county-a", "public": False}, headers=ADMIN, timeout=60)
    assert created.status_code == 201, created.text
    key = created.json()["key"]
    assert created.json()["public"] is False and created.json()["documents"] == 0
    assert httpx.post(f"{url}/api/v1/kbs", json={"name": "county-a"}, headers=ADMIN).status_code == 409
    assert httpx.post(f"{url}/api/v1/kbs", json={"name": "Bad Name"}, headers=ADMIN).status_code == 422
    assert httpx.post(f"{url}/api/v1/kbs", json={"name": "county-b"}).status_code == 401  # no key

    # The base's own key uploads to it; the document is found there and not in the default base.
    own = {"X-API-Key": key}
    files = [("files", ("接待办法.txt", NEW_RULE.encode(), "text/plain"))]
    job = httpx.post(f"{url}/api/v1/kbs/county-a/documents", files=files, headers=own, timeout=60).json()
    assert _wait_for_job(url, "county-a", job["id"], own)["status"] == "done"
    assert "接待清单" in _hits(url, "county-a", "接待清单", own)[0]["text"]
    assert not any("接待清单" in h["text"] for h in _hits(url, "default", "接待清单"))
    answer = httpx.post(f"{url}/api/v1/kbs/county-a/ask", json={"question": "公务接待实行什么管理"},
                        headers=own, timeout=60).json()
    assert "清单管理" in answer["text"]
    assert {c["citation"]["title"] for c in answer["citations"]} == {"公务接待清单管理办法"}

    # Reading a private base needs its key (or the server's); its key opens no other base's admin routes.
    assert httpx.get(f"{url}/api/v1/kbs/county-a/search", params={"q": "接待"}).status_code == 401
    assert httpx.get(f"{url}/api/v1/kbs/county-a/search", params={"q": "接待"},
                     headers={"X-API-Key": "wrong"}).status_code == 401
    assert len(_hits(url, "county-a", "接待清单", ADMIN)) >= 1
    assert httpx.get(f"{url}/api/v1/kbs/default/documents", headers=own).status_code == 401
    assert httpx.get(f"{url}/api/v1/kbs/nowhere/search", params={"q": "接待"}).status_code == 404

    listed = {b["name"]: b for b in httpx.get(f"{url}/api/v1/kbs", headers=ADMIN).json()}
    assert listed["county-a"]["documents"] == 1 and listed["default"]["default"] is True
    assert httpx.get(f"{url}/api/v1/kbs", headers=own).status_code == 401

    # Access changes: public now, and a new key replaces the old one.
    changed = httpx.patch(f"{url}/api/v1/kbs/county-a", json={"public": True, "new_key": True}, headers=ADMIN).json()
    assert changed["public"] is True and changed["key"] and changed["key"] != key
    assert httpx.get(f"{url}/api/v1/kbs/county-a/search", params={"q": "接待"}).status_code == 200
    assert httpx.get(f"{url}/api/v1/kbs/county-a/documents", headers=own).status_code == 401  # old key
    assert httpx.get(f"{url}/api/v1/kbs/county-a/documents", headers={"X-API-Key": changed["key"]}).status_code == 200

    assert httpx.delete(f"{url}/api/v1/kbs/default", headers=ADMIN).status_code == 409
    assert httpx.delete(f"{url}/api/v1/kbs/county-a", headers=ADMIN).json() == {"name": "county-a", "deleted": True}
    assert httpx.get(f"{url}/api/v1/kbs/county-a/search", params={"q": "接待"}).status_code == 404
    assert "county-a" not in {b["name"] for b in httpx.get(f"{url}/api/v1/kbs", headers=ADMIN).json()}


def test_a_running_server_finds_what_a_cli_ingest_in_another_process_added(served, tmp_path):
    url, settings = served
    assert not any("公车使用" in h["text"] for h in _hits(url, "default", "公车使用登记"))
    source = tmp_path / "公车细则.txt"
    source.write_text(OTHER_RULE, encoding="utf-8")
    done = _cli(settings.kb_dir, "ingest", str(source))
    assert "1 added" in done.stdout
    committed = time.monotonic()
    while not any("公车使用" in h["text"] for h in _hits(url, "default", "公车使用登记")):
        assert time.monotonic() - committed < 30, "the server did not pick up the CLI's ingest"
        time.sleep(0.1)
    answer = httpx.post(f"{url}/api/v1/kbs/default/ask", json={"question": "公车使用登记簿注明什么"}, timeout=60).json()
    assert "用车事由和里程" in answer["text"]

    _cli(settings.kb_dir, "remove", str(source.resolve()))
    while any("公车使用" in h["text"] for h in _hits(url, "default", "公车使用登记")):
        assert time.monotonic() - committed < 60, "the server kept a document the CLI removed"
        time.sleep(0.1)


def test_two_writers_at_once_leave_consistent_indexes(tmp_path, make_kb):
    kb = make_kb()  # an empty base (tests/conftest.py)
    kb.close()
    files = []
    for number, text in enumerate((NEW_RULE, OTHER_RULE, COUNTY_RULE)):
        path = tmp_path / f"规则{number}.txt"
        path.write_text(text, encoding="utf-8")
        files.append(path)
    env = {**os.environ, "POLICYKB_EMBEDDING_BACKEND": "torch"}
    writers = [subprocess.Popen([sys.executable, "-m", "api.cli", "--kb", str(kb.dir), "ingest", str(path)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
               for path in files]
    for writer in writers:
        out, err = writer.communicate(timeout=300)
        assert writer.returncode == 0, err
        assert "1 added" in out
    check = _cli(kb.dir, "check")
    assert "consistent" in check.stdout and "NOT consistent" not in check.stdout, check.stdout
    for term in ("接待清单", "公车使用", "廉洁驿站"):
        hits = json.loads(_cli(kb.dir, "search", term, "--mode", "bm25", "--json").stdout)
        assert term in hits[0]["chunk"]["text"]


def test_an_unfinished_job_is_run_again_after_a_restart(tmp_path, embedder):
    """A job a dead process left `running` is finished by the next server; old finished jobs are pruned."""
    from index.kb import KnowledgeBase

    settings = Settings(data_dir=tmp_path / "data", api_key=SERVER_KEY)
    kb = KnowledgeBase(settings, embedder=embedder)
    uploads = settings.kb_dir / "uploads"
    store = JobStore(uploads, settings.job_keep_days)
    job = store.new(1)
    (uploads / job.id).mkdir()
    upload = uploads / job.id / "接待办法.txt"
    upload.write_text(NEW_RULE, encoding="utf-8")
    store.queue(job, [upload], [])
    old = store.new(1)
    (uploads / old.id).mkdir()
    (uploads / old.id / "被拒的.exe").write_bytes(b"MZ")
    store.close()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    with sqlite3.connect(uploads / JOBS_FILE) as db:  # as a server killed mid-job leaves them
        db.execute("UPDATE jobs SET status='running', owner=? WHERE id=?", (int(dead.stdout), job.id))
        db.execute("UPDATE jobs SET status='done', finished=? WHERE id=?", (time.time() - 30 * 86400, old.id))

    server = LiveServer(create_app(settings, kb), free_port())
    server.start()
    try:
        finished = _wait_for_job(server.url, "default", job.id, ADMIN)
        assert finished["status"] == "done" and finished["results"][0]["status"] == "added"
        assert "接待清单" in _hits(server.url, "default", "接待清单")[0]["text"]
        assert httpx.get(f"{server.url}/api/v1/kbs/default/jobs/{old.id}", headers=ADMIN).status_code == 404
        assert not (uploads / old.id).exists() and upload.is_file()  # the refused file went, the ingested stays
    finally:
        server.stop()
        kb.close()
