"""The embedding model on ONNX Runtime: exported once into the base's cache, fp32 or int8.

The export wraps the transformer with its mean pooling and L2 normalisation, so the graph
returns the final sentence vectors. Pooling multiplies by the attention mask, which is why
a text padded inside a batch gets the same vector as the text alone (tested). The int8
variant is onnxruntime's dynamic quantisation of the fp32 export (weights int8,
activations quantised on the fly; Jacob et al., CVPR 2018).

The fp32 export computes the same function as the torch model: right after exporting,
both encode a probe set and the export is kept only if every cosine is at least
FP32_MIN_COSINE. That is why it shares the torch model's id (and so its cached vectors and
FAISS index): a base built with one backend is searched with the other without re-encoding.
The int8 variant gives different vectors and has its own id.

At run time only onnxruntime and the `tokenizers` library are imported (not torch or
transformers), which is what makes a server on this backend start in a few seconds.
Texts are sorted by length before they are cut into batches, so little compute goes to
padding.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from index.embed import SentenceTransformerEmbedder, model_fingerprint
from index.types import ProgressCallback

log = logging.getLogger(__name__)

INPUTS = ("input_ids", "attention_mask", "token_type_ids")
FP32_MIN_COSINE = 0.9999
PROBES = ("村居建设的五清是什么", "第五十四条 自然人从事工商业经营，经依法登记，为个体工商户。", "预热",
          "清廉衡阳建设标准化工作领导小组办公室坚持月提示、季调度、半年督导、年终考评。" * 3)


def _pooling_mode(folder: Path) -> str:
    config = folder / "1_Pooling" / "config.json"
    if not config.is_file():
        return "mean"  # what sentence-transformers assumes for a plain transformer folder (m3e-small)
    settings = json.loads(config.read_text("utf-8"))
    modes = [key for key, on in settings.items() if key.startswith("pooling_mode_") and on is True]
    return "mean" if modes == ["pooling_mode_mean_tokens"] else ",".join(modes)


def max_length(folder: Path) -> int:
    """The model's own token limit: sentence-transformers' setting, else the tokenizer's, at most 512."""
    config = folder / "sentence_bert_config.json"
    if config.is_file():
        value = json.loads(config.read_text("utf-8")).get("max_seq_length")
        if isinstance(value, int) and value > 0:
            return value
    tokenizer_config = folder / "tokenizer_config.json"
    if tokenizer_config.is_file():
        value = json.loads(tokenizer_config.read_text("utf-8")).get("model_max_length")
        if isinstance(value, int) and 0 < value < 100_000:
            return value
    return 512


def export_onnx(folder: Path, target: Path, quantize: bool = False) -> Path:
    """Write `folder`'s model with pooling as ONNX to `target` (atomic); int8 when `quantize`."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    mode = _pooling_mode(folder)
    if mode != "mean":
        raise ValueError(f"the ONNX backend supports mean pooling only; {folder} uses {mode}")
    target.parent.mkdir(parents=True, exist_ok=True)
    fp32 = target.with_name(target.stem + ".fp32.tmp.onnx") if quantize else target.with_suffix(".tmp.onnx")

    class Pooled(torch.nn.Module):
        def __init__(self, model: torch.nn.Module) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            hidden = self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, dim=-1)

    tokenizer = AutoTokenizer.from_pretrained(str(folder))
    # Eager attention traces into plain ops; the fused SDPA path bakes some shape checks into the graph.
    model = Pooled(AutoModel.from_pretrained(str(folder), attn_implementation="eager")).eval()
    sample = tokenizer(["示例文本", "另一个较长一些的示例文本"], padding=True, return_tensors="pt")
    axes = {name: {0: "batch", 1: "tokens"} for name in INPUTS}
    with torch.no_grad():
        torch.onnx.export(
            model, tuple(sample[name] for name in INPUTS), str(fp32), input_names=list(INPUTS),
            output_names=["embedding"], dynamic_axes={**axes, "embedding": {0: "batch"}}, opset_version=17,
            dynamo=False,
        )
    if quantize:
        from onnxruntime.quantization import QuantType, quantize_dynamic

        staging = target.with_suffix(".tmp.onnx")
        quantize_dynamic(str(fp32), str(staging), weight_type=QuantType.QInt8)
        fp32.unlink()
        fp32 = staging
    else:
        _check_against_torch(folder, fp32)
    os.replace(fp32, target)
    return target


def _check_against_torch(folder: Path, exported: Path) -> None:
    """Refuse an fp32 export whose vectors differ from the torch model's (it would share their id)."""
    reference = SentenceTransformerEmbedder(folder).encode_queries(list(PROBES))  # the process's loaded model
    session = _session(exported)
    vectors = _run(session, _tokenizer(folder, max_length(folder)), list(PROBES))
    worst = float((vectors * reference).sum(axis=1).min())
    if worst < FP32_MIN_COSINE:
        exported.unlink(missing_ok=True)
        raise ValueError(f"the ONNX export of {folder} differs from the torch model (cosine {worst:.5f} < "
                         f"{FP32_MIN_COSINE}); use POLICYKB_EMBEDDING_BACKEND=torch")
    log.info("ONNX export checked against torch: lowest cosine %.6f", worst)


