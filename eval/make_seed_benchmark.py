"""Build eval/datasets/seed_beir/: a small BEIR benchmark over the seed article.

corpus.jsonl: the seed article's non-empty lines (its paragraphs), numbered p01, p02, ...
queries.jsonl: the answerable questions of seed_qa.jsonl.
qrels/test.tsv: a paragraph is relevant to a question when it holds every fact the
question expects (or, when no paragraph holds them all, each paragraph holding most of
them). Questions whose facts are only in the catalogue are left out.

Everything is derived mechanically from committed files, so the set can be rebuilt and a
test checks the committed copy against this script:
    python -m eval.make_seed_benchmark
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "corpus" / "000_5c55d41fe458c655.txt"
QA = ROOT / "eval" / "datasets" / "seed_qa.jsonl"
OUT = ROOT / "eval" / "datasets" / "seed_beir"


def build() -> dict[str, str]:
    """The three files' contents, keyed by relative path."""
    lines = [line.strip() for line in SEED.read_text("utf-8").splitlines() if line.strip()]
    passages = {f"p{i:02d}": text for i, text in enumerate(lines, 1)}
    corpus = [json.dumps({"_id": pid, "title": "", "text": text}, ensure_ascii=False) for pid, text in passages.items()]
    queries, qrels = [], ["query-id\tcorpus-id\tscore"]
    for line in QA.read_text("utf-8").splitlines():
        item = json.loads(line)
        if not item["answerable"] or not item.get("facts"):
            continue
        facts = item["facts"]
        held = {pid: sum(fact in text for fact in facts) for pid, text in passages.items()}
        best = max(held.values())
        if best == 0:
            continue
        queries.append(json.dumps({"_id": item["id"], "text": item["question"]}, ensure_ascii=False))
        qrels += [f"{item['id']}\t{pid}\t1" for pid, count in held.items() if count == best]
    return {
        "corpus.jsonl": "\n".join(corpus) + "\n",
        "queries.jsonl": "\n".join(queries) + "\n",
        "qrels/test.tsv": "\n".join(qrels) + "\n",
    }


def main() -> None:
    for name, text in build().items():
        path = OUT / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
