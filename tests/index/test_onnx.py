"""The ONNX Runtime backend against the torch model it was exported from (real model, real export)."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from config.settings import Settings
from index.embed import QueryBatcher
from index.onnx import OnnxEmbedder
from tests.conftest import REPO, SEED, WUQING

pytest.importorskip("onnxruntime", reason="the onnx extra is part of the test install")


@pytest.fixture(scope="module")
def passages() -> list[str]:
    """Real passages of very different lengths, so batches carry a lot of padding."""
    text = SEED.read_text("utf-8")
    paragraphs = [p.strip() for p in text.split("\n") if len(p.strip()) > 5]
    return [*paragraphs[:30], WUQING, "五清", "村居建设的五清是什么？"]


@pytest.fixture(scope="module")
def torch_vectors(embedder, passages) -> np.ndarray:
    return embedder.encode_documents(passages)


@pytest.fixture(scope="module")
def onnx_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("onnx-cache")


def test_fp32_export_gives_the_torch_vectors(passages, torch_vectors, onnx_dir):
    onnx = OnnxEmbedder(Settings().model_path(), onnx_dir, batch_size=8)
    vectors = onnx.encode_documents(passages)
    cosines = (vectors * torch_vectors).sum(axis=1)
    assert cosines.min() >= 0.99, cosines.min()
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-4)
    # Padded in a batch of mixed lengths == encoded alone.
    alone = np.stack([onnx.encode_queries([p])[0] for p in passages[-3:]])
    assert ((alone * vectors[-3:]).sum(axis=1) >= 0.9999).all()
    assert onnx.path.is_file()


def test_the_export_is_made_once_and_reused(passages, onnx_dir):
    first = OnnxEmbedder(Settings().model_path(), onnx_dir)
    first.encode_queries(["预热"])
    stamp = first.path.stat().st_mtime_ns
    again = OnnxEmbedder(Settings().model_path(), onnx_dir)
    again.encode_queries(["再次"])
    assert again.path == first.path and again.path.stat().st_mtime_ns == stamp


def test_int8_stays_close_and_has_its_own_identity(passages, torch_vectors, onnx_dir):
    int8 = OnnxEmbedder(Settings().model_path(), onnx_dir, quantize=True)
    vectors = int8.encode_documents(passages)
    assert (vectors * torch_vectors).sum(axis=1).min() >= 0.95
    assert int8.model_id.endswith("-onnx-int8")  # never shares cached vectors with fp32


def test_the_checked_fp32_export_shares_the_torch_models_id(embedder, onnx_dir):
    # It was checked against torch when exported, so cached vectors and FAISS files are shared.
    assert OnnxEmbedder(Settings().model_path(), onnx_dir).model_id == embedder.model_id


def test_a_torch_base_is_searched_on_onnx_without_re_encoding(tmp_path, embedder):
    from index.kb import KnowledgeBase

    with KnowledgeBase(Settings(kb_dir=tmp_path / "kb"), embedder=embedder) as kb:
        kb.ingest([SEED])
        torch_hits = [h.chunk.id for h in kb.search("村居建设的五清是什么", k=5, mode="dense")]
    with KnowledgeBase(Settings(kb_dir=tmp_path / "kb", embedding_backend="onnx")) as kb:
        assert kb.embedder.encoded == 0 and len(kb.dense) == kb.stats()["chunks"]  # the torch index, as is
        assert not isinstance(kb.embedder.inner, QueryBatcher)  # by default ONNX runs each query alone
        onnx_hits = kb.search("村居建设的五清是什么", k=5, mode="dense")
        assert [h.chunk.id for h in onnx_hits] == torch_hits
        assert any("班子清廉" in hit.chunk.text for hit in onnx_hits)
        assert (tmp_path / "kb" / "cache" / "onnx").is_dir()
    # Start-up stays fast: once exported, searching on this backend never imports torch or transformers.
    probe = ("import sys; from config.settings import Settings; from index.kb import KnowledgeBase; "
             "kb = KnowledgeBase(Settings()); kb.search('五清', k=1, mode='dense'); "
             "print(sorted(m for m in ('torch', 'transformers', 'sentence_transformers') if m in sys.modules))")
    env = {**os.environ, "POLICYKB_KB_DIR": str(tmp_path / "kb"), "POLICYKB_EMBEDDING_BACKEND": "onnx"}
    out = subprocess.run([sys.executable, "-c", probe], env=env, cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr[-2000:]


def test_a_bad_export_is_refused(tmp_path, monkeypatch):
    import index.onnx as onnx_module

    monkeypatch.setattr(onnx_module, "FP32_MIN_COSINE", 1.01)  # no export can pass this check
    with pytest.raises(ValueError, match="differs from the torch model"):
        onnx_module.export_onnx(Settings().model_path(), tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists() and not list(tmp_path.glob("*.tmp.onnx"))
