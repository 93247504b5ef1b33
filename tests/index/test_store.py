import sqlite3

import numpy as np
import pytest

from index.store import Store
from index.types import Filters
from ingest.types import Chunk, Document, Page


def make_doc(doc_id: str, source: str, text: str, kind: str = "text") -> Document:
    return Document(doc_id, title=f"标题{doc_id}", source=source, kind=kind, text=text, pages=(Page(1, 0, len(text)),))


@pytest.fixture
def store(tmp_path) -> Store:
    s = Store(tmp_path / "kb.sqlite")
    yield s
    s.close()


def test_wal_mode_and_schema(store, tmp_path):
    mode = sqlite3.connect(tmp_path / "kb.sqlite").execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_replace_document_swaps_chunks_in_one_go(store):
    doc = make_doc("aaa111", "/x/a.txt", "第一条 甲。第二条 乙。")
    chunks = [
        Chunk("aaa111", "第一条 甲。", 0, 6, ("第一条",), 1),
        Chunk("aaa111", "第二条 乙。", 6, 12, ("第二条",), 1),
    ]
    first, removed = store.replace_document(doc, chunks, "h1", 20)
    assert len(first) == 2 and len(removed) == 0
    changed = make_doc("bbb222", "/x/a.txt", "第一条 丙。")
    second, removed = store.replace_document(changed, chunks[:1], "h2", 10)
    assert sorted(removed.tolist()) == sorted(first.tolist())
    assert store.chunk_ids().tolist() == second.tolist()
    assert [r.id for r in store.documents()] == ["bbb222"]
    chunk, citation = store.chunks(second.tolist())[int(second[0])]
    assert chunk.section_path == ("第一条",) and citation.title == "标题bbb222" and citation.page == 1


def test_failed_transaction_leaves_store_unchanged(store):
    doc = make_doc("aaa111", "/x/a.txt", "正文。")
    store.replace_document(doc, [Chunk("aaa111", "正文。", 0, 3)], "h1", 9)
    bad = [Chunk("ccc333", "正文。", 0, 3), object()]  # the second row cannot be written
    with pytest.raises(AttributeError):
        store.replace_document(make_doc("ccc333", "/x/a.txt", "新正文。"), bad, "h3", 12)
    assert [r.id for r in store.documents()] == ["aaa111"]
    assert len(store.chunk_ids()) == 1


def test_resolve_by_prefix_or_source(store):
    store.replace_document(make_doc("abc123", "/x/a.txt", "甲。"), [Chunk("abc123", "甲。", 0, 2)], "h", 1)
    store.replace_document(make_doc("abd456", "/x/b.txt", "乙。"), [Chunk("abd456", "乙。", 0, 2)], "h2", 1)
    assert store.resolve_document("abc") == "abc123"
    assert store.resolve_document("/x/b.txt") == "abd456"
    with pytest.raises(ValueError, match="matches 2 documents"):
        store.resolve_document("ab")
    with pytest.raises(ValueError, match="no document matches"):
        store.resolve_document("zzz")


def test_filters_by_document_kind_and_section(store):
    a = make_doc("abc123", "/x/a.pdf", "甲乙", kind="pdf")
    store.replace_document(
        a,
        [Chunk(a.id, "甲", 0, 1, ("第二章 组织机构", "第八条")), Chunk(a.id, "乙", 1, 2, ("第三章 附则",))],
        "h",
        1,
    )
    b = make_doc("def456", "/x/b.txt", "丙")
    store.replace_document(b, [Chunk(b.id, "丙", 0, 1, ("第二章 组织机构",))], "h2", 1)
    ids = store.chunk_ids().tolist()
    assert store.allowed_ids(Filters(doc_ids=("abc",))).tolist() == ids[:2]
    assert store.allowed_ids(Filters(kinds=("text",))).tolist() == ids[2:]
    assert store.allowed_ids(Filters(section_prefix="第二章 组织机构>第八条")).tolist() == ids[:1]
    assert store.allowed_ids(Filters(section_prefix="第二章", kinds=("pdf",))).tolist() == ids[:1]
    assert store.allowed_ids(Filters(doc_ids=("abc123", "def"))).tolist() == ids  # a whole id and a prefix


