"""A parsing library that is missing fails only the file type that needs it, with a message naming
what to install; every other type, and every command, still works (issue #16).

A library is made missing for real: `sys.modules[name] = None` makes `import name` raise
ImportError, as it does when the package is not installed. The batches go through the real
parser registry and the real KnowledgeBase; the import-time checks run in a fresh interpreter,
where nothing is imported yet.
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from index.types import FileStatus
from ingest.parsers import parse_file
from ingest.types import ParseError
from tests import samples

REPO = Path(__file__).resolve().parents[2]

TXT_TITLE = "示范县农村饮水安全管理办法"
TXT_TEXT = (
    f"{TXT_TITLE}\n"
    "\n"
    "第一条 为保障农村居民饮水安全，规范农村供水工程的运行和管理，制定本办法。\n"
    "第二条 县水利局负责全县农村供水工程的监督管理，乡镇人民政府负责本辖区供水工程的日常巡查。\n"
    "第三条 供水单位应当每月检测一次出厂水水质，并在村务公开栏向用水户公示检测结果。\n"
    "第四条 任何单位和个人不得在水源保护范围内堆放垃圾或者排放污水。\n"
)
HTML_TITLE = "关于开展农贸市场环境卫生整治的通知"
HTML_ARTICLE = f"""
<h1>{HTML_TITLE}</h1>
<p>各乡镇人民政府，县直有关单位：</p>
<p>为改善群众购物环境，县政府决定在全县开展农贸市场环境卫生整治，现将有关事项通知如下。</p>
<h2>一、整治内容</h2>
<p>重点整治占道经营、垃圾乱堆、污水横流等问题，市场开办者应当每日清扫两次并及时清运垃圾。</p>
<h2>二、工作要求</h2>
<p>各乡镇应当于每月五日前报送整治进展情况，县市场监管局对整治情况进行督查并通报结果。</p>
"""
DOCX_BLOCKS = [
    ("heading", 0, "示范县乡村公益性岗位管理实施细则"),
    ("paragraph", "为规范乡村公益性岗位的开发和管理，帮助困难群众就近就业，制定本细则。"),
    ("heading", 1, "一、岗位开发"),
    ("paragraph", "乡村公益性岗位主要用于保洁、护林、治安巡逻和养老服务等工作。"),
]
PDF_PAGES = [[
    "示范县村级财务管理规定",
    "第一条 为加强村级财务管理，保障集体资产安全，制定本规定。",
    "第二条 村级财务实行村账乡代管，每季度公开一次收支明细。",
]]
CATALOGUE_ROWS = [
    ["一级单元", "二级大类", "三级项目", "标准内容"],
    ["清廉村居", "村务清爽", "财务公开", "村级收支每季度在公开栏公布一次"],
    ["清廉村居", "民风清醇", "移风易俗", "红白喜事操办规模写入村规民约"],
]
CATALOGUE_YAML = (
    "title: 示范县清廉村居建设目录\n"
    "items:\n"
    "  - 一级单元: 清廉村居\n"
    "    二级大类: 村务清爽\n"
    "    三级项目: 财务公开\n"
    "    标准内容: 村级收支每季度在公开栏公布一次\n"
)
# A phrase of each file's text: the file parsed when its document holds it.
PHRASES = {
    ".txt": "每月检测一次出厂水水质",
    ".html": "市场开办者应当每日清扫两次",
    ".docx": "帮助困难群众就近就业",
    ".pdf": "村账乡代管",
    ".csv": "红白喜事操办规模写入村规民约",
    ".xlsx": "红白喜事操办规模写入村规民约",
    ".yaml": "村级收支每季度在公开栏公布一次",
}
# (the module a package installs, what the message must say to install) -> the type that needs it.
MISSING = [
    ("trafilatura", "pip install trafilatura", ".html"),
    ("docx", "pip install python-docx", ".docx"),
    ("pypdfium2", "pip install pypdfium2", ".pdf"),
    ("openpyxl", "pip install openpyxl", ".xlsx"),
    ("yaml", "pip install pyyaml", ".yaml"),
]


def write_txt(path: Path) -> Path:
    path.write_text(TXT_TEXT, encoding="utf-8")
    return path


def write_batch(folder: Path) -> dict[str, Path]:
    """One small real file per type, keyed by suffix."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "catalogue.csv").open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(CATALOGUE_ROWS)
    workbook = openpyxl.Workbook()
    for row in CATALOGUE_ROWS:
        workbook.active.append(row)
    workbook.save(folder / "catalogue.xlsx")
    (folder / "catalogue.yaml").write_text(CATALOGUE_YAML, encoding="utf-8")
    return {
        ".txt": write_txt(folder / "drinking_water.txt"),
        ".html": samples.write_html(folder / "market_notice.html", title=HTML_TITLE, article=HTML_ARTICLE),
        ".docx": samples.write_docx(folder / "public_posts.docx", DOCX_BLOCKS),
        ".pdf": samples.write_pdf(folder / "village_finance.pdf", PDF_PAGES),
        ".csv": folder / "catalogue.csv",
        ".xlsx": folder / "catalogue.xlsx",
        ".yaml": folder / "catalogue.yaml",
    }


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_batch(tmp_path_factory.mktemp("optional-imports"))


