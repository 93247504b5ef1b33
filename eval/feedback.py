"""Turn the thumbs-up/down users gave answers into a BEIR benchmark of the base itself.

Every answer the API gives is stored with the passages it cited; feedback names the
answer. The export writes, into one folder:
- corpus.jsonl: every chunk of the base, `_id` = "<document id>:<start>-<end>" (stable while
  the document and the chunking settings stay the same), title = its citation label;
- queries.jsonl: each distinct question that got feedback on a real answer;
- qrels/feedback.tsv: grade 1 for the passages of answers judged helpful, grade 0 for those
  of answers judged unhelpful (a passage voted both ways keeps the majority; a tie counts
  as helpful). Abstentions carry no passage judgement and are skipped.

The folder is an ordinary dataset for `policykb eval retrieval` (passage mode).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from index.kb import KnowledgeBase


@dataclass(frozen=True)
class FeedbackExport:
    folder: Path
    passages: int
    queries: int
    judgements: int
    relevant: int
    skipped_abstentions: int
    skipped_unknown: int  # feedback on answers or passages no longer in the base


def unit_id(doc_id: str, start: int, end: int) -> str:
    return f"{doc_id}:{start}-{end}"


def query_id(question: str) -> str:
    return hashlib.sha1(question.strip().encode("utf-8")).hexdigest()[:12]


def export_feedback(kb: KnowledgeBase, folder: Path) -> FeedbackExport:
    """Write the feedback of `kb` as a BEIR folder; ValueError when there is nothing to export."""
    feedback = kb.store.feedback()
    if not feedback:
        raise ValueError("the base holds no feedback yet (users give it with the thumbs in the widget)")
    all_ids = kb.store.chunk_ids().tolist()
    chunks = kb.store.chunks(all_ids)
    votes: dict[tuple[str, str], list[bool]] = {}
    questions: dict[str, str] = {}
    abstentions = unknown = 0
    for row in feedback:
        if row["answer_kind"] is None or row["chunk_ids"] is None:
            unknown += 1
            continue
        if row["answer_kind"] == "none":
            abstentions += 1
            continue
        known = [chunks[c] for c in row["chunk_ids"] if c in chunks]
        if not known:
            unknown += 1
            continue
        qid = query_id(row["question"])
        questions[qid] = row["question"].strip()
        for chunk, _ in known:
            votes.setdefault((qid, unit_id(chunk.doc_id, chunk.start, chunk.end)), []).append(row["helpful"])
    if not votes:
        raise ValueError(
            f"no usable feedback: {abstentions} on abstentions, {unknown} on answers or passages no longer stored"
        )
    qrels = {key: int(sum(v) * 2 >= len(v)) for key, v in votes.items()}
    (folder / "qrels").mkdir(parents=True, exist_ok=True)
    corpus_lines = []
    for chunk_id in all_ids:
        chunk, citation = chunks[chunk_id]
        row = {"_id": unit_id(chunk.doc_id, chunk.start, chunk.end), "title": citation.label(), "text": chunk.text}
        corpus_lines.append(json.dumps(row, ensure_ascii=False))
    _write(folder / "corpus.jsonl", corpus_lines)
    _write(folder / "queries.jsonl",
           [json.dumps({"_id": q, "text": t}, ensure_ascii=False) for q, t in sorted(questions.items())])
    _write(folder / "qrels" / "feedback.tsv",
           ["query-id\tcorpus-id\tscore", *(f"{q}\t{u}\t{g}" for (q, u), g in sorted(qrels.items()))])
    return FeedbackExport(folder, len(corpus_lines), len(questions), len(qrels), sum(qrels.values()),
                          abstentions, unknown)


def _write(path: Path, lines: list[str]) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text("\n".join(lines) + "\n", "utf-8")
    os.replace(tmp, path)
