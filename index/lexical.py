"""Lexical retrieval: BM25 over jieba tokens.

Scoring uses bm25s (Lù 2024, "BM25S: Orders of magnitude faster lexical search via eager
sparse scoring"): it precomputes BM25 term weights into a sparse matrix, so a query is a
few sparse row sums, which keeps lexical search in the low milliseconds at 60k passages,
exposes k1/b and the BM25 variants for tuning, and saves to plain .npy/.json files.
bm25s cannot add or remove single documents, so this retriever keeps each passage's
token ids and rebuilds the matrix (seconds at 60k passages) when the set changes.
SQLite FTS5 was the alternative; its bm25() has fixed k1/b and is slower on long OR
queries, which the tuning and latency targets of later issues rule out.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import shutil
import unicodedata
from collections.abc import Iterable, Sequence
from importlib import resources
from pathlib import Path

import bm25s
import jieba
import numpy as np

from index.types import Allowed, ChunkFields, ScoredIds
from ingest.chunking import chinese_number
from ingest.official import find_doc_numbers, split_doc_number

log = logging.getLogger(__name__)

TERM_FREQUENCY = 100_000  # high enough that jieba keeps a user term whole
FORMAT_VERSION = 1
# Structure references and 文号 become one canonical token each before jieba runs, so 第39条 and
# 第三十九条 (jieba cuts the latter into 第三/十九/条), or 穗府办规[2024]13号 and 穗府办规〔2024〕13号,
# are the same term for BM25. Bumped when these rules change, which re-tokenises stored bases.
CANONICAL_FORMS = 1
_STRUCTURE_REFERENCE = re.compile(r"[第笫]\s*([0-9０-９]{1,4}|[一二三四五六七八九十百千零〇两]{1,8})\s*(条|章|节|款|项|编)")


def doc_number_tokens(number: str) -> list[str]:
    """The BM25 tokens of a normalised 文号: its year and number, then that with each ending of
    the agency code of two or more characters («13号», 规〔2024〕13号 is skipped: one character).

    Where a 文号 stands in a sentence the words before it cannot be told from its agency code
    (`ingest.official.split_doc_number`); every ending of the code is a token, so the query
    穗府办规[2024]13号 matches 「根据穗府办规〔2024〕13号」 on all its tokens, and 国办发〔2024〕13号
    only on the shared year and number.
    """
    agency, rest = split_doc_number(number)
    return [rest, *(agency[-length:] + rest for length in range(2, min(len(agency), 12) + 1))]


def canonical_references(text: str) -> tuple[str, list[str]]:
    """`text` with its article/chapter references and 文号 blanked out, and their canonical tokens.

    第三十九条 and 第39条 both give "第39条"; a 文号 in any bracket gives the tokens of its
    normalised form (`doc_number_tokens`).
    """
    tokens: list[str] = []
    spans: list[tuple[int, int]] = []
    for start, end, number in find_doc_numbers(text):
        tokens.extend(doc_number_tokens(number))
        spans.append((start, end))
    for match in _STRUCTURE_REFERENCE.finditer(text):
        if any(start < match.end() and match.start() < end for start, end in spans):
            continue  # the 第N号 of an order number is part of the 文号
        value = chinese_number(unicodedata.normalize("NFKC", match.group(1)))
        if value is not None:
            tokens.append(f"第{value}{match.group(2)}")
            spans.append(match.span())
    if not spans:
        return text, tokens
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars), tokens


def _read_word_list(text: str) -> list[tuple[str, int]]:
    """Lines of `term [frequency]`; '#' starts a comment."""
    words = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else TERM_FREQUENCY
        words.append((parts[0], freq))
    return words


def shipped_stopwords() -> frozenset[str]:
    text = resources.files("index").joinpath("stopwords.txt").read_text("utf-8")
    return frozenset(word for word, _ in _read_word_list(text))


def _is_noise(token: str) -> bool:
    """Whitespace, punctuation and symbols carry no meaning for BM25."""
    return all(unicodedata.category(ch)[0] in "PZSC" for ch in token)


class ChineseTokenizer:
    """jieba search-mode segmentation with a base's own terms kept whole and stop-words removed.

    The terms are the base's vocabulary, nothing shipped: `extra_terms` (what its documents
    define, `KnowledgeBase._vocabulary`) and the user dictionary. `version` fingerprints
    everything that changes the output, so an index built with a different dictionary (a base
    whose documents brought new terms, or one built when a term list was shipped) is detected
    and re-tokenised.
    """

    def __init__(
        self,
        extra_terms: Iterable[str] = (),
        user_dict: Path | None = None,
        cache_dir: Path | None = None,
    ) -> None:
        self._jieba = jieba.Tokenizer()
        self._tagger = None
        if cache_dir is not None:
            cache_dir.mkdir(parents=True, exist_ok=True)
            self._jieba.tmp_dir = str(cache_dir)
        terms: list[tuple[str, int]] = []
        if user_dict is not None:
            if not user_dict.is_file():
                raise ValueError(f"jieba user dictionary not found: {user_dict}")
            terms += _read_word_list(user_dict.read_text("utf-8"))
        terms += [(term, TERM_FREQUENCY) for term in extra_terms]
        self.terms = tuple(sorted(set(terms)))
        self.stopwords = shipped_stopwords()
        self._jieba.initialize()
        for term, freq in self.terms:
            self._jieba.add_word(term, freq)
        digest = hashlib.sha256(
            json.dumps([jieba.__version__, self.terms, sorted(self.stopwords), CANONICAL_FORMS],
                       ensure_ascii=False).encode()
        )
        self.version = digest.hexdigest()[:16]

    def tagged_words(self, text: str) -> list[tuple[str, str]]:
        """(word, part-of-speech tag) of the text in order (jieba's tagger over the base's
        dictionary), blanks dropped: for reading a question's phrases rather than indexing."""
        import jieba.posseg  # noqa: PLC0415 -- the tagger loads its model on first use

        if self._tagger is None:
            self._tagger = jieba.posseg.POSTokenizer(self._jieba)
        return [(pair.word, pair.flag) for pair in self._tagger.cut(text) if pair.word.strip()]

    def tokenize(self, text: str) -> list[str]:
        text, tokens = canonical_references(text)
        for token in self._jieba.cut_for_search(unicodedata.normalize("NFKC", text).lower()):
            token = token.strip()
            if token and token not in self.stopwords and not _is_noise(token):
                tokens.append(token)
        return tokens


