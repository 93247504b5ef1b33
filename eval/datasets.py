"""Retrieval benchmarks in BEIR format: corpus.jsonl, queries.jsonl, qrels/<split>.tsv.

BEIR (Thakur et al., NeurIPS 2021 Datasets and Benchmarks) stores one passage per line
as {"_id", "title", "text", ...}, one query per line as {"_id", "text"}, and judgements as
a TSV with the header `query-id corpus-id score`. Extra corpus fields are kept, which is
how a law benchmark says which law and article a passage is (`law`, `article`).
"""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass, field, replace
from pathlib import Path

from ranx import Qrels


@dataclass(frozen=True)
class Passage:
    """One judged unit of the corpus. `fields` holds the extra keys of the JSON line as strings."""

    id: str
    title: str
    text: str
    fields: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    @property
    def indexed_text(self) -> str:
        """What passage mode indexes: the title line, then the text (BEIR's usual concatenation)."""
        return f"{self.title}\n{self.text}" if self.title else self.text


@dataclass(frozen=True)
class Query:
    id: str
    text: str


@dataclass(frozen=True)
class Dataset:
    """A loaded benchmark. `qrels` maps query id -> {passage id: grade}; grade 0 is judged irrelevant."""

    name: str
    folder: Path
    passages: dict[str, Passage]
    queries: tuple[Query, ...]
    qrels: dict[str, dict[str, int]]
    split: str

    def ranx_qrels(self) -> Qrels:
        return Qrels({q: dict(judged) for q, judged in self.qrels.items()}, name=f"{self.name}/{self.split}")

    def corpus_fingerprint(self) -> str:
        """Identifies the corpus file's content, so cached indexes are rebuilt when it changes."""
        digest = hashlib.sha256()
        with open(self.folder / "corpus.jsonl", "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()[:16]


def _read_jsonl(path: Path) -> list[dict]:
    rows = []
    with open(path, encoding="utf-8-sig") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                raise ValueError(f"{path}:{number}: not a JSON line ({error.msg})") from None
            if not isinstance(row, dict) or "_id" not in row:
                raise ValueError(f"{path}:{number}: expected an object with an \"_id\" field")
            rows.append(row)
    return rows


def read_qrels(path: Path) -> dict[str, dict[str, int]]:
    """A BEIR/TREC-style qrels TSV (`query-id corpus-id score`, header optional)."""
    qrels: dict[str, dict[str, int]] = {}
    with open(path, encoding="utf-8-sig", newline="") as handle:
        for number, row in enumerate(csv.reader(handle, delimiter="\t"), 1):
            if not row or (number == 1 and row[0] == "query-id"):
                continue
            if len(row) == 4:  # TREC qrels: query 0 doc grade
                row = [row[0], row[2], row[3]]
            if len(row) != 3:
                raise ValueError(f"{path}:{number}: expected query-id, corpus-id and score separated by tabs")
            try:
                grade = int(float(row[2]))
            except ValueError:
                raise ValueError(f"{path}:{number}: score {row[2]!r} is not a number") from None
            qrels.setdefault(row[0], {})[row[1]] = grade
    return qrels


def load_dataset(
    folder: Path, split: str = "", limit_queries: int | None = None, qrels: Path | None = None
) -> Dataset:
    """Load a BEIR folder; `split` picks qrels/<split>.tsv (the only one when there is one).

    `qrels` replaces the folder's judgements with another file over the same corpus, e.g.
    the validation questions a `policykb tune` run held out.

    Queries without a relevant judgement are dropped (they cannot be scored), as BEIR does.
    Judgements naming a passage the corpus lacks are an error: they would silently lower recall.
    """
    if not folder.is_dir():
        raise ValueError(f"benchmark folder not found: {folder}")
    for name in ("corpus.jsonl", "queries.jsonl"):
        if not (folder / name).is_file():
            raise ValueError(f"{folder} is not a BEIR dataset: {name} is missing")
    if qrels is not None:
        dataset = load_judgements(folder / "queries.jsonl", qrels, folder / "corpus.jsonl", split)
        return _limited(replace(dataset, name=folder.name), limit_queries)
    splits = sorted(p.stem for p in (folder / "qrels").glob("*.tsv")) if (folder / "qrels").is_dir() else []
    if not splits:
        raise ValueError(f"{folder} has no judgements: expected qrels/<split>.tsv")
    if not split:
        if len(splits) > 1:
            raise ValueError(f"{folder} has several splits {splits}; choose one with --split")
        split = splits[0]
    if split not in splits:
        raise ValueError(f"split {split!r} not in {folder}/qrels (found {splits})")

    dataset = load_judgements(folder / "queries.jsonl", folder / "qrels" / f"{split}.tsv", folder / "corpus.jsonl")
    return _limited(dataset, limit_queries)


def load_judgements(queries: Path, qrels: Path, corpus: Path | None = None, split: str = "") -> Dataset:
    """A dataset from explicit files: a queries JSONL, a qrels TSV, and the corpus JSONL.

    The corpus defaults to `corpus.jsonl` next to the queries file (a BEIR folder's layout),
    which is how `policykb tune` reads a benchmark or a feedback export.
    """
    corpus = corpus or queries.parent / "corpus.jsonl"
    for role, path in (("queries", queries), ("qrels", qrels), ("corpus", corpus)):
        if not path.is_file():
            raise ValueError(f"{role} file not found: {path}")
    passages = {}
    for row in _read_jsonl(corpus):
        extra = {k: str(v) for k, v in row.items() if k not in ("_id", "title", "text") and v is not None}
        passages[str(row["_id"])] = Passage(str(row["_id"]), str(row.get("title") or ""), str(row.get("text") or ""),
                                            extra)
    judged = read_qrels(qrels)
    unknown = sorted({d for judgements in judged.values() for d in judgements if d not in passages})
    if unknown:
        raise ValueError(f"{len(unknown)} judged passages are not in {corpus.name}, e.g. {unknown[:3]}")
    kept = tuple(
        Query(str(row["_id"]), str(row.get("text") or "").strip())
        for row in _read_jsonl(queries)
        if any(grade > 0 for grade in judged.get(str(row["_id"]), {}).values())
    )
    return _limited(Dataset(corpus.parent.name, corpus.parent, passages, kept, judged, split or qrels.stem), None)


def _limited(dataset: Dataset, limit_queries: int | None) -> Dataset:
    """Keep the first `limit_queries` judged queries (all when None) and only their judgements."""
    queries = dataset.queries if limit_queries is None else dataset.queries[:limit_queries]
    kept = {q.id for q in queries}
    return replace(dataset, queries=queries, qrels={q: j for q, j in dataset.qrels.items() if q in kept})


def split_queries(queries: tuple[Query, ...], tune_share: float) -> tuple[tuple[Query, ...], tuple[Query, ...]]:
    """A fixed tune/confirm split by a hash of the query id: the same on every machine and run."""

    def bucket(query: Query) -> float:
        return int(hashlib.sha1(query.id.encode("utf-8")).hexdigest()[:8], 16) / 0xFFFFFFFF

    tune = tuple(q for q in queries if bucket(q) < tune_share)
    confirm = tuple(q for q in queries if bucket(q) >= tune_share)
    return tune, confirm
