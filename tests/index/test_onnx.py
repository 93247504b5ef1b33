"""The ONNX Runtime backend against the torch model it was exported from (real model, real export)."""

from __future__ import annotations

import numpy as np
import pytest

from api.settings import Settings
from index.onnx import OnnxEmbedder
from tests.conftest import SEED, WUQING

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
    assert onnx.model_id.endswith("-onnx") and onnx.path.is_file()


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


def test_a_base_on_the_onnx_backend_searches_like_the_torch_one(tmp_path):
    from index.kb import KnowledgeBase

    with KnowledgeBase(Settings(kb_dir=tmp_path / "kb", embedding_backend="onnx")) as kb:
        kb.ingest([SEED])
        assert kb.stats()["model"].endswith("-onnx")
        hits = kb.search("村居建设的五清是什么", k=3, mode="dense")
        assert any("班子清廉" in hit.chunk.text for hit in hits)
        assert (tmp_path / "kb" / "cache" / "onnx").is_dir()