def make_missing(monkeypatch: pytest.MonkeyPatch, package: str) -> None:
    """`import package` (and of any of its modules) raises ImportError until the test ends."""
    for name in [package, *(name for name in sys.modules if name.startswith(package + "."))]:
        monkeypatch.setitem(sys.modules, name, None)


def test_every_file_of_the_batch_parses_with_every_library_present(batch):
    for suffix, path in batch.items():
        assert PHRASES[suffix] in parse_file(path).text, suffix


@pytest.mark.parametrize(("package", "install", "needed_by"), MISSING, ids=[case[0] for case in MISSING])
def test_a_missing_library_fails_only_its_file_type(batch, monkeypatch, package, install, needed_by):
    make_missing(monkeypatch, package)
    for suffix, path in batch.items():
        if suffix == needed_by:
            with pytest.raises(ParseError) as failure:
                parse_file(path)
            message = str(failure.value)
            assert message.startswith(f"{path.name}: reading "), message
            assert install in message
            assert "corrupt" not in message  # a missing library is not a damaged file
        else:
            assert PHRASES[suffix] in parse_file(path).text, suffix


def test_an_ingest_without_trafilatura_adds_the_text_and_reports_the_page(batch, make_kb, monkeypatch):
    make_missing(monkeypatch, "trafilatura")
    kb = make_kb()
    report = kb.ingest([batch[".txt"], batch[".html"]])
    results = {Path(result.path).suffix: result for result in report.results}
    assert results[".txt"].status is FileStatus.added
    assert results[".html"].status is FileStatus.failed
    needs = "market_notice.html: reading .html files needs the Python package trafilatura"
    assert results[".html"].message.startswith(needs)
    assert "pip install trafilatura" in results[".html"].message
    hits = kb.search("出厂水水质多久检测一次", k=3)
    assert PHRASES[".txt"] in hits[0].chunk.text


def run_python(code: str, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    """`code` in a fresh interpreter of this venv (nothing imported yet), run from `cwd`."""
    paths = [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    return subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_nothing_imports_a_parsing_library_until_a_file_needs_it(tmp_path):
    """With every parsing and optional library missing, the CLI, the app and the base still import,
    a UTF-8 text is read and a page is refused by its parser alone."""
    missing = ["lxml", "lxml_html_clean", "trafilatura", "justext", "docx", "pypdfium2", "openpyxl", "yaml",
               "charset_normalizer", "pytesseract", "onnxruntime", "onnx"]
    txt = write_txt(tmp_path / "drinking_water.txt")
    html = samples.write_html(tmp_path / "market_notice.html", title=HTML_TITLE, article=HTML_ARTICLE)
    code = (
        "import sys\n"
        "for name in sys.argv[1].split(','):\n"
        "    sys.modules[name] = None\n"
        "import api.app, api.cli, index.kb\n"
        "from ingest.parsers import parse_file\n"
        "from ingest.types import ParseError\n"
        "print(parse_file(sys.argv[2]).title)\n"
        "try:\n"
        "    parse_file(sys.argv[3])\n"
        "except ParseError as error:\n"
        "    print(error)\n"
    )
    done = run_python(code, ",".join(missing), str(txt), str(html), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    title, refusal = done.stdout.splitlines()
    assert title == TXT_TITLE
    assert refusal.startswith("market_notice.html: reading .html files needs the Python package lxml")
    assert "pip install lxml" in refusal


@pytest.mark.slow
def test_the_cli_ingests_a_batch_where_lxml_html_clean_is_missing(tmp_path):
    """The venv of issue #16: pip left lxml_html_clean out, so importing trafilatura raises lxml's
    "lxml.html.clean module is now a separate project" and every command crashed. Now the text
    is ingested and the page fails with that reason."""
    txt = write_txt(tmp_path / "drinking_water.txt")
    html = samples.write_html(tmp_path / "market_notice.html", title=HTML_TITLE, article=HTML_ARTICLE)
    code = (
        "import sys\n"
        "sys.modules['lxml_html_clean'] = None\n"
        "sys.argv[0] = 'policykb'\n"
        "from api.cli import app\n"
        "app()\n"
    )
    done = run_python(code, "--kb", str(tmp_path / "kb"), "ingest", str(txt), str(html), cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr  # 1: a file failed, the others were ingested
    lines = done.stdout.splitlines()
    added = re.compile(rf"added +{re.escape(str(txt))}  \d+ chunks")
    assert any(added.fullmatch(line) for line in lines), done.stdout
    refusal = next(line for line in lines if line.startswith("failed"))
    assert f"{html}  market_notice.html: reading .html files needs a library that cannot be imported" \
        in refusal
    assert "lxml_html_clean" in refusal
    assert "1 added" in done.stdout and "1 failed" in done.stdout
