"""The knowledge base end to end: real files, the real model, real SQLite/FAISS/BM25."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from index.types import FileStatus, Filters, SearchMode
from tests.conftest import SEED, WUQING


def status_by_name(report) -> dict[str, FileStatus]:
    return {Path(r.path).name: r.status for r in report.results}


def test_bad_files_are_reported_and_the_rest_ingested(built):
    kb, report = built
    failed = [r for r in report.results if r.status is FileStatus.failed]
    assert failed, "the sample folder holds a corrupt PDF and an empty file"
    assert all(r.message for r in failed)
    added = [r for r in report.results if r.status is FileStatus.added]
    assert {Path(r.path).suffix for r in added} >= {".pdf", ".docx", ".html", ".txt"}
    assert SEED.name in {Path(r.path).name for r in added}
    assert kb.stats()["documents"] == len(added)
    assert kb.stats()["chunks"] == report.chunks == len(kb.dense) == len(kb.lexical)


@pytest.mark.parametrize("mode", list(SearchMode))
def test_wuqing_passage_comes_first_in_every_mode(built_kb, mode):
    hits = built_kb.search("村居的五清", k=5, mode=mode)
    assert WUQING in hits[0].chunk.text
    assert hits[0].citation.source.endswith(SEED.name)
    assert hits[0].rank == 1 and hits[0].mode is mode
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))


def test_search_params_shape_one_search_and_leave_the_settings_alone(built_kb, embedder):
    """A SearchParams value ranks like a base whose settings say the same, and changes nothing else."""
    from dataclasses import replace

    from index.kb import KnowledgeBase

    before = built_kb.settings
    query = "村居建设的五清是什么"
    rrf = replace(built_kb.search_params, fusion="rrf", rerank="none")
    by_value = [(h.chunk.id, round(h.score, 6)) for h in built_kb.search(query, k=8, params=rrf)]
    configured = built_kb.settings.model_copy(update={"fusion": "rrf", "rerank": "none"})
    with KnowledgeBase(configured, embedder=embedder) as other:
        by_settings = [(h.chunk.id, round(h.score, 6)) for h in other.search(query, k=8)]
    assert by_value == by_settings
    assert by_value != [(h.chunk.id, round(h.score, 6)) for h in built_kb.search(query, k=8)]  # convex + rerank
    assert built_kb.settings is before and built_kb.search_params.fusion == "convex"


def test_hit_citation_points_into_the_document(built_kb):
    hit = built_kb.search("村居建设的五清是什么", k=1)[0]
    doc = built_kb.store.document(hit.citation.doc_id)
    assert doc.text[hit.citation.start : hit.citation.end] == hit.chunk.text
    assert hit.citation.section_path == hit.chunk.section_path
    assert hit.citation.title in hit.citation.label()


def test_pdf_hits_carry_page_numbers(built_kb):
    pdf_hits = built_kb.search("办法", k=20, mode="bm25", filters=Filters(kinds=("pdf",)))
    assert pdf_hits and all(h.citation.kind == "pdf" for h in pdf_hits)
    assert all(h.citation.page is not None and h.citation.page >= 1 for h in pdf_hits)
    assert {h.citation.page for h in pdf_hits} >= {1, 2}


def test_filters_by_document_and_section(built_kb):
    seed_id = next(d.id for d in built_kb.documents() if d.source.endswith(SEED.name))
    hits = built_kb.search("清廉建设", k=10, filters=Filters(doc_ids=(seed_id[:8],)))
    assert hits and all(h.citation.doc_id == seed_id for h in hits)
    section = hits[0].chunk.section_path[0]
    narrowed = built_kb.search("清廉建设", k=10, filters=Filters(section_prefix=section))
    assert narrowed and all(h.chunk.section.startswith(section) for h in narrowed)


def test_bad_search_arguments_raise_clear_errors(built_kb):
    with pytest.raises(ValueError, match="empty"):
        built_kb.search("   ")
    with pytest.raises(ValueError, match="k must be"):
        built_kb.search("五清", k=0)
    with pytest.raises(ValueError, match="unknown search mode"):
        built_kb.search("五清", mode="fuzzy")


def test_reingesting_an_unchanged_folder_encodes_nothing(built, sample_dir):
    kb, first = built
    again = kb.ingest([sample_dir])
    assert again.encoded == 0
    statuses = status_by_name(again)
    for result in first.results:
        expected = FileStatus.failed if result.status is FileStatus.failed else FileStatus.unchanged
        assert statuses[Path(result.path).name] is expected


def copy_seed_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    shutil.copy(SEED, folder / "seed.txt")
    (folder / "rules.md").write_text(
        "# 会议制度\n\n第一条 每月召开一次工作例会，通报清廉单元建设进展。\n\n"
        "第二条 例会纪要在三个工作日内印发。\n",
        encoding="utf-8",
    )
    return folder


def test_changed_file_replaces_its_old_chunks(make_kb, tmp_path):
    kb = make_kb()
    folder = copy_seed_folder(tmp_path)
    kb.ingest([folder])
    rules_id = next(d.id for d in kb.documents() if d.source.endswith("rules.md"))
    old_ids = set(kb.store.allowed_ids(Filters(doc_ids=(rules_id,))).tolist())
    (folder / "rules.md").write_text(
        "# 会议制度\n\n第一条 每季度召开一次调度会，研究解决重点难点问题。\n", encoding="utf-8"
    )
    report = kb.ingest([folder])
    assert status_by_name(report) == {"seed.txt": FileStatus.unchanged, "rules.md": FileStatus.updated}
    all_ids = set(kb.store.chunk_ids().tolist())
    assert not old_ids & all_ids
    assert not old_ids & set(kb.dense.ids().tolist())
    assert not old_ids & set(kb.lexical.ids().tolist())
    assert "调度会" in kb.search("季度调度会", k=1, mode="bm25")[0].chunk.text
    assert not any("例会纪要" in h.chunk.text for h in kb.search("例会纪要印发", k=5, mode="bm25"))


def test_remove_deletes_from_store_faiss_and_bm25(make_kb, tmp_path):
    kb = make_kb()
    kb.ingest([copy_seed_folder(tmp_path)])
    seed_id = next(d.id for d in kb.documents() if d.source.endswith("seed.txt"))
    seed_chunks = set(kb.store.allowed_ids(Filters(doc_ids=(seed_id,))).tolist())
    record = kb.remove(seed_id[:10])
    assert record.id == seed_id
    assert [d.source.endswith("rules.md") for d in kb.documents()] == [True]
    for ids in (kb.store.chunk_ids(), kb.dense.ids(), kb.lexical.ids()):
        assert not seed_chunks & set(ids.tolist())
    assert all(WUQING not in h.chunk.text for h in kb.search("五清", k=5))
    kb.close()
    reopened = make_kb()  # the saved indexes agree with the store too
    assert reopened.sync() == {"dense": 0, "bm25": 0}
    with pytest.raises(ValueError, match="no document matches"):
        reopened.remove(seed_id)


def test_same_text_under_another_name_is_a_duplicate(make_kb, tmp_path):
    kb = make_kb()
    folder = copy_seed_folder(tmp_path)
    shutil.copy(SEED, folder / "copy-of-seed.txt")
    statuses = status_by_name(kb.ingest([folder]))
    assert sorted(statuses.values()) == sorted([FileStatus.added, FileStatus.added, FileStatus.duplicate])
    assert len(kb.documents()) == 2


def test_lost_indexes_are_rebuilt_from_the_store_without_encoding(make_kb, tmp_path):
    kb = make_kb()
    kb.ingest([copy_seed_folder(tmp_path)])
    kb.close()
    for faiss_file in (tmp_path / "kb").glob("dense-*.faiss"):
        faiss_file.unlink()
    shutil.rmtree(tmp_path / "kb" / "lexical")
    reopened = make_kb()
    assert reopened.embedder.encoded == 0
    assert len(reopened.dense) == len(reopened.lexical) == reopened.stats()["chunks"]
    assert WUQING in reopened.search("村居的五清", k=1)[0].chunk.text


def test_catalogue_rows_glossary_and_vocabulary_follow_the_documents(make_kb, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "目录.csv").write_text(
        "一级单元,二级大类,三级项目,标准内容,牵头部门\n"
        "清廉社区,居务公开,财务公开,每季度公开一次收支,示范市民政局\n"
        ",居务公开,党务公开,按月公开,\n",
        encoding="utf-8",
    )
    (folder / "制度.txt").write_text("社区坚持“三亮”：亮身份、亮职责、亮承诺。\n", encoding="utf-8")
    kb = make_kb()
    report = kb.ingest([folder])
    catalogue_result = next(r for r in report.results if r.path.endswith(".csv"))
    assert catalogue_result.status is FileStatus.added and catalogue_result.chunks == 1
    assert "row 3: missing 一级单元" in catalogue_result.message  # the bad row is reported, the rest kept
    [record] = kb.catalogue()
    assert record.item.path == ("清廉社区", "居务公开", "财务公开")
    assert record.citation.section == "清廉社区 > 居务公开 > 财务公开"
    [entry] = kb.glossary("三亮")
    assert entry.items == ("亮身份", "亮职责", "亮承诺")
    assert "三亮" in kb.tokenizer.tokenize("三亮是什么") and "财务公开" in kb.tokenizer.tokenize("财务公开")
    assert len(kb.lexical) == kb.stats()["chunks"]
    kb.remove(entry.citation.doc_id)
    assert kb.glossary("三亮") == [] and "三亮" not in {term for term, _ in kb.tokenizer.terms}


def test_catalogue_hits_cite_their_row(corpus_kb):
    hit = corpus_kb.search("村务清爽 三公开", k=5, filters=Filters(kinds=("catalogue",)))[0]
    assert hit.citation.section_path == ("清廉村居", "村务清爽", "三公开")
    assert hit.citation.row == 8  # the CSV's header is row 1
    assert hit.citation.label().endswith("清廉村居 > 村务清爽 > 三公开 · 第8行")


def test_document_rerank_reorders_the_fused_candidates(built_kb):
    from index.rerank import document_rerank
    from index.types import ScoredIds

    query = "清廉学校建设的标准"
    original = built_kb.settings
    try:
        built_kb.settings = original.model_copy(update={"rerank": "none"})
        plain = built_kb.search(query, k=200)
        lexical = [h.chunk.id for h in built_kb.search(query, k=5, mode="bm25")]
        built_kb.settings = original.model_copy(update={"rerank": "document"})
        reranked = built_kb.search(query, k=5)
        assert [h.chunk.id for h in built_kb.search(query, k=5, mode="bm25")] == lexical  # hybrid only
    finally:
        built_kb.settings = original
    ids = np.array([h.chunk.id for h in plain], dtype=np.int64)
    scores = np.array([h.score for h in plain])
    expected = document_rerank(ScoredIds(ids, scores), [h.citation.title for h in plain], original.rerank_weight)
    assert [h.chunk.id for h in reranked] == expected.ids[:5].tolist()
    assert [h.score for h in reranked] == pytest.approx(expected.scores[:5].tolist())


# -- official documents: filters, the documents list, articles by structure -------------------


def _titles(hits) -> set[str]:
    return {hit.citation.title for hit in hits}


def test_the_documents_list_carries_what_each_document_states(official_kb):
    kb, _ = official_kb
    by_title = {record.title: record.official for record in kb.documents()}
    current = by_title["示范市人力资源局关于发放见习补贴的通知"]
    assert (current.doc_number, current.issuer, current.issued) == ("示人社规〔2024〕5号", "示范市人力资源局", "2024-05-06")
    assert (current.effective, current.expires) == ("2024-06-01", "2029-05-31")
    assert by_title["示范劳动法"].effective == "2020-01-01"


def test_search_filters_by_issuer_date_range_and_validity(official_kb):
    kb, _ = official_kb
    everything = _titles(kb.search("补贴发放标准", k=20))
    assert len({t for t in everything if t.endswith("补贴的通知")}) == 3
    hr = _titles(kb.search("补贴发放标准", k=20, filters=Filters(issuers=("人力资源局",))))
    assert hr == {"示范市人力资源局关于发放见习补贴的通知", "示范市人力资源局关于发放培训补贴的通知"}
    recent = _titles(kb.search("补贴发放标准", k=20, filters=Filters(issued_from="2023-01-01", issued_to="2023-12-31")))
    assert recent == {"示范市教育局关于发放助学补贴的通知"}
    in_force = _titles(kb.search("补贴发放标准", k=20, filters=Filters(in_force_on="2026-12-02")))
    assert "示范市人力资源局关于发放培训补贴的通知" not in in_force  # 2018 + 有效期3年: expired
    assert {"示范市人力资源局关于发放见习补贴的通知", "示范劳动法"} <= in_force  # the law states no end
    before = _titles(kb.search("补贴发放标准", k=20, filters=Filters(in_force_on="2024-05-20")))
    assert "示范市人力资源局关于发放见习补贴的通知" not in before  # not yet in force on that day


def test_citations_carry_the_doc_number_and_the_article(official_kb):
    kb, _ = official_kb
    hit = kb.search("见习补贴", k=1)[0]
    assert hit.citation.doc_number == "示人社规〔2024〕5号"
    assert hit.citation.label().startswith("示范市人力资源局关于发放见习补贴的通知（示人社规〔2024〕5号）")
    (article,) = [h for h in kb.search("书面劳动合同 一个月内", k=5) if h.citation.title == "示范劳动法"][:1]
    assert article.citation.article == 3


@pytest.mark.parametrize(
    ("question", "title"),
    [("示范劳动法第三条说了什么", "示范劳动法"), ("示范劳动法第3条", "示范劳动法"),
     ("《示范劳动法实施条例》第三条", "示范劳动法实施条例"), ("示范劳动法实施条例第3条是什么", "示范劳动法实施条例")],
)
def test_an_article_is_found_by_structure_in_either_numeral(official_kb, question, title):
    kb, _ = official_kb
    hits = kb.article(question, 3)
    assert {h.citation.title for h in hits} == {title}
    assert all(h.citation.article == 3 for h in hits)


def test_no_article_without_a_named_document(official_kb):
    kb, _ = official_kb
    assert kb.article("第三条说了什么", 3) == []
    assert kb.article("示范劳动法第九十条", 90) == []
    # the rules have four articles: their 第五条 is missing, not 第五条 of the law (a shorter name)
    assert kb.article("示范劳动法实施条例第五条", 5) == []
    assert {h.citation.title for h in kb.article("示范劳动法第五条", 5)} == {"示范劳动法"}


# -- search pages: diversified groups, closeness (issue #15) --------------------------------


def test_one_group_fills_at_most_its_share_while_other_close_results_are_left():
    from index.hybrid import diversify_by_group

    groups = ["rows", "rows", "rows", "rows", "text", "rows", "text"]
    # a cap of ceil(4 x 0.5) = 2: the third and fourth rows wait until no other close result is left
    assert diversify_by_group(groups, [True] * 7, k=4, share=0.5) == [0, 1, 4, 6]
    # all one group: it fills the page in rank order
    assert diversify_by_group(["rows"] * 5, [True] * 5, k=3, share=0.5) == [0, 1, 2]


def test_close_results_come_before_weak_ones_even_over_the_cap():
    from index.hybrid import diversify_by_group

    groups = ["rows", "rows", "rows", "text", "text"]
    close = [True, True, True, False, True]
    # close tier: rows 0, 1 under the cap, text 4, then row 2 over the cap; the weak text 3 comes last
    assert diversify_by_group(groups, close, k=5, share=0.5) == [0, 1, 2, 4, 3]
    assert diversify_by_group(groups, close, k=3, share=0.5) == [0, 1, 4]
    with pytest.raises(ValueError, match="k must be at least 1"):
        diversify_by_group(groups, close, k=0, share=0.5)
    with pytest.raises(ValueError, match="share"):
        diversify_by_group(groups, close, k=3, share=0.0)


def test_a_catalogue_name_finds_the_passage_that_explains_it(corpus_kb):
    from index.kb import result_type

    plain = corpus_kb.search_page("清廉村居", k=10, diversify=False)
    assert [h.chunk.id for h in plain.hits] == [h.chunk.id for h in corpus_kb.search("清廉村居", k=10)]
    # the plain ranking fills the page with the unit's bare rows (清廉村居 > 村务清爽, > 思想清正 …)
    assert not any(WUQING in h.chunk.text for h in plain.hits)
    page = corpus_kb.search_page("清廉村居", k=10)
    assert any(WUQING in h.chunk.text for h in page.hits)  # the article's sentence on 清廉村居's 五清
    entries = sum(result_type(h) == "entry" for h in page.hits)
    assert entries < sum(result_type(h) == "entry" for h in plain.hits)
    assert page.close and [h.rank for h in page.hits] == list(range(1, 11))
    flags = [page.is_close(i) for i in range(len(page.hits))]
    assert flags == sorted(flags, reverse=True)  # close hits first


def test_closeness_is_cosine_plus_weighted_coverage(corpus_kb):
    hits = corpus_kb.search("村务清爽", k=3)
    vector = corpus_kb.embedder.encode_queries(["村务清爽"])[0]
    cosines = corpus_kb.embedder.encode_documents([h.chunk.text for h in hits]) @ vector
    # the first hit is the row 清廉村居 > 村务清爽: every term of the query is in it, so coverage is 1
    [closeness] = corpus_kb.closeness("村务清爽", hits[:1], vector)
    assert closeness == pytest.approx(float(cosines[0]) + 1.0, abs=1e-5)
    original = corpus_kb.settings
    try:
        corpus_kb.settings = original.model_copy(update={"search_coverage_weight": 0.0})
        assert corpus_kb.closeness("村务清爽", hits, vector) == pytest.approx(cosines.tolist(), abs=1e-5)
    finally:
        corpus_kb.settings = original


def test_nothing_is_close_to_an_off_topic_query(corpus_kb):
    page = corpus_kb.search_page("周末带孩子去哪里钓鱼比较好", k=10)
    assert page.hits and not page.close
    assert max(page.closeness) < corpus_kb.settings.search_min_closeness
    assert corpus_kb.search_page("村务清爽", k=10).close


def test_what_shaped_the_indexes_is_saved_beside_them_and_checked_on_open(make_kb, sample_dir):
    import json

    from index.kb import KnowledgeBase
    from index.types import IndexParams

    kb = make_kb()
    kb.ingest([sample_dir / SEED.name])
    saved = json.loads((kb.dir / "index.json").read_text("utf-8"))
    assert IndexParams.from_json(saved) == kb.settings.index_params() and saved["backend"] == "local"
    settings, embedder = kb.settings, kb.embedder.inner
    kb.close()

    # BM25's parameters changed: that index is rebuilt from the store and the new ones saved.
    with KnowledgeBase(settings.model_copy(update={"bm25_k1": 1.5}), embedder=embedder) as other:
        assert other.embedder.encoded == 0 and len(other.lexical) == other.stats()["chunks"]
        assert json.loads((kb.dir / "index.json").read_text("utf-8"))["bm25_k1"] == 1.5
        assert not other.load_problems
    # Another cut of the documents: said, not silently mixed.
    with KnowledgeBase(settings.model_copy(update={"bm25_k1": 1.5, "chunk_max_chars": 500}),
                       embedder=embedder) as other:
        assert any(p.startswith("chunking:") and "chunk_max_chars" in p for p in other.load_problems)
    # Another backend than the one the base is on: refused with the command that moves it.
    with pytest.raises(ValueError, match="reindex --backend milvus"):
        KnowledgeBase(settings.model_copy(update={"index_backend": "milvus"}), embedder=embedder)
