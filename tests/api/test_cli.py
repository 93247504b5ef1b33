"""The policykb command line, run in-process with typer's runner and once as the installed script."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from tests.conftest import SEED, WUQING

runner = CliRunner()


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    shutil.copy(SEED, folder / SEED.name)
    (folder / "README.md").write_text("# 说明\n\n本目录的文件说明。\n", encoding="utf-8")
    return folder


def invoke(kb: Path, *args: str):
    return runner.invoke(app, ["--kb", str(kb), *args], catch_exceptions=False)


def test_ingest_search_docs_stats_remove(tmp_path, corpus):
    kb = tmp_path / "kb"
    result = invoke(kb, "ingest", str(corpus))
    assert result.exit_code == 0, result.output
    assert "1 added" in result.output  # README.md is skipped when walking a folder

    result = invoke(kb, "search", "村居建设的五清是什么", "--json", "--k", "3")
    assert result.exit_code == 0
    hits = json.loads(result.output)
    assert WUQING in hits[0]["chunk"]["text"]
    assert hits[0]["citation"]["source"].endswith(SEED.name)
    assert hits[0]["citation"]["label"].startswith(hits[0]["citation"]["title"])

    result = invoke(kb, "search", "村居建设的五清是什么", "--mode", "bm25")
    assert result.exit_code == 0 and "1." in result.output and "班子清廉" in result.output

    result = invoke(kb, "docs")
    assert result.exit_code == 0 and "text" in result.output
    result = invoke(kb, "stats")
    assert result.exit_code == 0 and "chunks" in result.output

    result = invoke(kb, "remove", str((corpus / SEED.name).resolve()))
    assert result.exit_code == 0 and "Removed" in result.output
    result = invoke(kb, "search", "五清", "--json")
    assert json.loads(result.output) == []


def test_failed_file_sets_exit_status_and_is_explained(tmp_path, corpus):
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.7\n this is not really a pdf")
    (corpus / "table.xyz").write_text("?", encoding="utf-8")
    result = invoke(tmp_path / "kb", "ingest", str(corpus))
    assert result.exit_code == 1
    assert "broken.pdf" in result.output and "table.xyz" in result.output
    assert "unsupported file type '.xyz'" in result.output
    assert "1 added" in result.output and "2 failed" in result.output


def test_clear_errors_for_bad_input(tmp_path):
    result = runner.invoke(app, ["--kb", str(tmp_path / "kb"), "search", "   "])
    assert result.exit_code == 2 and "empty" in result.output
    result = runner.invoke(app, ["--kb", str(tmp_path / "kb"), "remove", "nothing-like-this"])
    assert result.exit_code == 2 and "no document matches" in result.output


def test_kb_directory_comes_from_the_environment(tmp_path, corpus, monkeypatch):
    monkeypatch.setenv("POLICYKB_KB_DIR", str(tmp_path / "from-env"))
    result = runner.invoke(app, ["ingest", str(corpus)], catch_exceptions=False)
    assert result.exit_code == 0
    assert (tmp_path / "from-env" / "kb.sqlite").is_file()


def test_installed_console_script(tmp_path):
    script = Path(sys.executable).with_name("policykb")
    assert script.is_file(), "pip install -e . provides the policykb command"
    done = subprocess.run([str(script), "--kb", str(tmp_path / "kb"), "stats"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "documents" in done.stdout


@pytest.fixture
def corpus_dir_kb(tmp_path) -> Path:
    """The committed corpus/ ingested through the CLI."""
    kb = tmp_path / "kb"
    result = invoke(kb, "ingest", str(Path(__file__).resolve().parents[2] / "corpus"))
    assert result.exit_code == 0, result.output
    return kb


def test_ask_glossary_catalogue_and_eval_commands(corpus_dir_kb):
    result = invoke(corpus_dir_kb, "ask", "村居建设的五清是什么", "--json")
    answer = json.loads(result.output)
    assert answer["kind"] == "glossary"
    assert all(item in answer["text"] for item in WUQING.split("、"))
    assert answer["citations"][0]["citation"]["source"].endswith(SEED.name)

    result = invoke(corpus_dir_kb, "ask", "衡阳市的常住人口是多少")
    assert result.exit_code == 0 and "没有找到" in result.output

    result = invoke(corpus_dir_kb, "glossary", "五清")
    assert result.exit_code == 0 and "班子清廉" in result.output
    result = invoke(corpus_dir_kb, "glossary", "不存在的词")
    assert result.exit_code == 1

    result = invoke(corpus_dir_kb, "catalogue", "--unit", "清廉村居")
    assert result.exit_code == 0
    assert "村务清爽" in result.output and "三公开" in result.output and "清廉学校" not in result.output

    result = invoke(corpus_dir_kb, "eval", "qa", "--json")
    summary = json.loads(result.output)
    assert summary["questions"] >= 48 and 0 <= summary["abstention_precision"] <= 1


def test_docs_and_filters_on_official_documents(tmp_path):
    from tests import samples

    samples.write_official_corpus(tmp_path / "docs")
    kb = tmp_path / "kb"
    assert invoke(kb, "ingest", str(tmp_path / "docs")).exit_code == 0

    listed = {d["title"]: d for d in json.loads(invoke(kb, "docs", "--json").output)}
    current = listed["示范市人力资源局关于发放见习补贴的通知"]
    assert (current["doc_number"], current["issuer"], current["effective"], current["status"]) == (
        "示人社规〔2024〕5号", "示范市人力资源局", "2024-06-01", "有效")
    assert listed["示范市人力资源局关于发放培训补贴的通知"]["status"] == "已失效"
    table = runner.invoke(app, ["--kb", str(kb), "docs"], env={"COLUMNS": "240"}).output
    assert "文号" in table and "示人社规〔2024〕5号" in table

    hits = json.loads(invoke(kb, "search", "补贴发放标准", "--json", "--k", "20", "--issuer", "示范市教育局").output)
    assert {h["citation"]["title"] for h in hits} == {"示范市教育局关于发放助学补贴的通知"}
    hits = json.loads(invoke(kb, "search", "补贴发放标准", "--json", "--k", "20", "--in-force").output)
    assert "示范市人力资源局关于发放培训补贴的通知" not in {h["citation"]["title"] for h in hits}
    bad = runner.invoke(app, ["--kb", str(kb), "search", "补贴", "--issued-from", "2024/01/01"])
    assert bad.exit_code != 0 and "YYYY-MM-DD" in bad.output

    answer = json.loads(invoke(kb, "ask", "示范劳动法第三条说了什么", "--json").output)
    assert answer["kind"] == "article"


def test_eval_qa_refuses_an_empty_base(tmp_path):
    result = runner.invoke(app, ["--kb", str(tmp_path / "empty"), "eval", "qa"])
    assert result.exit_code != 0 and "is empty" in " ".join(result.output.split())


def test_kb_option_is_read_wherever_it_is_typed_and_names_a_base(tmp_path, corpus, monkeypatch):
    kb = tmp_path / "after"
    result = runner.invoke(app, ["ingest", str(corpus), "--kb", str(kb)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert (kb / "kb.sqlite").is_file()
    result = runner.invoke(app, ["search", "五清", f"--kb={kb}", "--json", "--k", "1"], catch_exceptions=False)
    assert WUQING in json.loads(result.output)[0]["chunk"]["text"]
    # A plain name is a base under the data folder; .env in the working directory sets that folder.
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("POLICYKB_DATA_DIR", raising=False)
    (tmp_path / ".env").write_text("POLICYKB_DATA_DIR=shared-data\n", encoding="utf-8")
    result = runner.invoke(app, ["ingest", str(corpus), "--kb", "county"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "shared-data" / "kbs" / "county" / "kb.sqlite").is_file()


def test_version():
    from importlib.metadata import version

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"policykb {version('policykb')}"


def test_hoisting_leaves_arguments_after_a_double_dash():
    from api.cli import hoist_global_options

    assert hoist_global_options(["ask", "x", "--kb", "a"]) == ["--kb", "a", "ask", "x"]
    assert hoist_global_options(["ask", "--", "--kb"]) == ["ask", "--", "--kb"]


def test_a_command_of_a_missing_extra_names_what_to_install(tmp_path):
    """ranx made missing for real (a None entry in sys.modules makes its import fail)."""
    code = ("import sys; sys.modules['ranx'] = None; from api.cli import app; "
            f"app(['--kb', {str(tmp_path / 'kb')!r}, 'eval', 'retrieval', 'eval/datasets/seed_beir', "
            f"'--out', {str(tmp_path / 'out')!r}])")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 2, done.stderr
    assert "pip install 'policykb[eval]'" in done.stderr and "Traceback" not in done.stderr
