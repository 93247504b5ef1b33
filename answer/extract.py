"""Pick the sentences of retrieved passages that best answer a question."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from answer.qtypes import asked_types, held_share
from index.lexical import ChineseTokenizer
from index.types import Embedder, Hit
from ingest.chunking import OUTLINE_PATTERNS, STRUCTURE_PATTERNS, Level, iter_lines, split_sentences

MIN_SENTENCE_CHARS = 6  # shorter fragments (headings, bylines) never answer anything
TYPE_BONUS = 0.1  # added to a sentence stating every kind of fact the question asks for

@dataclass(frozen=True)
class ScoredSentence:
    hit: Hit
    start: int  # offsets in the document text
    end: int
    text: str
    similarity: float  # cosine between question and sentence embeddings
    coverage: float  # share of the question's content words found in the sentence
    typed: float = 0.0  # share of the kinds of fact the question asks for that it states (answer.qtypes)

    def score(self, weight: float, type_bonus: float = TYPE_BONUS) -> float:
        return self.similarity + weight * self.coverage + type_bonus * self.typed


def sentences_of(hit: Hit) -> list[tuple[int, int, str]]:
    """(start, end, text) of every sentence of a hit's chunk, with document offsets."""
    text = hit.chunk.text
    out = []
    for line_start, line_end in iter_lines(text):
        for start, end in split_sentences(text, line_start, line_end):
            if end - start >= MIN_SENTENCE_CHARS:
                out.append((hit.chunk.start + start, hit.chunk.start + end, text[start:end]))
    return out


def coverage(question_terms: set[str], text_terms: Sequence[str]) -> float:
    """Share of the question's distinct content words that occur in the text (0 when none)."""
    if not question_terms:
        return 0.0
    return len(question_terms & set(text_terms)) / len(question_terms)


def score_sentences(
    question: str,
    hits: Sequence[Hit],
    embedder: Embedder,
    tokenizer: ChineseTokenizer,
    question_vector: np.ndarray | None = None,
    weight: float = 0.5,
    encode_limit: int | None = None,
    encode_chars: int | None = None,
) -> list[ScoredSentence]:
    """The sentences of the hits, scored against the question by the same embeddings the
    dense index uses plus word overlap and the kinds of fact it asks for.

    Encoding is the cost of `ask`: a cold question would encode every sentence of its passages
    (20–40 texts) on the request path. With `encode_limit` the sentences are first ranked
    without the model (`shortlist`) and only that many are encoded and returned; None encodes
    them all; `encode_chars` encodes only the first that many characters of a longer sentence
    (the model's cost grows with the length). Sentences go through `encode_documents`, so with the base's caching embedder a
    sentence is encoded once and its vector reused by every later question that reaches it.
    """
    candidates = [(hit, s, e, t) for hit in hits for s, e, t in sentences_of(hit)]
    if not candidates:
        return []
    terms = set(tokenizer.tokenize(question))
    types = asked_types(question)
    covered = [coverage(terms, tokenizer.tokenize(t)) for _, _, _, t in candidates]
    typed = [held_share(types, question, t) for _, _, _, t in candidates]
    chosen = shortlist([h.chunk.id for h, _, _, _ in candidates],
                       [weight * c + TYPE_BONUS * y for c, y in zip(covered, typed)], encode_limit)
    if question_vector is None:
        question_vector = embedder.encode_queries([question])[0]
    vectors = embedder.encode_documents([candidates[i][3][:encode_chars] for i in chosen])
    similarities = np.asarray(vectors @ question_vector).tolist()
    return [ScoredSentence(*candidates[i], float(sim), covered[i], typed[i]) for i, sim in zip(chosen, similarities)]


def shortlist(groups: Sequence[object], cheap: Sequence[float], limit: int | None) -> list[int]:
    """Indexes of the sentences worth encoding, in their original order: the best by `cheap`
    score (overlap and asked kinds of fact, no model) of each group (passage) first, so that a
    paraphrase sharing no words still reaches every retrieved passage, then the best of the
    rest, `limit` in all. Ties keep the retrieval order. None or a limit above the count: all."""
    if limit is None or limit >= len(cheap):
        return list(range(len(cheap)))
    order = sorted(range(len(cheap)), key=lambda i: (-cheap[i], i))
    picked: list[int] = []
    seen: set[object] = set()
    for i in order:
        if groups[i] not in seen and len(picked) < limit:
            seen.add(groups[i])
            picked.append(i)
    taken = set(picked)
    picked += [i for i in order if i not in taken][: limit - len(picked)]
    return sorted(picked)


def best_sentences(scored: Sequence[ScoredSentence], weight: float, limit: int = 2) -> list[ScoredSentence]:
    """The best sentence, plus its neighbour in the same passage when that one scores nearly as well."""
    if not scored:
        return []
    ranked = sorted(scored, key=lambda s: -s.score(weight))
    best = ranked[0]
    chosen = [best]
    for other in ranked[1:]:
        if len(chosen) >= limit:
            break
        same_passage = other.hit.chunk.id == best.hit.chunk.id
        if same_passage and other.score(weight) >= 0.9 * best.score(weight):
            chosen.append(other)
    return sorted(chosen, key=lambda s: s.start)


