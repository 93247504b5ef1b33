"""The query batcher with the real model: concurrent queries share model calls and get their own vectors."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from index.embed import QueryBatcher

QUESTIONS = ["村居建设的五清是什么", "公务用车有哪些不得", "三公开五必晒指什么", "清廉学校分几类",
             "月提示季调度半年督导年终考评", "老板不给工资怎么办", "医院药品集采怎么监管", "机关的五好标准"]


def test_concurrent_queries_share_calls_and_get_the_vectors_they_would_get_alone(embedder):
    batcher = QueryBatcher(embedder, max_batch=16)
    alone = np.stack([embedder.encode_queries([q])[0] for q in QUESTIONS])
    with ThreadPoolExecutor(max_workers=len(QUESTIONS)) as pool:
        for _ in range(3):
            together = np.stack([v[0] for v in pool.map(lambda q: batcher.encode_queries([q]), QUESTIONS)])
            np.testing.assert_allclose(together, alone, atol=1e-5)  # padding inside a batch changes nothing
    assert batcher.calls < 3 * len(QUESTIONS)  # some calls carried several questions
    assert batcher.encode_queries(QUESTIONS[:3]).shape == (3, embedder.dim)
    assert batcher.model_id == embedder.model_id and batcher.dim == embedder.dim


def test_a_failing_model_call_reaches_every_waiting_caller():
    class Broken:
        dim, model_id = 4, "broken"

        def encode_queries(self, texts):
            raise RuntimeError("model crashed")

    batcher = QueryBatcher(Broken())
    with pytest.raises(RuntimeError, match="model crashed"):
        batcher.encode_queries(["问题"])
    with pytest.raises(RuntimeError, match="model crashed"):  # the worker survives and serves the next call
        batcher.encode_queries(["问题"])
    with pytest.raises(ValueError):
        QueryBatcher(Broken(), max_batch=0)


def test_the_default_batches_queries_on_torch_only_and_the_setting_overrides_it(tmp_path, embedder):
    from config.settings import Settings
    from index.kb import KnowledgeBase

    with KnowledgeBase(Settings(kb_dir=tmp_path / "a")) as kb:  # default backend torch, default size
        assert isinstance(kb.embedder.inner, QueryBatcher)
    with KnowledgeBase(Settings(kb_dir=tmp_path / "b", query_batch_size=1)) as kb:
        assert not isinstance(kb.embedder.inner, QueryBatcher)
