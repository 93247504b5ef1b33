"""Crash safety: SIGKILL a real `policykb ingest` at random points, several times.

After every kill the base must open, `policykb check` must end consistent after
`check --repair` (it may find lagging indexes before), search must work, and the ingest
that finally runs to the end must leave every document exactly once. Indexes are saved
after every few documents (POLICYKB_INDEX_SAVE_EVERY), so kills also land inside saves.
The kill points come from a seeded generator (POLICYKB_CRASH_SEED picks another sequence).
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from api.cli import app
from config.settings import Settings
from index.kb import KnowledgeBase
from index.types import FileStatus
from tests import samples
from tests.conftest import REPO

KILLS = 5
DOCUMENTS = 24
runner = CliRunner()


def _write_documents(folder: Path) -> None:
    """Distinct documents of several types, so the kills hit different parsers and sizes."""
    folder.mkdir()
    for i in range(DOCUMENTS):
        articles = "\n".join(
            f"第{n}条 示范市第{i}号文件规定，第{n}项工作由责任单位按季度报送进展，并接受群众监督。" for n in range(1, 4 + i % 5)
        )
        text = f"示范市第{i}号工作规则\n\n{articles}\n"
        if i % 6 == 0:
            samples.write_docx(folder / f"rule-{i:02d}.docx", [("heading", 0, f"示范市第{i}号工作规则"),
                                                               *[("paragraph", line) for line in articles.splitlines()]])
        elif i % 6 == 1:
            samples.write_gbk_text(folder / f"rule-{i:02d}.txt", text)
        else:
            (folder / f"rule-{i:02d}.md").write_text(text, "utf-8")


def _committed(kb_dir: Path) -> int:
    try:
        with sqlite3.connect(f"file:{kb_dir / 'kb.sqlite'}?mode=ro", uri=True, timeout=1) as db:
            return db.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
    except sqlite3.Error:
        return 0


def _ingest(folder: Path, kb_dir: Path) -> subprocess.Popen:
    # ONNX Runtime on the fp32 export (installed by the test) gives the torch model's vectors under the
    # same model id and starts without importing torch, so each killed process costs seconds less.
    env = {**os.environ, "POLICYKB_KB_DIR": str(kb_dir), "POLICYKB_INDEX_SAVE_EVERY": "2",
           "POLICYKB_EMBEDDING_BACKEND": "onnx"}
    return subprocess.Popen([sys.executable, "-m", "api.cli", "ingest", str(folder)], env=env, cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def test_an_ingest_killed_again_and_again_loses_nothing(tmp_path, embedder, onnx_export, figures):
    folder, kb_dir = tmp_path / "docs", tmp_path / "kb"
    _write_documents(folder)
    onnx_export(kb_dir)
    rng = random.Random(int(os.environ.get("POLICYKB_CRASH_SEED", "20261201")))
    kb_args = ["--kb", str(kb_dir)]
    killed_at, inconsistent_after_kill = [], 0
    for _ in range(KILLS):
        before = _committed(kb_dir)
        if before >= DOCUMENTS:
            break
        target = before + rng.randint(1, max(1, (DOCUMENTS - before) // 3))  # a document count to wait for,
        extra_delay = rng.uniform(0, 0.4)  # then a little more, to land mid-encoding, mid-commit or mid-save
        process = _ingest(folder, kb_dir)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and process.poll() is None and _committed(kb_dir) < target:
            time.sleep(0.02)
        time.sleep(extra_delay)
        if process.poll() is not None:  # it finished first: nothing left to interrupt
            break
        process.send_signal(signal.SIGKILL)
        process.wait()
        killed_at.append(_committed(kb_dir))

        found = runner.invoke(app, [*kb_args, "check", "--json"])
        assert found.exit_code in (0, 1), found.output  # a report, consistent or not, never a crash
        inconsistent_after_kill += found.exit_code
        repaired = runner.invoke(app, [*kb_args, "check", "--repair"])
        assert repaired.exit_code == 0, repaired.output
        again = runner.invoke(app, [*kb_args, "check"])
        assert again.exit_code == 0 and "consistent" in again.output, again.output
        with KnowledgeBase(Settings(kb_dir=kb_dir), embedder=embedder) as kb:
            if kb.stats()["chunks"]:
                assert kb.search("责任单位按季度报送进展", k=3)
    assert len(killed_at) >= 3, f"only {len(killed_at)} kills landed (documents committed: {killed_at})"

    final = _ingest(folder, kb_dir)
    _, errors = final.communicate(timeout=600)
    assert final.returncode == 0, errors.decode("utf-8", "replace")[-2000:]
    assert runner.invoke(app, [*kb_args, "check"]).exit_code == 0
    with KnowledgeBase(Settings(kb_dir=kb_dir), embedder=embedder) as kb:
        sources = sorted(Path(d.source).name for d in kb.documents())
        assert sources == sorted(p.name for p in folder.iterdir())  # every document, each exactly once
        truth = kb.store.chunk_ids()
        assert np.array_equal(np.sort(kb.dense.ids()), truth) and np.array_equal(np.sort(kb.lexical.ids()), truth)
        report = kb.ingest([folder])
        assert report.count(FileStatus.unchanged) == DOCUMENTS and report.encoded == 0
    figures.update(kills=len(killed_at), documents_committed_at_each_kill=killed_at,
                   kills_leaving_lagging_indexes=inconsistent_after_kill, documents=DOCUMENTS,
                   chunks=len(truth), all_present_once=True)
