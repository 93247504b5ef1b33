"""The bad-input corpus through the real pipeline: one clear result per file, nothing else lost,
nothing written outside the knowledge-base directory. Once through `KnowledgeBase.ingest`
(what the CLI calls) and once through the HTTP upload route, hostile file names included."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from api.app import create_app
from api.cli import app
from config.settings import Settings
from index.kb import KnowledgeBase
from index.types import FileStatus
from tests import samples
from tests.live import LiveServer, free_port
from tests.reliability.bad_inputs import MAX_FILE_MB, build_bad_inputs, tree_snapshot

API_KEY = "reliability-key"


def _ocr_available() -> bool:
    if shutil.which("tesseract") is None or samples.cjk_font_file() is None:
        return False
    listed = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True, check=False)
    return "chi_sim" in listed.stdout.split()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    if samples.cjk_font_file() is None:
        pytest.skip("the scanned-PDF sample needs a CJK font (fonts-noto-cjk; .ci/run installs it)")
    root = tmp_path_factory.mktemp("bad")
    cases = build_bad_inputs(root / "inputs", _ocr_available())
    return root, cases


def _digests(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


def test_every_bad_input_gets_a_clear_result_and_the_batch_goes_on(corpus, embedder, figures):
    root, cases = corpus
    inputs = root / "inputs"
    kb_dir = root / "kb"
    before, digests = tree_snapshot(root), _digests(inputs)
    settings = Settings(kb_dir=kb_dir, max_file_mb=MAX_FILE_MB)
    with KnowledgeBase(settings, embedder=embedder) as kb:
        report = kb.ingest([inputs])
        results = {r.path.rsplit("/", 1)[-1]: r for r in report.results}
        assert sorted(results) == sorted(c.name for c in cases)  # every file has exactly one result
        for case in cases:
            result = results[case.name]
            assert result.status is case.status, (case.name, result)
            assert case.message in result.message, (case.name, result.message)
            if result.status is FileStatus.failed:
                assert result.message.startswith(case.name), result.message  # the message names the file
                assert len(result.message) < 400 and "Traceback" not in result.message
        stored = {d.source.rsplit("/", 1)[-1]: d for d in kb.documents()}
        assert sorted(stored) == sorted(c.name for c in cases if c.status is FileStatus.added)
        for case in cases:
            if case.text:
                assert case.text in kb.store.document(stored[case.name].id).text, case.name
        hit = kb.search("重大行政决策公开征求意见", k=1)[0]
        assert hit.citation.source.endswith("good.txt")
        if "scanned.pdf" in stored:  # OCR text is marked in its citations
            scan_hits = [h for h in kb.search("档案数字化 扫描分辨率", k=5) if h.citation.source.endswith("scanned.pdf")]
            assert scan_hits and all(h.citation.ocr and h.citation.label().endswith("OCR识别") for h in scan_hits)
            assert not any(h.citation.ocr for h in kb.search("重大行政决策", k=5) if h not in scan_hits)
    # Nothing was written outside the base, and the inputs are untouched.
    assert tree_snapshot(root, skip=kb_dir) == before
    assert _digests(inputs) == digests
    figures.update(files=len(cases), results={c.name: f"{results[c.name].status.value}: {results[c.name].message}"
                                              for c in cases})


def test_the_cli_reports_each_bad_file_and_exits_1(corpus, tmp_path):
    root, cases = corpus
    result = CliRunner().invoke(app, ["--kb", str(tmp_path / "kb"), "ingest", str(root / "inputs")],
                                env={"POLICYKB_MAX_FILE_MB": str(MAX_FILE_MB), "COLUMNS": "200"})
    assert result.exit_code == 1, result.output
    failed = [c for c in cases if c.status is FileStatus.failed]
    for case in failed:
        assert case.name in result.output
    assert f"{len(failed)} failed" in result.output


@pytest.fixture(scope="module")
def upload_server(tmp_path_factory, embedder):
    kb_dir = tmp_path_factory.mktemp("upload") / "kb"
    settings = Settings(kb_dir=kb_dir, api_key=API_KEY, max_upload_mb=MAX_FILE_MB, max_upload_files=50)
    kb = KnowledgeBase(settings, embedder=embedder)
    server = LiveServer(create_app(settings, kb), free_port())
    server.start()
    yield server.url, kb
    server.stop()
    kb.close()


def _wait_for(url: str, job_id: str) -> dict:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        job = httpx.get(f"{url}/api/v1/kbs/default/jobs/{job_id}", headers={"X-API-Key": API_KEY}, timeout=10).json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.2)
    raise AssertionError("the ingest job did not finish")


def test_uploads_of_bad_files_and_hostile_names_stay_inside_the_base(corpus, upload_server):
    root, cases = corpus
    url, kb = upload_server
    inputs = root / "inputs"
    before = tree_snapshot(root)
    hostile = {"../../escape.txt": "good.txt", "..\\..\\win-escape.txt": "gbk.txt",
               "/etc/passwd.txt": "utf16.txt", "nul\x00byte.txt": "gb18030.txt"}
    files = [("files", (name, (inputs / source).read_bytes(), "text/plain")) for name, source in hostile.items()]
    files += [("files", (c.name, (inputs / c.name).read_bytes(), "application/octet-stream"))
              for c in cases]
    response = httpx.post(f"{url}/api/v1/kbs/default/documents", files=files, headers={"X-API-Key": API_KEY}, timeout=120)
    assert response.status_code == 202, response.text
    job = _wait_for(url, response.json()["id"])
    assert job["status"] == "done" and job["files_done"] == len(files), job
    by_name = {r["file"]: r for r in job["results"]}
    for name in ("escape.txt", "win-escape.txt", "passwd.txt"):
        assert by_name[name]["status"] == "added", by_name[name]
    for case in cases:
        if case.name in by_name and case.status is FileStatus.failed:
            assert by_name[case.name]["status"] == "failed", by_name[case.name]
    uploads = (kb.dir / "uploads").resolve()
    for record in kb.documents():  # every stored copy is inside the base's upload folder
        assert uploads in Path(record.source).resolve().parents, record.source
    assert tree_snapshot(root) == before  # the inputs' folder (next to nothing of the base) is untouched
    assert not (kb.dir.parent / "escape.txt").exists() and not (kb.dir / "escape.txt").exists()