class BM25Retriever:
    """BM25 over the chunks' tokens, keyed by chunk id.

    Saved state (one folder): ids.npy, token_ids.npy + offsets.npy (each chunk's tokens as
    ids into vocab.json), params.json, and bm25s' own files under bm25/.
    """

    def __init__(self, tokenizer: ChineseTokenizer, k1: float = 1.2, b: float = 0.75,
                 folder: Path | None = None) -> None:
        self.tokenizer = tokenizer
        self.folder = folder  # where `save` writes
        self.k1, self.b = k1, b
        self._vocab: dict[str, int] = {}
        self._docs: dict[int, np.ndarray] = {}  # chunk id -> token ids
        self._model: bm25s.BM25 | None = None
        self._model_ids = np.empty(0, dtype=np.int64)
        self._df: np.ndarray | None = None  # document frequency per token id, for query expansion
        self._tokens: list[str] | None = None  # token id -> token

    # -- changes ---------------------------------------------------------------------

    def add(self, ids: np.ndarray, texts: Sequence[str], fields: Sequence[ChunkFields] = ()) -> None:
        """Index (or re-index) chunks by their lexical texts; no other field is kept."""
        if len(ids) != len(texts):
            raise ValueError("ids and texts differ in length")
        for chunk_id, text in zip(ids.tolist(), texts):
            tokens = self.tokenizer.tokenize(text)
            self._docs[int(chunk_id)] = np.array(
                [self._vocab.setdefault(t, len(self._vocab)) for t in tokens], dtype=np.int32
            )
        self._model = self._df = None

    def remove(self, ids: np.ndarray) -> None:
        for chunk_id in ids.tolist():
            self._docs.pop(int(chunk_id), None)
        self._model = self._df = None

    def ids(self) -> np.ndarray:
        return np.fromiter(self._docs.keys(), dtype=np.int64, count=len(self._docs))

    def __len__(self) -> int:
        return len(self._docs)

    # -- search ----------------------------------------------------------------------

    def _ensure_model(self) -> bm25s.BM25:
        """The bm25s matrix for the current passages, rebuilt after any change."""
        if self._model is not None:
            return self._model
        ids = np.sort(self.ids())
        id_to_token = {i: t for t, i in self._vocab.items()}
        corpus = [[id_to_token[int(t)] for t in self._docs[int(c)]] for c in ids]
        model = bm25s.BM25(k1=self.k1, b=self.b)
        if corpus:
            model.index(corpus, show_progress=False)
        self._model, self._model_ids = model, ids
        return model

    def rebuild(self) -> None:
        """Recompute the BM25 matrix now rather than on the next search."""
        self._model = None
        self._ensure_model()

    def query_tokens(self, query: str) -> list[str]:
        return self.tokenizer.tokenize(query)

    def search(
        self, query: str, k: int, allowed: Allowed | None = None, extra_terms: Sequence[str] = ()
    ) -> ScoredIds:
        """Top-k chunk ids by BM25 score for the query's tokens plus `extra_terms`; only ids in
        `allowed` when given. Zero scores are dropped."""
        return self.search_tokens([*self.query_tokens(query), *extra_terms], k,
                                  None if allowed is None else allowed.ids)

    def describe(self) -> str:
        return "bm25"

    def expansion_terms(self, chunk_ids: Sequence[int], query: str, count: int) -> list[str]:
        """The `count` terms that best characterise some chunks: summed tf x idf over them.

        Pseudo-relevance feedback (Rocchio 1971; Lavrenko and Croft, "Relevance-based language
        models", SIGIR 2001): the best passages of a first search lend their vocabulary to the
        query, so a layperson's 老板不给工资 can reach articles that say 拖欠劳动报酬.
        Single characters and the query's own terms are left out.
        """
        if count < 1 or not len(chunk_ids):
            return []
        exclude = self.query_tokens(query)
        df = self._document_frequencies()
        weights: dict[int, float] = {}
        n = len(self._docs)
        for chunk_id in chunk_ids:
            tokens = self._docs.get(int(chunk_id))
            if tokens is None or not len(tokens):
                continue
            ids, tf = np.unique(tokens, return_counts=True)
            idf = np.log1p((n - df[ids] + 0.5) / (df[ids] + 0.5))
            for token_id, weight in zip(ids.tolist(), (tf / len(tokens) * idf).tolist()):
                weights[token_id] = weights.get(token_id, 0.0) + weight
        id_to_token = self._id_to_token()
        skip = set(exclude)
        ranked = sorted(weights.items(), key=lambda item: (-item[1], item[0]))
        terms = [id_to_token[t] for t, _ in ranked if len(id_to_token[t]) > 1 and id_to_token[t] not in skip]
        return terms[:count]

    def document_frequency(self, token: str) -> int:
        """How many indexed chunks hold `token` (0 for a token the index has never seen)."""
        token_id = self._vocab.get(token)
        return 0 if token_id is None else int(self._document_frequencies()[token_id])

    def _document_frequencies(self) -> np.ndarray:
        if self._df is None or len(self._df) < len(self._vocab):
            df = np.zeros(len(self._vocab), dtype=np.int64)
            for tokens in self._docs.values():
                df[np.unique(tokens)] += 1
            self._df = df
        return self._df

    def _id_to_token(self) -> list[str]:
        if self._tokens is None or len(self._tokens) < len(self._vocab):
            tokens = [""] * len(self._vocab)
            for token, token_id in self._vocab.items():
                tokens[token_id] = token
            self._tokens = tokens
        return self._tokens

    def search_tokens(self, query_tokens: Sequence[str], k: int, allowed: np.ndarray | None = None) -> ScoredIds:
        """`search` for a query already cut into tokens."""
        model = self._ensure_model()
        if not len(self._model_ids):
            return ScoredIds()
        vocab = model.vocab_dict
        tokens = [t for t in query_tokens if t in vocab]
        if not tokens:
            return ScoredIds()
        scores = model.get_scores(tokens)
        if allowed is not None:
            mask = np.isin(self._model_ids, allowed)
            scores = np.where(mask, scores, 0.0)
        candidates = np.flatnonzero(scores > 0)
        if len(candidates) > k:
            candidates = candidates[np.argpartition(-scores[candidates], k - 1)[:k]]
        order = candidates[np.lexsort((self._model_ids[candidates], -scores[candidates]))]
        return ScoredIds(self._model_ids[order], scores[order].astype(np.float32))

    # -- persistence -----------------------------------------------------------------

    def save(self, folder: Path | None = None) -> None:
        """Write the whole index to `folder` (by default its own), replacing it only once the new
        copy is complete."""
        folder = folder or self.folder
        if folder is None:
            raise ValueError("the BM25 index has no folder to be saved in")
        model = self._ensure_model()
        staging = folder.with_name(folder.name + ".new")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        ids = self._model_ids
        lengths = np.array([len(self._docs[int(c)]) for c in ids], dtype=np.int64)
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        flat = np.concatenate([self._docs[int(c)] for c in ids]) if len(ids) else np.empty(0, np.int32)
        np.save(staging / "ids.npy", ids)
        np.save(staging / "offsets.npy", offsets)
        np.save(staging / "token_ids.npy", flat.astype(np.int32))
        (staging / "vocab.json").write_text(json.dumps(self._vocab, ensure_ascii=False), "utf-8")
        params = {"format": FORMAT_VERSION, "k1": self.k1, "b": self.b, "tokenizer": self.tokenizer.version}
        (staging / "params.json").write_text(json.dumps(params), "utf-8")
        if len(ids):
            model.save(str(staging / "bm25"), show_progress=False)
        _swap_folder(staging, folder)

    @classmethod
    def load(cls, folder: Path, tokenizer: ChineseTokenizer, k1: float, b: float) -> BM25Retriever:
        """Load a saved index; raises ValueError when it is missing or was built differently."""
        params_file = folder / "params.json"
        if not params_file.is_file():
            raise ValueError(f"no BM25 index in {folder}")
        params = json.loads(params_file.read_text("utf-8"))
        wanted = {"format": FORMAT_VERSION, "k1": k1, "b": b, "tokenizer": tokenizer.version}
        if params != wanted:
            raise ValueError(f"BM25 index in {folder} was built with {params}, settings ask for {wanted}")
        retriever = cls(tokenizer, k1, b, folder)
        retriever._vocab = json.loads((folder / "vocab.json").read_text("utf-8"))
        ids = np.load(folder / "ids.npy")
        offsets = np.load(folder / "offsets.npy")
        flat = np.load(folder / "token_ids.npy")
        retriever._docs = {int(c): flat[offsets[i] : offsets[i + 1]] for i, c in enumerate(ids)}
        if len(ids):
            retriever._model = bm25s.BM25.load(str(folder / "bm25"), show_progress=False)
            retriever._model_ids = ids
        return retriever


    def drop(self) -> None:
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)


def _swap_folder(staging: Path, folder: Path) -> None:
    """Replace `folder` by `staging` so that a crash leaves one complete copy on disk."""
    old = folder.with_name(folder.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if folder.exists():
        folder.rename(old)
    staging.rename(folder)
    shutil.rmtree(old, ignore_errors=True)


def recover_folder(folder: Path) -> None:
    """After a crash during `_swap_folder`, put back the last complete copy."""
    old = folder.with_name(folder.name + ".old")
    if not folder.exists() and old.exists():
        old.rename(folder)
    shutil.rmtree(folder.with_name(folder.name + ".new"), ignore_errors=True)
