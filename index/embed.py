"""Text -> unit vectors: a sentence-transformers model, and a cache that never encodes a text twice."""

from __future__ import annotations

import functools
import hashlib
import logging
import queue
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from index.types import Embedder, ProgressCallback

if TYPE_CHECKING:
    from index.store import Store

log = logging.getLogger(__name__)


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def model_fingerprint(folder: Path) -> str:
    """A stable id for a local model: its folder name plus a hash of its config and weights.

    Vectors from different models must never mix in one cache or index. Configs are hashed
    whole; `.bin`/`.onnx` weights by size (the shipped m3e-small, cheap to open), `.safetensors`
    weights by content, which is what a fine-tuned model writes: two tunings of the same
    model under one name have identical sizes. The tuning record (tune.json) is metadata and
    does not count.
    """
    digest = hashlib.sha256()
    for file in sorted(folder.iterdir()):
        if not file.is_file() or file.name == "tune.json":
            continue
        if file.suffix == ".json":
            digest.update(file.name.encode())
            digest.update(file.read_bytes())
        elif file.suffix == ".safetensors":
            digest.update(file.name.encode())
            with open(file, "rb") as handle:
                for block in iter(lambda: handle.read(1 << 22), b""):
                    digest.update(block)
        elif file.suffix in {".bin", ".onnx"}:
            digest.update(file.name.encode())
            digest.update(str(file.stat().st_size).encode())
    return f"{folder.name}-{digest.hexdigest()[:12]}"


@functools.lru_cache(maxsize=4)
def _load_model(folder: str, device: str, model_id: str):
    """Load a model once per process and model version (`model_id` changes when the weights do).

    Every base a process opens (a server, `eval` over several bases, `check --repair`) shares
    the loaded weights; inference does not change them.
    """
    from sentence_transformers import SentenceTransformer  # heavy: import only when needed

    log.info("loading embedding model %s from %s", model_id, folder)
    return SentenceTransformer(folder, device=device)


class SentenceTransformerEmbedder:
    """A local sentence-transformers model on CPU; vectors are L2-normalised float32.

    The model is loaded on first use, so commands that only read the store stay fast.
    """

    def __init__(self, folder: Path, device: str = "cpu", batch_size: int = 32) -> None:
        self._folder = folder
        self._device = device
        self._batch_size = batch_size
        self._model_id = model_fingerprint(folder)
        self._model = None

    def _loaded(self):
        if self._model is None:
            self._model = _load_model(str(self._folder), self._device, self._model_id)
        return self._model

    @property
    def dim(self) -> int:
        model = self._loaded()
        # sentence-transformers 6 renamed the method; older releases only have the first name
        dim = (getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension)()
        if dim is None:
            raise ValueError(f"cannot tell the embedding size of the model in {self._folder}")
        return int(dim)

    @property
    def model_id(self) -> str:
        return self._model_id

    def _encode(self, texts: Sequence[str], batch_size: int) -> np.ndarray:
        if not texts:
            return np.empty((0, self.dim), dtype=np.float32)
        vectors = self._loaded().encode(
            list(texts), batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False
        )
        return np.asarray(vectors, dtype=np.float32)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self._batch_size)

    def encode_documents(self, texts: Sequence[str], on_progress: ProgressCallback | None = None) -> np.ndarray:
        if on_progress is None:
            return self._encode(texts, self._batch_size)
        parts = []
        step = self._batch_size * 4  # report progress every few batches
        for begin in range(0, len(texts), step):
            parts.append(self._encode(texts[begin : begin + step], self._batch_size))
            on_progress(len(parts[-1]))
        return np.concatenate(parts) if parts else self._encode([], 1)


class _Wrapper:
    """An Embedder around another one: same vectors' size and model id."""

    inner: Embedder

    @property
    def dim(self) -> int:
        return self.inner.dim

    @property
    def model_id(self) -> str:
        return self.inner.model_id


class CachedEmbedder(_Wrapper):
    """Wraps an Embedder so document vectors are looked up by text hash in the store first.

    `encoded` counts the texts that really went through the model, which is how the tests
    check that re-ingesting unchanged files encodes nothing.
    """

    def __init__(self, inner: Embedder, store: Store) -> None:
        self.inner = inner
        self.store = store
        self.encoded = 0

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.encode_queries(texts)

    def encode_documents(self, texts: Sequence[str], on_progress: ProgressCallback | None = None) -> np.ndarray:
        hashes = [text_hash(t) for t in texts]
        cached = self.store.cached_vectors(self.model_id, hashes)
        missing = sorted({h: i for i, h in enumerate(hashes) if h not in cached}.values())
        if missing:
            fresh = self.inner.encode_documents([texts[i] for i in missing], on_progress)
            self.encoded += len(missing)
            new = {hashes[i]: vector for i, vector in zip(missing, fresh)}
            self.store.cache_vectors(self.model_id, new)
            cached.update(new)
        if not texts:
            return np.empty((0, self.dim), dtype=np.float32)
        return np.stack([cached[h] for h in hashes]).astype(np.float32, copy=False)


class QueryBatcher(_Wrapper):
    """Wraps an Embedder so concurrent `encode_queries` calls share one model call (dynamic batching).

    A server answers each request in its own thread; left alone, eight simultaneous searches
    make eight model calls that fight over two cores. Here every caller queues its texts and
    one worker thread encodes whatever is waiting (up to `max_batch` texts) in a single call,
    so a busy server does fewer, larger calls and an idle one adds only a queue hop. Mean
    pooling over the attention mask makes a padded query's vector the same as its own.
    Measured on 2 cores it pays for torch but not for ONNX Runtime, whose separate calls run
    side by side (docs/benchmarks.md); the setting's default follows the backend.
    """

    def __init__(self, inner: Embedder, max_batch: int = 16) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self.inner = inner
        self.max_batch = max_batch
        self.calls = 0  # model calls made, for tests and benchmarks
        self._queue: queue.SimpleQueue[tuple[list[str], Future]] = queue.SimpleQueue()
        self._worker: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def encode_documents(self, texts: Sequence[str], on_progress: ProgressCallback | None = None) -> np.ndarray:
        return self.inner.encode_documents(texts, on_progress)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return self.inner.encode_queries(texts)
        future: Future = Future()
        self._queue.put((list(texts), future))
        self._ensure_worker()
        return future.result()

    def _ensure_worker(self) -> None:
        with self._start_lock:
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._work, name="query-encoder", daemon=True)
                self._worker.start()

    def _work(self) -> None:
        while True:
            batch = [self._queue.get()]
            size = len(batch[0][0])
            while size < self.max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                batch.append(item)
                size += len(item[0])
            texts = [text for item, _ in batch for text in item]
            try:
                vectors = self.inner.encode_queries(texts)
                self.calls += 1
            except Exception as error:  # noqa: BLE001 - handed to every waiting caller
                for _, future in batch:
                    future.set_exception(error)
                continue
            offset = 0
            for item, future in batch:
                future.set_result(vectors[offset : offset + len(item)])
                offset += len(item)
