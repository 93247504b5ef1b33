from pathlib import Path

import numpy as np
import pytest

from index.lexical import BM25Retriever, ChineseTokenizer, recover_folder
from index.types import Allowed


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory) -> ChineseTokenizer:
    return ChineseTokenizer(cache_dir=tmp_path_factory.mktemp("jieba"))


def test_a_base_s_terms_stay_whole_and_noise_is_dropped(tmp_path, tokenizer):
    text = "村居建设的“五清”是什么？三公开、五必晒！"
    assert tokenizer.terms == ()  # no vocabulary is shipped: jieba alone cuts 五必晒 into 五必 / 晒
    assert "五必晒" not in tokenizer.tokenize(text)
    tokens = ChineseTokenizer(extra_terms=("三公开", "五必晒"), cache_dir=tmp_path).tokenize(text)
    assert "五清" in tokens and "三公开" in tokens and "五必晒" in tokens
    assert "的" not in tokens and "是" not in tokens and "什么" not in tokens
    assert not any(t in tokens for t in ("“", "”", "？", "、", "！"))


def test_full_width_letters_are_folded(tokenizer):
    assert tokenizer.tokenize("ＡＢＣ") == tokenizer.tokenize("abc")


def test_user_dictionary_changes_the_version(tmp_path, tokenizer):
    user_dict = tmp_path / "terms.txt"
    user_dict.write_text("# comment\n清风廉韵\n", encoding="utf-8")
    custom = ChineseTokenizer(user_dict=user_dict, cache_dir=tmp_path)
    assert "清风廉韵" in custom.tokenize("打造清风廉韵品牌")
    assert custom.version != tokenizer.version
    with pytest.raises(ValueError, match="not found"):
        ChineseTokenizer(user_dict=tmp_path / "missing.txt")


def test_a_base_learns_its_terms_from_its_documents(make_kb, tmp_path):
    """The terms a document defines are kept whole once it is ingested, the stored passages
    are re-tokenised with them, and the base reopens on the saved index without a rebuild."""
    kb = make_kb()
    before = kb.tokenizer.version
    assert kb.tokenizer.tokenize("五必晒") == ["五必", "晒"]
    doc = tmp_path / "docs" / "村务.txt"
    doc.parent.mkdir()
    doc.write_text("村务公开做到“五必晒”：晒党务、晒村务、晒财务、晒服务、晒事务。\n", encoding="utf-8")
    kb.ingest([doc.parent])
    assert "五必晒" in dict(kb.tokenizer.terms) and kb.tokenizer.version != before
    assert kb.lexical.document_frequency("五必晒") == 1
    kb.save()
    reopened = make_kb()
    assert reopened.load_problems == [] and reopened.tokenizer.version == kb.tokenizer.version
    kb.remove(str(doc.resolve()))
    assert kb.tokenizer.version == before and kb.lexical.document_frequency("五必晒") == 0


def test_bm25_ranks_add_remove_and_filter(tokenizer):
    retriever = BM25Retriever(tokenizer)
    retriever.add(
        np.array([10, 11, 12]),
        ["村务公开要做到三公开、五必晒。", "学校食堂监管和师德师风。", "公务用车做到六个不得。"],
    )
    found = retriever.search("三公开是什么", k=5)
    assert found.ids.tolist() == [10]
    assert retriever.search("六个不得", k=5, allowed=Allowed(np.array([10, 11]))).ids.tolist() == []
    retriever.remove(np.array([10]))
    assert retriever.search("三公开", k=5).ids.tolist() == []
    assert sorted(retriever.ids().tolist()) == [11, 12]
    assert retriever.search("完全无关的词语组合", k=5).ids.tolist() == []


def test_bm25_save_and_load_round_trip(tmp_path, tokenizer):
    retriever = BM25Retriever(tokenizer, k1=1.2, b=0.75)
    retriever.add(np.array([1, 2]), ["医院药品集采规范。", "医保基金使用问题。"])
    retriever.save(tmp_path / "lexical")
    loaded = BM25Retriever.load(tmp_path / "lexical", tokenizer, 1.2, 0.75)
    assert loaded.search("医保基金", k=2).ids.tolist() == retriever.search("医保基金", k=2).ids.tolist() == [2]
    loaded.add(np.array([3]), ["医保基金监管。"])
    assert sorted(loaded.search("医保基金", k=5).ids.tolist()) == [2, 3]
    with pytest.raises(ValueError, match="built with"):
        BM25Retriever.load(tmp_path / "lexical", tokenizer, 1.5, 0.75)
    with pytest.raises(ValueError, match="no BM25 index"):
        BM25Retriever.load(tmp_path / "nothing", tokenizer, 1.2, 0.75)


