"""Questions that name an article, over real laws: is that article of that law what `ask` answers with?

    python scripts/eval_articles.py [REALDOCS_DIR]   # default ../shared/bench/realdocs/docs

Builds a throw-away base from realdocs' 劳动合同法 (PDF and DOCX), its 实施条例 (PDF and DOCX) and
the 学生手册 compilation, then asks:
- 「<law>第N条是怎么规定的」 for every article N of both laws and two numbers past the last, in
  Arabic and in Chinese numerals: right when the answer is of kind `article`, every citation is
  article N of a document of that law; past the last, right when the answer says the law has
  no such article;
- 「<regulation>第N条说了什么」 for the first, middle and last article of every regulation of
  the compilation: right when every citation is article N under that regulation's title.
Prints the two scores and every failure. Nothing is written outside a temp dir.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from answer.ask import ask
from config.settings import Settings
from index.kb import KnowledgeBase
from ingest.chunking import regulation_title

LAWS = {  # the name a question uses -> (its number of articles, the titles its documents carry)
    "劳动合同法": (98, {"劳动合同法", "中华人民共和国劳动合同法"}),
    "劳动合同法实施条例": (38, {"劳动合同法实施条例", "中华人民共和国劳动合同法实施条例"}),
}
FILES = ("pdf/中华人民共和国劳动合同法.pdf", "docx/劳动合同法.docx", "pdf/中华人民共和国劳动合同法实施条例.pdf",
         "docx/劳动合同法实施条例.docx", "pdf/学生手册.pdf")
DIGITS = "零一二三四五六七八九"


def chinese(number: int) -> str:
    """1 -> 一, 15 -> 十五, 42 -> 四十二, 105 -> 一百零五, 110 -> 一百一十 (as article labels write them)."""
    if number < 10:
        return DIGITS[number]
    if number < 100:
        tens, ones = divmod(number, 10)
        return ("" if tens == 1 else DIGITS[tens]) + "十" + (DIGITS[ones] if ones else "")
    hundreds, rest = divmod(number, 100)
    head = DIGITS[hundreds] + "百"
    if rest == 0:
        return head
    if rest < 10:
        return head + "零" + DIGITS[rest]
    return head + ("一" if rest < 20 else "") + chinese(rest)


def main(folder: Path) -> int:
    with tempfile.TemporaryDirectory(prefix="policykb-articles-") as tmp:
        kb = KnowledgeBase(Settings(kb_dir=Path(tmp) / "kb"))
        kb.ingest([folder / name for name in FILES])
        failures: list[str] = []
        right = total = 0
        for law, (count, titles) in LAWS.items():
            for number in [*range(1, count + 1), count + 5, count + 30]:
                for label in (f"第{number}条", f"第{chinese(number)}条"):
                    answer = ask(kb, f"{law}{label}是怎么规定的")
                    cited = {(e.citation.article, e.citation.title) for e in answer.citations}
                    if number <= count:
                        ok = answer.kind.value == "article" and bool(cited) and all(
                            article == number and title in titles for article, title in cited)
                    else:
                        ok = answer.kind.value == "none" and "没有" in answer.text
                    right, total = right + ok, total + 1
                    if not ok:
                        failures.append(f"{law}{label}: {answer.kind.value} {sorted(cited, key=str)[:3]}")
        print(f"laws: {right}/{total} questions answered with the named article of the named law "
              "(or 'no such article')")
        regulations: dict[str, set[int]] = {}
        for chunk, citation in kb.store.chunks(kb.store.chunk_ids().tolist()).values():
            if citation.source.endswith("学生手册.pdf") and citation.article and regulation_title(chunk.section_path):
                regulations.setdefault(regulation_title(chunk.section_path), set()).add(citation.article)
        right = total = 0
        for name, articles in sorted(regulations.items()):
            ordered = sorted(articles)
            for number in sorted({ordered[0], ordered[len(ordered) // 2], ordered[-1]}):
                answer = ask(kb, f"{name}第{chinese(number)}条说了什么")
                ok = answer.kind.value == "article" and bool(answer.citations) and all(
                    e.citation.article == number and name in e.citation.section_path for e in answer.citations)
                right, total = right + ok, total + 1
                if not ok:
                    failures.append(f"{name}第{number}条: {answer.kind.value}")
        print(f"compilation: {right}/{total} questions naming one of its {len(regulations)} regulations "
              "answered with its article")
        for failure in failures:
            print("  FAIL", failure)
        kb.close()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("../shared/bench/realdocs/docs")))
