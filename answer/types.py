"""What `ask` returns: an answer of one of five kinds, with the sentences that support it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from index.types import Citation, Hit


class AnswerKind(str, Enum):
    glossary = "glossary"  # the expansion of a numbered slogan
    catalogue = "catalogue"  # fields of a standard-catalogue unit, category or item
    article = "article"  # the article (第N条) of a law the question names, found by structure
    passage = "passage"  # the best sentences of the retrieved passages
    none = "none"  # the base holds no answer


@dataclass(frozen=True)
class Evidence:
    """A citation narrowed to the supporting sentence: document.text[start:end] == sentence."""

    citation: Citation
    sentence: str
    start: int
    end: int


@dataclass(frozen=True)
class Answer:
    """`text` is shown to the user; `citations` back it; `passages` are the retrieved hits.

    For passage answers, `similarity` and `coverage` are the signals of the best sentence
    the abstention decision was taken on (see answer.abstain); they are 0 otherwise.
    """

    question: str
    text: str
    kind: AnswerKind
    citations: tuple[Evidence, ...]
    passages: tuple[Hit, ...]
    similarity: float = 0.0
    coverage: float = 0.0