def test_interrupted_swap_is_recovered(tmp_path: Path, tokenizer):
    retriever = BM25Retriever(tokenizer)
    retriever.add(np.array([1]), ["三资管理"])
    folder = tmp_path / "lexical"
    retriever.save(folder)
    folder.rename(folder.with_name("lexical.old"))  # a crash between the two renames
    (tmp_path / "lexical.new").mkdir()  # and a half-written copy
    recover_folder(folder)
    assert not (tmp_path / "lexical.new").exists()
    assert BM25Retriever.load(folder, tokenizer, 1.2, 0.75).ids().tolist() == [1]


def test_expansion_terms_come_from_the_feedback_passages(tokenizer):
    retriever = BM25Retriever(tokenizer)
    retriever.add(
        np.array([1, 2, 3, 4]),
        [
            "用人单位拖欠劳动报酬的，劳动者可以申请支付令。",
            "用人单位应当按时足额支付劳动报酬，不得拖欠。",
            "公务用车做到六个不得。",
            "学校食堂监管和师德师风。",
        ],
    )
    query = retriever.query_tokens("老板不给工资怎么办")
    terms = retriever.expansion_terms([1, 2], "老板不给工资怎么办", count=10)
    assert "拖欠" in terms and {"劳动报酬", "报酬"} & set(terms)
    assert not set(terms) & set(query) and all(len(t) > 1 for t in terms)
    assert not {"公务用车", "食堂"} & set(terms)  # nothing from passages outside the feedback
    # the expanded query now reaches the articles the colloquial one could not
    assert retriever.search("老板不给工资怎么办", k=5).ids.tolist() == []
    assert set(retriever.search("老板不给工资怎么办", k=5, extra_terms=terms).ids.tolist()) == {1, 2}
    assert retriever.expansion_terms([], "老板不给工资怎么办", count=4) == []


@pytest.mark.parametrize(
    ("query", "passage"),
    [("第39条", "第三十九条 劳动者有下列情形之一的"), ("第三十九条", "第39条 劳动者有下列情形之一的"),
     ("第一百零五条", "第105条"), ("第二章", "第2章 总则")],
)
def test_article_numbers_in_either_numeral_are_one_token(tokenizer, query, passage):
    (token,) = [t for t in tokenizer.tokenize(query) if t.startswith("第")]
    assert token in tokenizer.tokenize(passage)


def test_bm25_finds_an_article_written_in_the_other_numeral(tokenizer):
    retriever = BM25Retriever(tokenizer)
    retriever.add(np.array([1, 2, 3]), ["第三十九条 劳动者有下列情形之一的，用人单位可以解除劳动合同。",
                                        "第三十条 用人单位应当按照劳动合同约定支付劳动报酬。",
                                        "第九条 用人单位招用劳动者，不得扣押劳动者的居民身份证。"])
    assert retriever.search("第39条", 3).ids.tolist()[0] == 1
    assert retriever.search("第9条", 3).ids.tolist()[0] == 3  # not 第三十九条, whose 十九 jieba would match


def test_doc_numbers_in_any_bracket_match_and_others_only_share_the_year(tokenizer):
    retriever = BM25Retriever(tokenizer)
    retriever.add(np.array([1, 2, 3]), ["根据穗府办规〔2024〕13号的规定执行。", "依照国办发〔2024〕13号执行。",
                                        "另见穗府办规〔2023〕13号。"])
    ranked = retriever.search("穗府办规[2024]13号", 3)
    assert ranked.ids.tolist()[0] == 1
    assert ranked.scores[0] > 2 * ranked.scores[1]  # the others share one token of many
    assert tokenizer.tokenize("国务院令 第 535 号")[0] == "第535号"  # an order number is no article reference
    assert "国务院令第535号" in tokenizer.tokenize("中华人民共和国国务院令第535号")