def test_thousands_of_whole_document_ids_filter_in_one_query(store):
    """A question's place can be held by thousands of documents (one per article on STARD)."""
    for n in range(1500):
        doc = make_doc(f"doc{n:05d}", f"/x/{n}.txt", "海珠区。")
        store.replace_document(doc, [Chunk(doc.id, "海珠区。", 0, 4)], f"h{n}", 1)
    ids = tuple(f"doc{n:05d}" for n in range(0, 1500, 2))
    assert len(store.allowed_ids(Filters(doc_ids=ids))) == 750
    assert len(store.documents_mentioning(["海珠"], among=ids)) == 750
    with pytest.raises(ValueError, match="at most 200 document ids"):
        store.allowed_ids(Filters(doc_ids=tuple(f"zz{n}" for n in range(201))))


def test_embedding_cache_round_trip(store):
    vector = np.arange(4, dtype=np.float32)
    store.cache_vectors("m1", {"h1": vector})
    assert np.array_equal(store.cached_vectors("m1", ["h1", "h2"])["h1"], vector)
    assert store.cached_vectors("m2", ["h1"]) == {}


_ADDED_IN = {  # the columns each schema version added, dropped to make a base as older versions wrote it
    2: (("documents", "ocr"),),
    3: (("documents", "ocr_confidence"), ("chunks", "page_end"), ("chunks", "page_label"), ("chunks", "context")),
    4: (*(("documents", name) for name in ("doc_number", "issuer", "issued", "effective", "expires", "repealed",
                                           "status")), ("chunks", "article")),
}
_NOTICE = "穗测办〔2024〕3号\n测试市办公厅关于测试的通知\n第一页\n第五条 本通知自2024年9月1日起施行。"


@pytest.mark.parametrize("version", [1, 2, 3])
def test_an_older_base_gains_the_new_columns_on_open(tmp_path, version):
    path = tmp_path / "kb.sqlite"
    store = Store(path)
    doc = Document("d1", "测试市办公厅关于测试的通知", "docs/a.txt", "pdf", _NOTICE,
                   pages=(Page(1, 0, 30), Page(2, 30, len(_NOTICE))))
    store.replace_document(doc, [Chunk("d1", _NOTICE, 0, len(_NOTICE), ("第五条",), 1, page_end=2)], "h", 7, [])
    store.close()
    with sqlite3.connect(path) as db:
        db.execute("DROP INDEX chunks_article")
        for added in range(version + 1, 5):
            for table, column in _ADDED_IN[added]:
                db.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        db.execute("UPDATE meta SET value=? WHERE key='schema'", (str(version),))
    store = Store(path)
    try:
        columns = {row[1] for row in store._db.execute("PRAGMA table_info(chunks)")}
        columns |= {row[1] for row in store._db.execute("PRAGMA table_info(documents)")}
        assert {"ocr", "ocr_confidence", "page_end", "page_label", "context", "doc_number", "article"} <= columns
        assert store._db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()[0] == "4"
        (chunk, citation), = store.chunks(store.chunk_ids().tolist()).values()
        if version < 3:  # the old base knew one page
            assert (chunk.page, chunk.page_end, citation.pages_shown) == (1, 1, "1")
        # the official fields are read from the stored text, the article number from the section path
        assert (citation.doc_number, citation.article) == ("穗测办〔2024〕3号", 5)
        (record,) = store.documents()
        assert (record.official.issuer, record.official.effective) == ("测试市办公厅", "2024-09-01")
    finally:
        store.close()


def test_a_chunk_over_a_page_break_is_cited_by_its_printed_pages(tmp_path):
    store = Store(tmp_path / "kb.sqlite")
    doc = Document("d1", "手册", "docs/a.pdf", "pdf", "第一页\n第二页",
                   pages=(Page(1, 0, 3, label="79"), Page(2, 4, 7, label="80")))
    chunk = Chunk("d1", "第一页\n第二页", 0, 7, ("第六条",), 1, page_end=2, context="手册 › 第六条")
    store.replace_document(doc, [chunk], "h", 7, [])
    try:
        (stored, citation), = store.chunks(store.chunk_ids().tolist()).values()
        assert (stored.page, stored.page_end, stored.context) == (1, 2, "手册 › 第六条")
        assert citation.label() == "手册 · 第六条 · 第79–80页"
        assert store.lexical_texts(store.chunk_ids().tolist()) == ["手册 › 第六条\n第一页\n第二页"]
        assert store.chunk_texts(store.chunk_ids().tolist()) == ["第一页\n第二页"]
        assert store.document("d1").pages[1].label == "80"
    finally:
        store.close()
