"""Answer quality on a question set: facts contained, citations right, abstention precision/recall."""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from answer.ask import ask
from answer.types import Answer, AnswerKind
from index.kb import KnowledgeBase

DEFAULT_DATASET = Path(__file__).parent / "datasets" / "seed_qa.jsonl"


@dataclass(frozen=True)
class QAItem:
    id: str
    question: str
    answerable: bool
    expect: str
    facts: tuple[str, ...]
    citations: tuple[tuple[str, str], ...]  # acceptable (source file name, section-path prefix)
    type: str = ""  # the kind of question: list, number, date, article, off_topic … (eval/datasets/README.md)


@dataclass(frozen=True)
class QAOutcome:
    item: QAItem
    answer: Answer
    facts_ok: bool
    citation_ok: bool

    @property
    def abstained(self) -> bool:
        return self.answer.kind is AnswerKind.none


def load_qa(path: Path = DEFAULT_DATASET) -> list[QAItem]:
    """Read a QA set (JSONL, fields as in eval/datasets/README.md) with line-numbered errors."""
    if not path.is_file():
        raise ValueError(f"QA set not found: {path}")
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            items.append(
                QAItem(
                    str(row["id"]), row["question"], bool(row["answerable"]), row.get("expect", ""),
                    tuple(row.get("facts", ())),
                    tuple((c["source"], c.get("section", "")) for c in row.get("citations", ())),
                    str(row.get("type", "")),
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError) as error:
            raise ValueError(f"{path}:{number}: not a valid QA line ({error})") from error
    return items


def judge(item: QAItem, answer: Answer) -> QAOutcome:
    """Facts: every required fact occurs in the answer text. Citation: one of the answer's
    citations comes from an accepted file and lies under the accepted section prefix."""
    compact = "".join(answer.text.split())
    facts_ok = answer.kind is not AnswerKind.none and all("".join(f.split()) in compact for f in item.facts)
    citation_ok = answer.kind is not AnswerKind.none and any(
        Path(e.citation.source).name == source and e.citation.section.startswith(section)
        for e in answer.citations
        for source, section in item.citations
    )
    return QAOutcome(item, answer, facts_ok, citation_ok)


def run_qa(kb: KnowledgeBase, items: Sequence[QAItem]) -> list[QAOutcome]:
    return [judge(item, ask(kb, item.question)) for item in items]


def summarize(outcomes: Sequence[QAOutcome]) -> dict[str, float | int]:
    answerable = [o for o in outcomes if o.item.answerable]
    unanswerable = [o for o in outcomes if not o.item.answerable]
    abstained = [o for o in outcomes if o.abstained]
    correct_abstentions = sum(1 for o in abstained if not o.item.answerable)
    return {
        "questions": len(outcomes),
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        # the targets of issue #15: every required fact and a correct citation; unanswerable ones refused
        "answered_right": _share(sum(o.facts_ok and o.citation_ok for o in answerable), len(answerable)),
        "refused_right": _share(sum(o.abstained for o in unanswerable), len(unanswerable)),
        "facts_share": _share(sum(o.facts_ok for o in answerable), len(answerable)),
        "citation_share": _share(sum(o.citation_ok for o in answerable), len(answerable)),
        "abstention_precision": _share(correct_abstentions, len(abstained)),
        "abstention_recall": _share(correct_abstentions, len(unanswerable)),
        "abstained": len(abstained),
    }


def by_type(outcomes: Sequence[QAOutcome]) -> dict[str, dict[str, float | int]]:
    """`summarize` per question type (items without a type under "")."""
    types: dict[str, list[QAOutcome]] = {}
    for outcome in outcomes:
        types.setdefault(outcome.item.type, []).append(outcome)
    return {name: summarize(group) for name, group in sorted(types.items())}


def half(items: Sequence[QAItem], name: str) -> list[QAItem]:
    """The development half, the report half (a fixed split by a hash of the id, the one
    calibration uses), or all items."""
    if name == "all":
        return list(items)
    development, report = split_for_calibration(items)
    if name in ("dev", "development"):
        return development
    if name == "report":
        return report
    raise ValueError(f"unknown half {name!r}; use all, dev or report")


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def answer_without_abstention(kb: KnowledgeBase, items: Sequence[QAItem]) -> list[QAOutcome]:
    """Outcomes with the passage-abstention thresholds switched off, to replay any thresholds later."""
    original = kb.settings
    kb.settings = original.model_copy(update={"abstain_min_similarity": -1.0, "abstain_min_coverage": 0.0})
    try:
        return run_qa(kb, items)
    finally:
        kb.settings = original


def apply_thresholds(outcomes: Sequence[QAOutcome], min_similarity: float, min_coverage: float) -> list[QAOutcome]:
    """What `ask` would have decided with these thresholds (only passage answers depend on them)."""
    return [_apply(o, min_similarity, min_coverage) for o in outcomes]


def handled_right(outcomes: Sequence[QAOutcome]) -> float:
    """Share of questions handled right: answerable ones answered with all facts, the others declined."""
    right = sum((o.item.answerable and o.facts_ok) or (not o.item.answerable and o.abstained) for o in outcomes)
    return _share(right, len(outcomes))


def sweep(
    open_outcomes: Sequence[QAOutcome],
    similarities: Sequence[float] = tuple(x / 100 for x in range(50, 91, 2)),
    coverages: Sequence[float] = tuple(x / 100 for x in range(0, 61, 5)),
) -> list[dict[str, float]]:
    """Score every pair of abstention thresholds, best first (most questions handled right,
    then the surest abstentions, then the most facts; ties go to the loosest thresholds)."""
    rows = []
    for min_sim, min_cov in itertools.product(similarities, coverages):
        decided = apply_thresholds(open_outcomes, min_sim, min_cov)
        rows.append({"min_similarity": min_sim, "min_coverage": min_cov,
                     "handled_right": handled_right(decided), **summarize(decided)})
    rows.sort(key=lambda r: (-r["handled_right"], -r["abstention_precision"], -r["facts_share"],
                             r["min_similarity"], r["min_coverage"]))
    return rows


def split_for_calibration(items: Sequence[QAItem]) -> tuple[list[QAItem], list[QAItem]]:
    """A fixed half/half split by a hash of the question id: (tuning part, held-out part)."""
    tune, held_out = [], []
    for item in items:
        (tune if int(hashlib.sha1(item.id.encode()).hexdigest(), 16) % 2 == 0 else held_out).append(item)
    return tune, held_out


def calibrate(kb: KnowledgeBase, items: Sequence[QAItem]) -> dict:
    """Choose the thresholds on the tuning half, report them on the held-out half and on all items."""
    open_outcomes = answer_without_abstention(kb, items)
    tune_ids = {item.id for item in split_for_calibration(items)[0]}
    tune = [o for o in open_outcomes if o.item.id in tune_ids]
    held_out = [o for o in open_outcomes if o.item.id not in tune_ids]
    rows = sweep(tune)
    best = rows[0]
    chosen = (best["min_similarity"], best["min_coverage"])
    return {
        "min_similarity": chosen[0],
        "min_coverage": chosen[1],
        "tuning": {"handled_right": best["handled_right"], **summarize(apply_thresholds(tune, *chosen))},
        "held_out": {"handled_right": handled_right(apply_thresholds(held_out, *chosen)),
                     **summarize(apply_thresholds(held_out, *chosen))},
        "all": {"handled_right": handled_right(apply_thresholds(open_outcomes, *chosen)),
                **summarize(apply_thresholds(open_outcomes, *chosen))},
        "top_rows": rows[:10],
    }


def _apply(outcome: QAOutcome, min_similarity: float, min_coverage: float) -> QAOutcome:
    """The outcome `ask` would give with these thresholds (only passage answers depend on them)."""
    answer = outcome.answer
    if answer.kind is AnswerKind.passage and (answer.similarity < min_similarity or answer.coverage < min_coverage):
        declined = Answer(answer.question, "", AnswerKind.none, (), answer.passages, answer.similarity,
                          answer.coverage)
        return QAOutcome(outcome.item, declined, False, False)
    return outcome