# -- answer units ------------------------------------------------------------------------------

# A sentence that introduces a list ends in a colon (「学生纪律处分的种类分为：」「有下列情形之一的，
# 用人单位可以解除劳动合同：」); its items are the lines after it that open with an item label.
_LEAD_IN_END = re.compile(r"[：:]\s*$")
_ENUMERATED = re.compile(r"^[一二三四五六七八九十]+是")  # 一是…，二是…
MAX_UNIT_CHARS = 800  # a list longer than this is cut after the last whole item that fits


def is_item_line(line: str) -> bool:
    """A line opening with a list label: 一、 （一） 1. （1） ① or 一是."""
    return item_level(line) is not None


def item_level(line: str) -> int | None:
    """The outline level of a list label opening the line (一、 before （一） before 1. …), None for no label."""
    line = line.lstrip(" \t\u3000")
    levels = [level for level, pattern in OUTLINE_PATTERNS.items() if pattern.match(line)]
    if levels:
        return int(min(levels))
    return int(max(OUTLINE_PATTERNS)) + 1 if _ENUMERATED.match(line) else None


def answer_unit(text: str, start: int, end: int, max_chars: int = MAX_UNIT_CHARS) -> int:
    """Where the answer that starts with text[start:end] ends: after the list items that follow a
    lead-in sentence (ending in ：), up to the next line that is no item (a new article, chapter
    or paragraph) or `max_chars`; `end` itself when the sentence introduces no list.

    The items are read from the document text, so a list that runs past the passage the
    sentence was found in is answered whole.
    """
    if not _LEAD_IN_END.search(text[start:end]):
        return end
    unit_end = end
    position = text.find("\n", end)
    if position < 0 or text[end:position].strip():
        return end  # the lead-in does not end its line: no item lines follow it
    top = None  # the level of the first item: a label of a higher level (八、 after （二）) is the next section
    for line_start, line_end in iter_lines(text[position:]):
        line = text[position + line_start : position + line_end]
        level = item_level(line)
        if any(pattern.match(line) for pattern in STRUCTURE_PATTERNS.values()) or level is None:
            break
        top = level if top is None else top
        if level < top:
            break
        if position + line_end - start > max_chars:
            break
        unit_end = position + line_end
    return unit_end


WHOLE_SECTION_CHARS = 500  # an article or section up to this long is answered whole
_HEADINGS = tuple(pattern for level, pattern in STRUCTURE_PATTERNS.items() if level is not Level.ARTICLE)


def unit_span(
    text: str,
    sentence: tuple[int, int],
    section: tuple[int, int],
    neighbours: Sequence[tuple[int, int]] = (),
    heading: bool = False,
) -> tuple[int, int]:
    """The span of the answer built on `sentence` (offsets in the document `text`).

    A short article or section (`section`, at most WHOLE_SECTION_CHARS once the chapter and
    section headings that open it are left out) is answered whole: its conditions, amounts and
    exceptions come with it. In a longer one, the paragraph (line) holding the sentence when
    that is short enough, else the sentence and the `neighbours` that score nearly as well; a
    list lead-in comes with the items it introduces (answer_unit). A `heading` (the sentence is
    the line that opens its section, 「七、哪些情况需要申报停领失业保险金？」) is answered by the
    paragraph below it.
    """
    start, end = section
    for line_start, line_end in iter_lines(text[start:end]):
        if not any(p.match(text[start + line_start : start + line_end]) for p in _HEADINGS):
            start += line_start
            break
    if start <= sentence[0] and sentence[1] <= end and end - start <= WHOLE_SECTION_CHARS:
        # a section ending in a lead-in has its items as subsections (「（一）…」): they come too
        last_line = text.rfind("\n", start, end) + 1 or start
        return start, max(end, answer_unit(text, max(last_line, start), end))
    if heading:
        body = [(start + a, start + b) for a, b in iter_lines(text[start:end]) if start + a >= sentence[1]]
        if body:
            first, last = sentence[0], body[0][1]
            return first, max(last, answer_unit(text, body[0][0], last))
    line_start = text.rfind("\n", 0, sentence[0]) + 1
    line_end = text.find("\n", sentence[1])
    line_end = len(text) if line_end < 0 else line_end
    if line_end - line_start <= WHOLE_SECTION_CHARS:
        first, last = line_start, line_end
        while first < last and text[first].isspace():
            first += 1
    else:
        spans = [sentence, *(n for n in neighbours if line_start <= n[0] and n[1] <= line_end)]
        first, last = min(s for s, _ in spans), max(e for _, e in spans)
    return first, max(last, answer_unit(text, first, last))
