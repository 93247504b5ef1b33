"""Shared fixtures: the real model, a tiny real corpus built in a temp dir, real knowledge bases."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # tests never download anything
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as the CLI sets it: idle OpenMP threads do not spin
# Named bases a test's server or command creates go to a temp folder, never ./data of the checkout.
os.environ.setdefault("POLICYKB_DATA_DIR", tempfile.mkdtemp(prefix="policykb-test-data-"))
# Tests send many requests from one address: no rate limits, except where a test sets them (test_ops).
os.environ.setdefault("POLICYKB_RATE_LIMIT", "")
os.environ.setdefault("POLICYKB_ASK_RATE_LIMIT", "")

from config.settings import Settings
from index.embed import SentenceTransformerEmbedder

REPO = Path(__file__).resolve().parents[1]
SEED = REPO / "corpus" / "000_5c55d41fe458c655.txt"
WUQING = "班子清廉、村务清爽、思想清正、民风清醇、干群亲清"


@pytest.fixture(scope="session")
def embedder() -> SentenceTransformerEmbedder:
    """The real m3e-small, loaded once per session and shared by every base the tests build."""
    return SentenceTransformerEmbedder(Settings().model_path())


@pytest.fixture(scope="session")
def onnx_export(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Path], None]:
    """Puts the checked fp32 ONNX export of m3e-small (made once per session) into a base's cache.

    A process on POLICYKB_EMBEDDING_BACKEND=onnx then starts without importing torch and gets
    the torch model's vectors under the same model id (tests/index/test_onnx.py).
    """
    from index.onnx import OnnxEmbedder

    cache = tmp_path_factory.mktemp("onnx-export")
    assert OnnxEmbedder(Settings().model_path(), cache).dim == 512  # exports and checks it

    def install(kb_dir: Path) -> None:
        shutil.copytree(cache / "onnx", kb_dir / "cache" / "onnx")

    return install


@pytest.fixture(scope="session")
def sample_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Real files of every supported type plus the seed article, a corrupt PDF and an empty file."""
    from tests import samples

    folder = tmp_path_factory.mktemp("samples")
    samples.build_sample_folder(folder)
    shutil.copy(SEED, folder / SEED.name)
    return folder


@pytest.fixture
def make_kb(tmp_path: Path, embedder: SentenceTransformerEmbedder) -> Callable:
    """Open a fresh base under tmp_path (settings may be overridden) with the shared real model."""
    from index.kb import KnowledgeBase

    opened: list[KnowledgeBase] = []

    def factory(name: str = "kb", **overrides) -> KnowledgeBase:
        kb = KnowledgeBase(Settings(kb_dir=tmp_path / name, **overrides), embedder=embedder)
        opened.append(kb)
        return kb

    yield factory
    for kb in opened:
        kb.close()


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory, sample_dir: Path, embedder):
    """(base, report) for a real base built once from sample_dir. Tests must not change the base."""
    from index.kb import KnowledgeBase

    kb = KnowledgeBase(Settings(kb_dir=tmp_path_factory.mktemp("built") / "kb"), embedder=embedder)
    report = kb.ingest([sample_dir])
    yield kb, report
    kb.close()


@pytest.fixture(scope="session")
def built_kb(built):
    return built[0]


@pytest.fixture(scope="session")
def corpus_kb(tmp_path_factory: pytest.TempPathFactory, embedder):
    """A real base built once from the committed corpus/ (seed article and derived catalogue)."""
    from index.kb import KnowledgeBase

    kb = KnowledgeBase(Settings(kb_dir=tmp_path_factory.mktemp("corpus") / "kb"), embedder=embedder)
    report = kb.ingest([REPO / "corpus"])
    failed = [r for r in report.results if r.status.value == "failed"]
    if failed:
        raise RuntimeError(f"corpus/ must ingest cleanly: {failed}")
    yield kb
    kb.close()


@pytest.fixture(scope="session")
def official_kb(tmp_path_factory, embedder):
    """A real base over tests.samples.write_official_corpus (built once per session; tests must not change it)."""
    from config.settings import Settings
    from index.kb import KnowledgeBase
    from tests import samples

    folder = tmp_path_factory.mktemp("official")
    files = samples.write_official_corpus(folder / "docs")
    kb = KnowledgeBase(Settings(kb_dir=folder / "kb"), embedder=embedder)
    from index.types import FileStatus

    report = kb.ingest([folder / "docs"])
    assert report.count(FileStatus.added) == len(files)
    yield kb, files
    kb.close()