def _session(path: Path):
    try:
        import onnxruntime as ort
    except ImportError:
        raise ValueError("the onnx embedding backend needs onnxruntime: pip install 'policykb[onnx]'") from None
    options = ort.SessionOptions()
    options.intra_op_num_threads = os.cpu_count() or 1
    # Idle worker threads sleep instead of spinning: they would otherwise take the cores from
    # FAISS and BM25, which run right after each query is encoded.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _tokenizer(folder: Path, limit: int):
    """The model's fast tokenizer straight from tokenizer.json (the same Rust tokenizer transformers wraps)."""
    from tokenizers import Tokenizer

    path = folder / "tokenizer.json"
    if not path.is_file():
        raise ValueError(f"the onnx backend needs {path} (a fast tokenizer); use POLICYKB_EMBEDDING_BACKEND=torch")
    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.enable_truncation(limit)
    tokenizer.enable_padding()
    return tokenizer


def _run(session, tokenizer, texts: Sequence[str]) -> np.ndarray:
    encoded = tokenizer.encode_batch(list(texts))
    ids = np.array([e.ids for e in encoded], dtype=np.int64)
    feed = {
        "input_ids": ids,
        "attention_mask": np.array([e.attention_mask for e in encoded], dtype=np.int64),
        "token_type_ids": np.array([e.type_ids for e in encoded], dtype=np.int64),
    }
    return session.run(None, feed)[0].astype(np.float32, copy=False)


class OnnxEmbedder:
    """Embedder protocol on ONNX Runtime; the export is made on first use and kept in `cache_dir`."""

    def __init__(self, folder: Path, cache_dir: Path, quantize: bool = False, batch_size: int = 32) -> None:
        self._folder = folder
        self._quantize = quantize
        self._batch_size = batch_size
        base_id = model_fingerprint(folder)
        # fp32 is checked to give the torch vectors, so it shares their id; int8 does not.
        self._model_id = f"{base_id}-onnx-int8" if quantize else base_id
        self._path = cache_dir / "onnx" / f"{base_id}-onnx{'-int8' if quantize else ''}.onnx"
        self._session = None
        self._tokenizer = None
        self._max_length = max_length(folder)

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def path(self) -> Path:
        return self._path

    def _loaded(self):
        if self._session is None:
            if not self._path.is_file():
                log.info("exporting %s to ONNX (%s), once", self._folder, "int8" if self._quantize else "fp32")
                export_onnx(self._folder, self._path, self._quantize)
            self._tokenizer = _tokenizer(self._folder, self._max_length)
            self._session = _session(self._path)
        return self._session

    @property
    def dim(self) -> int:
        return int(self._encode_batch(["维度"]).shape[1])

    def _encode_batch(self, texts: Sequence[str]) -> np.ndarray:
        session = self._loaded()
        return _run(session, self._tokenizer, texts)

    def _encode(self, texts: Sequence[str], on_progress: ProgressCallback | None = None) -> np.ndarray:
        if not texts:
            return np.empty((0, self.dim), dtype=np.float32)
        order = np.argsort([-len(t) for t in texts], kind="stable")  # similar lengths share a batch
        out = np.empty((len(texts), 0), dtype=np.float32)
        for begin in range(0, len(texts), self._batch_size):
            rows = order[begin : begin + self._batch_size]
            vectors = self._encode_batch([texts[i] for i in rows])
            if out.shape[1] == 0:
                out = np.empty((len(texts), vectors.shape[1]), dtype=np.float32)
            out[rows] = vectors
            if on_progress is not None:
                on_progress(len(rows))
        return out

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts)

    def encode_documents(self, texts: Sequence[str], on_progress: ProgressCallback | None = None) -> np.ndarray:
        return self._encode(texts, on_progress)
