"""The `policykb` command line: reads Settings once, makes one call into the index, shows the result."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Annotated, NoReturn

import re
import shutil
import sys
import tempfile
from importlib.metadata import PackageNotFoundError, version

import typer
from pydantic import ValidationError
from typer.core import TyperGroup
from rich.console import Console
from rich.logging import RichHandler
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from config.settings import KB_NAME_PATTERN, Settings
from index.types import FileResult, FileStatus, Filters, Hit, SearchMode


def hoist_global_options(args: list[str]) -> list[str]:
    """Move `--kb X` / `--kb=X` to the front wherever it was typed (`policykb ingest corpus/ --kb DIR`).

    click reads a group's options only before the command name; people type them after it too.
    Arguments after `--` are left alone.
    """
    head, rest, moved = [], list(args), []
    while rest:
        arg = rest.pop(0)
        if arg == "--":
            head += [arg, *rest]
            break
        if arg == "--kb" and rest:
            moved += [arg, rest.pop(0)]
        elif arg.startswith("--kb="):
            moved.append(arg)
        else:
            head.append(arg)
    return moved + head


# Libraries of the optional extras, by the extra that installs them: a command that needs one
# says what to install instead of ending in a traceback (a plain `pip install policykb` serves,
# ingests, searches and answers; evaluation and tuning need their extras).
EXTRA_OF_MODULE = {"ranx": "eval", "matplotlib": "eval", "rank_bm25": "eval", "httpx": "eval",
                   "datasets": "tune", "accelerate": "tune", "onnxruntime": "onnx", "onnx": "onnx",
                   "pytesseract": "ocr"}


class _Group(TyperGroup):
    def main(self, args=None, *more, **options):
        try:
            return super().main(hoist_global_options(list(sys.argv[1:] if args is None else args)), *more,
                                **options)
        except ModuleNotFoundError as error:
            extra = EXTRA_OF_MODULE.get((error.name or "").split(".")[0])
            if extra is None:
                raise
            errors.print(f"This command needs the Python package {error.name}, which is not installed: "
                         f"pip install 'policykb[{extra}]'", style="red", markup=False, soft_wrap=True)
            raise SystemExit(2) from None


app = typer.Typer(
    cls=_Group,
    help="policykb: a searchable, citable knowledge base over Chinese policy texts.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
console = Console()
errors = Console(stderr=True)

STATUS_STYLE = {
    FileStatus.added: "green",
    FileStatus.updated: "cyan",
    FileStatus.unchanged: "dim",
    FileStatus.duplicate: "yellow",
    FileStatus.failed: "red",
}


def _quiet_libraries() -> None:
    """Keep third-party chatter (jieba's dictionary messages, model-loading bars) off the terminal,
    and set the libraries' runtime options before any of them is loaded."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # models are local folders; never reach for a hub
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("TQDM_DISABLE", "1")  # libraries' own bars; the CLI draws its own with rich
    # OpenMP threads (torch, FAISS) sleep when idle instead of spinning: spinning threads of one
    # library take the cores from the next step of a search (measured: FAISS 20 -> 13 ms per query).
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import jieba

    jieba.setLogLevel(logging.WARNING)
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()
    except ImportError:
        pass


def package_version() -> str:
    try:
        return version("policykb")
    except PackageNotFoundError:  # run from a checkout that was not installed
        return "unknown"


def _show_version(value: bool) -> None:
    if value:
        console.print(f"policykb {package_version()}")
        raise typer.Exit()


def kb_settings(kb: str | None) -> Settings:
    """Settings for `--kb`: a base's name (data/kbs/NAME) unless it is a path or an existing folder."""
    if kb is None:
        return Settings()
    if re.fullmatch(KB_NAME_PATTERN, kb) and not Path(kb).exists():
        return Settings(kb_name=kb)
    return Settings(kb_dir=Path(kb))


@app.callback()
def main(
    ctx: typer.Context,
    kb: Annotated[str | None, typer.Option(
        "--kb", help="Knowledge base: a name (./data/kbs/NAME) or a directory [default: default]")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show progress messages of the library")] = False,
    show_version: Annotated[bool, typer.Option("--version", callback=_show_version, is_eager=True,
                                               help="Show the version and exit")] = False,
) -> None:
    level = logging.INFO if verbose else logging.WARNING
    handler = RichHandler(console=errors, show_path=False)
    handler.setLevel(level)  # some libraries set their own loggers to DEBUG
    logging.basicConfig(level=level, handlers=[handler], format="%(message)s")
    _quiet_libraries()
    try:
        settings = kb_settings(kb)
    except ValidationError as error:
        errors.print(f"[red]Invalid setting:[/red] {error}")
        raise typer.Exit(2) from None
    ctx.obj = settings


def _fail(error: Exception) -> NoReturn:
    """A user error: its message in red, exit status 2."""
    errors.print(f"[red]{error}[/red]")
    raise typer.Exit(2) from None


def _bars(remaining: bool = False) -> Progress:
    """The progress bars of long commands: on stderr, gone when done."""
    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    return Progress(*columns, *([TimeRemainingColumn()] if remaining else []), console=errors, transient=True)


def _open(ctx: typer.Context):
    from index.kb import KnowledgeBase  # imported here so `--help` stays instant

    try:
        return KnowledgeBase(ctx.obj)
    except ValueError as error:
        errors.print(f"[red]Cannot open the knowledge base:[/red] {error}")
        raise typer.Exit(2) from None


class _ProgressListener:
    """Shows files and encoded passages as two progress bars."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.files = progress.add_task("files", total=None)
        self.passages = progress.add_task("passages encoded", total=None)

    def files_found(self, total: int) -> None:
        self.progress.update(self.files, total=total)

    def file_started(self, path: Path) -> None:
        self.progress.update(self.files, description=f"files · {path.name[:40]}")

    def encoded(self, count: int) -> None:
        self.progress.advance(self.passages, count)

    def file_done(self, result: FileResult) -> None:
        self.progress.advance(self.files)


@app.command()
def ingest(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to ingest", exists=True)],
) -> None:
    """Ingest files and folders: new files are added, changed ones re-indexed, unchanged ones skipped.

    Exits with status 1 when any file failed (the others are ingested all the same).
    """
    kb = _open(ctx)
    with _bars() as progress:
        report = kb.ingest(paths, _ProgressListener(progress))
    kb.close()
    for result in report.results:  # one line per file that changed or failed; long lines are not cut
        if result.status is not FileStatus.unchanged:
            line = Text(f"{result.status.value:<9} ", style=STATUS_STYLE[result.status])
            line.append(result.path)
            line.append(f"  {result.chunks} chunks" if result.chunks else "")
            line.append(f"  {result.message}" if result.message else "", style=STATUS_STYLE[result.status])
            console.print(line, soft_wrap=True)
    summary = ", ".join(f"{report.count(s)} {s.value}" for s in FileStatus)
    rate = report.encoded / report.seconds if report.seconds else 0.0
    console.print(
        f"{len(report.results)} files: {summary}. {report.chunks} chunks indexed, "
        f"{report.encoded} passages encoded in {report.seconds:.1f} s ({rate:.1f} passages/s)."
    )
    if report.count(FileStatus.failed):
        raise typer.Exit(1)


def _hit_json(hit: Hit) -> dict:
    data = asdict(hit)
    data["mode"] = hit.mode.value
    data["citation"]["label"] = hit.citation.label()
    return data


@app.command()
def search(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="The question or keywords, in Chinese")],
    mode: Annotated[SearchMode, typer.Option(help="Retriever")] = SearchMode.hybrid,
    k: Annotated[int, typer.Option("--k", "-k", help="Number of results", min=1, max=1000)] = 5,
    doc: Annotated[list[str] | None, typer.Option(help="Only this document (id or id prefix); repeatable")] = None,
    kind: Annotated[list[str] | None, typer.Option(help="Only this file type (pdf, docx, ...); repeatable")] = None,
    section: Annotated[str, typer.Option(help="Only sections whose path starts with this")] = "",
    issuer: _IssuerOption = None,
    issued_from: _FromOption = "",
    issued_to: _ToOption = "",
    in_force: _InForceOption = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the hits as JSON")] = False,
) -> None:
    """Search the knowledge base and print ranked passages with their citations."""
    kb = _open(ctx)
    try:
        filters = _filters(issuer, issued_from, issued_to, in_force, doc_ids=tuple(doc or ()),
                           kinds=tuple(kind or ()), section_prefix=section)
        hits = kb.search(query, k=k, mode=mode, filters=filters)
    except ValueError as error:
        _fail(error)
    terms = kb.tokenizer.tokenize(query)
    kb.close()
    if as_json:
        print(json.dumps([_hit_json(h) for h in hits], ensure_ascii=False, indent=2))
        return
    if not hits:
        console.print("没有找到相关内容 (no matching passages).")
        return
    for hit in hits:
        console.print(
            f"[bold]{hit.rank}.[/bold] [cyan]{hit.citation.label()}[/cyan]  [dim]{hit.mode.value} {hit.score:.4f}[/dim]"
        )
        body = Text(hit.chunk.text)
        body.highlight_words(terms, style="bold yellow")
        console.print(body, "")


_IssuerOption = Annotated[
    list[str] | None, typer.Option(help="Only documents of this issuing body (发文机关, or part of it); repeatable")
]
_FromOption = Annotated[str, typer.Option(help="Only documents issued on or after this day (YYYY-MM-DD)")]
_ToOption = Annotated[str, typer.Option(help="Only documents issued on or before this day (YYYY-MM-DD)")]
_InForceOption = Annotated[
    bool, typer.Option("--in-force", help="Leave out documents known to be repealed, expired or not yet in force")
]


def _filters(issuer: list[str] | None, issued_from: str, issued_to: str, in_force: bool, **other) -> Filters:
    """Filters from the command line's options; a malformed date is a ValueError with the option's name."""
    return Filters(
        issuers=tuple(name.strip() for name in issuer or () if name.strip()),
        issued_from=issued_from.strip(),
        issued_to=issued_to.strip(),
        in_force_on=date.today().isoformat() if in_force else "",
        **other,
    )


@app.command()
def docs(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print the documents as JSON")] = False,
) -> None:
    """List the documents in the knowledge base with their 文号, issuing body, dates and validity."""
    kb = _open(ctx)
    records = kb.documents()
    kb.close()
    today = date.today().isoformat()
    if as_json:
        rows = [{**{k: v for k, v in asdict(r).items() if k != "official"}, **asdict(r.official),
                 "status": r.official.status_on(today)} for r in records]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table()
    for column in ("id", "title", "文号", "发文机关", "发布日期", "施行日期", "状态", "type", "chunks", "source"):
        table.add_column(column, overflow="fold")  # wrapped, never cut: a 文号 is read whole
    for record in records:
        official = record.official
        table.add_row(
            record.id[:12], record.title, official.doc_number, official.issuer, official.issued,
            official.effective, _status_text(official, today), record.kind, str(record.chunks), record.source,
        )
    console.print(table)
    if not records:
        console.print("知识库中还没有文档 (the base holds no documents): run `policykb ingest PATH`.")


def _status_text(official, today: str) -> str:
    """The validity today, with the end of a stated period: 「有效（至2029-07-28）」."""
    status = official.status_on(today)
    if status == "有效" and official.expires:
        return f"有效（至{official.expires}）"
    return status


@app.command()
def remove(
    ctx: typer.Context,
    doc: Annotated[str, typer.Argument(help="Document id, unique id prefix, or source path")],
) -> None:
    """Delete a document from the store, the dense index and the BM25 index."""
    kb = _open(ctx)
    try:
        record = kb.remove(doc)
    except ValueError as error:
        _fail(error)
    finally:
        kb.close()
    console.print(f"Removed {record.title} ({record.id[:12]}, {record.chunks} chunks).")


@app.command()
def stats(ctx: typer.Context) -> None:
    """Counts of documents, chunks and index entries."""
    kb = _open(ctx)
    table = Table("what", "value")
    for key, value in kb.stats().items():
        table.add_row(key, str(value))
    table.add_row("directory", str(ctx.obj.kb_dir.resolve()))
    kb.close()
    console.print(table)


@app.command()
def check(
    ctx: typer.Context,
    repair: Annotated[bool, typer.Option("--repair", help="Fix what can be fixed, then check again")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
) -> None:
    """Check that SQLite, FAISS, BM25 and the embedding cache agree (exit status 1 when they do not)."""
    from index.check import check_base, repair_base

    try:
        report = repair_base(ctx.obj) if repair else check_base(ctx.obj)
    except ValueError as error:
        _fail(error)
    if as_json:
        print(json.dumps({**asdict(report), "consistent": report.consistent}, ensure_ascii=False, indent=2))
    else:
        table = Table("part", "state", "holds")
        holds = {
            "sqlite": f"{report.documents} documents, {report.chunks} chunks",
            "dense": f"{report.dense_vectors} vectors ({report.dense_index})",
            "bm25": f"{report.bm25_passages} passages",
            "embeddings": "a cached vector per chunk",
            "files": "no partial writes",
        }
        for part, what in holds.items():
            state = "[green]consistent[/green]" if report.part_ok(part) else "[red]problem[/red]"
            table.add_row(part, state, what)
        console.print(table)
        for finding in report.findings:
            fix = "repairable with --repair" if finding.repairable else "not repairable"
            console.print(f"  [red]{finding.part}[/red]: {finding.message} [dim]({fix})[/dim]", soft_wrap=True)
        verdict = "consistent" if report.consistent else "NOT consistent"
        console.print(f"{report.kb_dir}: {verdict}" + (" after repair" if repair else ""))
    if not report.consistent:
        raise typer.Exit(1)


@app.command()
def bench(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to ingest", exists=True)],
    queries: Annotated[Path, typer.Option(help="JSONL file of questions with a 'text' field", exists=True)],
    limit_files: Annotated[int | None, typer.Option(help="Ingest only the first N files (sorted)")] = None,
    limit_queries: Annotated[int | None, typer.Option(help="Time only the first N questions")] = None,
    k: Annotated[int, typer.Option("--k", "-k", min=1, max=1000)] = 10,
    out: Annotated[Path | None, typer.Option(help="Also write the figures as JSON here")] = None,
) -> None:
    """Measure ingest throughput and search latency (p50/p95 per mode) on an empty knowledge base."""
    from eval import benchmark

    try:
        questions = benchmark.load_queries(queries, limit_queries)
    except ValueError as error:
        _fail(error)
    kb = _open(ctx)
    try:
        with _bars() as progress:
            result = benchmark.run(kb, paths, questions, limit_files, k, _ProgressListener(progress))
    except ValueError as error:
        _fail(error)
    finally:
        kb.close()
    if out is not None:
        out.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    print(benchmark.markdown(result))


def _answer_json(answer) -> dict:
    data = asdict(answer)
    data["kind"] = answer.kind.value
    data["passages"] = [_hit_json(h) for h in answer.passages]
    for evidence, cited in zip(data["citations"], answer.citations):
        evidence["citation"]["label"] = cited.citation.label()
    return data


@app.command()
def ask(
    ctx: typer.Context,
    question: Annotated[str, typer.Argument(help="The question, in plain Chinese")],
    issuer: _IssuerOption = None,
    issued_from: _FromOption = "",
    issued_to: _ToOption = "",
    in_force: _InForceOption = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON")] = False,
) -> None:
    """Answer a question with citations, or say that the base holds no answer."""
    from answer.ask import ask as answer_question

    kb = _open(ctx)
    try:
        answer = answer_question(kb, question, _filters(issuer, issued_from, issued_to, in_force))
    except ValueError as error:
        _fail(error)
    finally:
        kb.close()
    if as_json:
        print(json.dumps(_answer_json(answer), ensure_ascii=False, indent=2))
        return
    style = "yellow" if answer.kind.value == "none" else "green"
    console.print(f"[{style}]{answer.text}[/{style}]  [dim]({answer.kind.value})[/dim]")
    for number, evidence in enumerate(answer.citations, 1):
        console.print(f"  [cyan][{number}] {evidence.citation.label()}[/cyan]")
        console.print(Text(f"      {evidence.sentence}", style="dim"), soft_wrap=True)


@app.command()
def glossary(
    ctx: typer.Context,
    term: Annotated[str, typer.Argument(help="Show only this term")] = "",
) -> None:
    """Numbered slogans found in the documents (五清, 三公开 …) with their items and sources."""
    kb = _open(ctx)
    records = kb.glossary(term)
    kb.close()
    if not records:
        console.print(f"没有找到术语“{term}”。" if term else "术语表为空。")
        raise typer.Exit(1 if term else 0)
    table = Table("term", "n", "items", "source")
    for record in records:
        items = "、".join(record.items) if record.items else "[dim](not spelled out in the source)[/dim]"
        source = " · ".join(filter(None, (Path(record.citation.source).name, record.citation.section)))
        table.add_row(record.term, str(len(record.items) or ""), items, source)
    console.print(table)


@app.command()
def catalogue(
    ctx: typer.Context,
    unit: Annotated[str, typer.Option(help="Only this unit (一级单元), e.g. 清廉村居")] = "",
) -> None:
    """The standard catalogues as a tree: unit > category > item, with their fields."""
    from rich.tree import Tree

    kb = _open(ctx)
    records = kb.catalogue(unit)
    kb.close()
    if not records:
        console.print(f"目录中没有单元“{unit}”。" if unit else "知识库中还没有标准目录。")
        raise typer.Exit(1 if unit else 0)
    root = Tree("标准目录")
    nodes: dict[tuple[str, ...], Tree] = {}
    for record in records:
        item = record.item
        parent = root
        for depth in range(1, len(item.path) + 1):
            key = item.path[:depth]
            if key not in nodes:
                nodes[key] = parent.add(f"[bold]{key[-1]}[/bold]" if depth == 1 else key[-1])
            parent = nodes[key]
        for label, value in (("标准内容", item.standard), ("问题描述", item.problem), ("牵头部门", item.department)):
            if value:
                parent.add(f"[dim]{label}：{value}[/dim]")
    console.print(root)


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Address to listen on [default: 127.0.0.1]")] = None,
    port: Annotated[int | None, typer.Option(help="Port [default: 8000]")] = None,
    seed: Annotated[
        list[Path] | None, typer.Option(help="Ingest these files/folders first when the base is empty", exists=True)
    ] = None,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes over the same bases")] = 1,
) -> None:
    """Serve the HTTP API of every base in the data folder (/api/v1/kbs/NAME/…), the trainers' page (/),
    the widget (/widget.js) and a demo host page (/demo)."""
    import uvicorn

    from api.app import create_app

    settings = ctx.obj
    kb = _open(ctx)
    if seed and not kb.documents():
        with _bars() as progress:
            report = kb.ingest(seed, _ProgressListener(progress))
        console.print(f"Ingested {report.count(FileStatus.added)} files ({report.chunks} chunks) into an empty base.")
    host = host or settings.host
    port = port or settings.port
    console.print(
        f"policykb serving the bases of {settings.kbs_dir.resolve()} (default: {settings.kb_name}, "
        f"{settings.kb_dir.resolve()}) on http://{host}:{port} with {workers} worker(s)  "
        f"(trainers' page /, widget demo /demo, API docs /docs)"
    )
    if settings.api_key is None:
        console.print("[dim]Admin routes are disabled: set POLICYKB_API_KEY to enable uploads.[/dim]")
    # Our access log (api.observe) replaces uvicorn's; uvicorn applies log_config in every worker.
    logs = {"log_config": serve_log_config(settings, logging.getLogger().level), "log_level": "warning",
            "access_log": False}
    if workers == 1:
        try:
            uvicorn.run(create_app(settings, kb), host=host, port=port, **logs)
        finally:
            kb.close()
        return
    kb.close()
    # Worker processes read their settings from the environment: the base chosen here goes with them.
    os.environ.update({"POLICYKB_KB_DIR": str(settings.kb_dir.resolve()), "POLICYKB_KB_NAME": settings.kb_name,
                       "POLICYKB_DATA_DIR": str(settings.data_dir.resolve())})
    # /metrics sums the workers' counters through files in PROMETHEUS_MULTIPROC_DIR (prometheus-client's
    # multiprocess mode); without one given, a fresh folder lives as long as this server.
    metrics_dir = None
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        metrics_dir = tempfile.mkdtemp(prefix="policykb-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    try:
        uvicorn.run("api.cli:worker_app", factory=True, host=host, port=port, workers=workers, **logs)
    finally:
        if metrics_dir:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def worker_app():
    """The app of one `serve --workers N` process: the libraries as quiet as in this CLI (jieba would
    print its dictionary messages past the log format), then the app of the environment's settings."""
    from api.app import app_from_environment

    _quiet_libraries()
    return app_from_environment()


def serve_log_config(settings: Settings, level: int) -> dict:
    """The logging of `serve` (logging.config.dictConfig): every record one line on stderr, text or
    JSON (setting log_format), access lines at INFO, the rest from `level` (WARNING; INFO with -v)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"line": {"()": "api.observe.LogFormatter", "as_json": settings.log_format == "json"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "line", "stream": "ext://sys.stderr"}},
        "loggers": {
            "policykb.access": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
            "uvicorn": {"handlers": ["stderr"], "propagate": False},
        },
        "root": {"level": logging.getLevelName(level), "handlers": ["stderr"]},
    }


eval_app = typer.Typer(help="Measure answer and retrieval quality.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")


@eval_app.command("qa")
def eval_qa(
    ctx: typer.Context,
    dataset: Annotated[Path | None, typer.Option(help="QA set (JSONL) [default: eval/datasets/seed_qa.jsonl]")] = None,
    calibrate: Annotated[bool, typer.Option(help="Sweep the abstention thresholds and print the best")] = False,
    half: Annotated[str, typer.Option(help="all, dev (the development half) or report (the report half)")] = "all",
    show: Annotated[bool, typer.Option(help="List every question with its outcome")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Share of answers with all required facts and a correct citation; abstention precision/recall;
    the same per question type."""
    from eval import qa

    try:
        items = qa.half(qa.load_qa(dataset or qa.DEFAULT_DATASET), half)
    except ValueError as error:
        _fail(error)
    kb = _open(ctx)
    if not kb.documents():
        kb.close()
        _fail(ValueError(f"the base {kb.dir} is empty: ingest the documents the QA set asks about first "
                         "(policykb ingest corpus/)"))
    try:
        if calibrate:
            result = qa.calibrate(kb, items)
            if as_json:
                print(json.dumps(result, ensure_ascii=False, indent=2))
                return
            console.print(
                f"Chosen on the tuning half: POLICYKB_ABSTAIN_MIN_SIMILARITY={result['min_similarity']:.2f} "
                f"POLICYKB_ABSTAIN_MIN_COVERAGE={result['min_coverage']:.2f}"
            )
            table = Table("part", "questions", "handled right", "facts", "citation", "abst. P", "abst. R")
            for part in ("tuning", "held_out", "all"):
                row = result[part]
                table.add_row(part, str(row["questions"]), *(f"{row[k]:.3f}" for k in (
                    "handled_right", "facts_share", "citation_share", "abstention_precision", "abstention_recall")))
            console.print(table)
            return
        outcomes = qa.run_qa(kb, items)
    finally:
        kb.close()
    summary = qa.summarize(outcomes)
    types = qa.by_type(outcomes)
    if as_json:
        print(json.dumps({**summary, "by_type": types} if len(types) > 1 else summary, ensure_ascii=False, indent=2))
        return
    if show:
        for o in outcomes:
            mark = "✓" if (o.facts_ok and o.citation_ok) or (not o.item.answerable and o.abstained) else "✗"
            console.print(f"{mark} {o.item.id} [{o.answer.kind.value}] {o.item.question} → {o.answer.text[:80]}",
                          soft_wrap=True)
    table = Table("metric", "value")
    for key, value in summary.items():
        table.add_row(key, f"{value:.3f}" if isinstance(value, float) else str(value))
    console.print(table)
    if len(types) > 1:
        by_type = Table("type", "questions", "answered right", "refused right", "facts", "citation")
        for name, row in types.items():
            answered = f"{row['answered_right']:.3f}" if row["answerable"] else "–"
            refused = f"{row['refused_right']:.3f}" if row["unanswerable"] else "–"
            by_type.add_row(name or "(none)", str(row["questions"]), answered, refused,
                            f"{row['facts_share']:.3f}" if row["answerable"] else "–",
                            f"{row['citation_share']:.3f}" if row["answerable"] else "–")
        console.print(by_type)


class _EvalProgress:
    """Progress bars for `eval retrieval`: files/passages while building, queries per configuration."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.ingest = _ProgressListener(progress)
        self.work = progress.add_task("preparing", total=None)

    def stage(self, text: str) -> None:
        self.progress.update(self.work, description=text, completed=0, total=None)

    def prepared(self, count: int) -> None:
        self.progress.advance(self.work, count)

    def started(self, name: str, total: int) -> None:
        self.progress.update(self.work, description=f"querying · {name}", completed=0, total=total)

    def advanced(self) -> None:
        self.progress.advance(self.work)

    def __getattr__(self, name: str):  # files_found, file_started, encoded, file_done
        return getattr(self.ingest, name)


@eval_app.command("retrieval")
def eval_retrieval(
    ctx: typer.Context,
    dataset: Annotated[Path, typer.Argument(help="BEIR folder: corpus.jsonl, queries.jsonl, qrels/<split>.tsv")],
    mode: Annotated[list[str] | None, typer.Option(
        help="passage (index the corpus entries) and/or e2e (ingest --docs); repeatable [default: passage]"
    )] = None,
    docs: Annotated[Path | None, typer.Option(help="Folder of raw documents for e2e mode")] = None,
    config: Annotated[list[str] | None, typer.Option(
        help="Configuration: a preset (bm25, dense, hybrid-rrf, hybrid-convex) or NAME:key=value,...; repeatable"
    )] = None,
    baseline: Annotated[list[str] | None, typer.Option(help="Baselines to run: rank_bm25, m3e-flat [default: both]")] = None,
    no_baselines: Annotated[bool, typer.Option("--no-baselines", help="Run no baseline")] = False,
    split: Annotated[str, typer.Option(help="qrels/<split>.tsv [default: the only one]")] = "",
    qrels: Annotated[Path | None, typer.Option(
        help="Judgements to use instead of qrels/<split>.tsv (e.g. a tuned model's validation-qrels.tsv)"
    )] = None,
    subset: Annotated[str, typer.Option(help="all, or the fixed tune / confirm part of the queries")] = "all",
    limit_queries: Annotated[int | None, typer.Option(min=1, help="Use only the first N queries")] = None,
    k: Annotated[int, typer.Option(min=1, max=1000, help="Depth of each ranking")] = 100,
    out: Annotated[Path | None, typer.Option(help="Report folder [default: data/eval/<dataset>]")] = None,
    cache: Annotated[Path, typer.Option(help="Where built bases are kept and reused")] = Path("data/eval-cache"),
) -> None:
    """Recall@1/5/10/20/100, MRR@10, nDCG@10, MAP@100 and latency of several configurations, with paired tests.

    Writes report.md, report.json, runs/*.trec, recall_at_k.png and wins_losses.png per mode.
    """
    from eval.datasets import load_dataset
    from eval.report import markdown_table
    from eval.retrieval import BenchmarkPlan, run_benchmark
    from eval.runner import BASELINES, DEFAULT_CONFIGS, parse_config

    try:
        data = load_dataset(dataset, split, limit_queries, qrels)
        configs = tuple(parse_config(spec) for spec in (config or DEFAULT_CONFIGS))
        mode = mode or ["passage"]
        bad = [m for m in mode if m not in ("passage", "e2e")]
        if bad:
            raise ValueError(f"unknown mode(s) {bad}; use passage and/or e2e")
        if "e2e" in mode and (docs is None or not docs.is_dir()):
            raise ValueError("e2e mode needs --docs, the folder of raw documents the corpus was cut from")
        plan = BenchmarkPlan(
            data, tuple(dict.fromkeys(mode)), configs, () if no_baselines else tuple(baseline or BASELINES),
            out or Path("data/eval") / data.name, cache, docs, subset, k,
        )
        plan.queries()  # checks the subset name
    except ValueError as error:
        _fail(error)
    try:
        with _bars() as progress:
            evaluations = run_benchmark(plan, ctx.obj, _EvalProgress(progress))
    except ValueError as error:
        _fail(error)
    for name, evaluation in evaluations.items():
        console.print(f"\n[bold]{data.name} · {data.split} · {name} mode · {evaluation.queries} queries[/bold]")
        console.print(markdown_table(evaluation), soft_wrap=True, markup=False)
        console.print(f"Report: {plan.out / name / 'report.md'}")


class _FidelityProgress:
    """One bar over the files of `eval ingest`."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.files = progress.add_task("files", total=None)

    def files_found(self, total: int) -> None:
        self.progress.update(self.files, total=total)

    def file_started(self, path: Path) -> None:
        self.progress.update(self.files, description=f"files · {path.name[:40]}")

    def file_done(self, row) -> None:
        self.progress.advance(self.files)


@eval_app.command("ingest")
def eval_ingest(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Files or folders (walked recursively)", exists=True)],
    expect: Annotated[Path | None, typer.Option(
        help='JSON of what a reader sees: {"file name": {"title": "...", "articles": N}}', exists=True
    )] = None,
    reference: Annotated[str, typer.Option(help="auto: compare with an independent extraction; none: skip")]
    = "auto",
    as_json: Annotated[bool, typer.Option("--json", help="Print the rows as JSON, not the table")] = False,
    out: Annotated[Path | None, typer.Option(help="Also write the report as Markdown here")] = None,
) -> None:
    """Per file: what reached the chunks compared with what a reader sees (text kept, articles, headers
    and footers, compatibility characters, bare headings, title). Parses and chunks only: no base, no model.
    """
    from eval import fidelity

    settings = ctx.obj
    try:
        mode = fidelity.ReferenceMode(reference)
    except ValueError:
        _fail(ValueError(f"--reference must be auto or none, not {reference!r}"))
    try:
        expectations = fidelity.load_expectations(expect) if expect is not None else None
    except ValueError as error:
        _fail(error)
    params = fidelity.FidelityParams(
        max_chars=settings.chunk_max_chars, min_chars=settings.chunk_min_chars,
        overlap_chars=settings.chunk_overlap_chars, max_bytes=int(settings.max_file_mb * 1024 * 1024),
        ocr=settings.ocr_options(), ignore=tuple(settings.ignore), reference=mode,
    )
    with _bars() as progress:
        rows = fidelity.fidelity_report(paths, params, expectations, _FidelityProgress(progress))
    if out is not None:
        options = [*(["--expect", str(expect)] if expect else []),
                   *(["--reference", reference] if mode is not fidelity.ReferenceMode.auto else [])]
        command = " ".join(["policykb eval ingest", *map(str, paths), *options])
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = out.with_name(f".{out.name}.tmp")
        partial.write_text(fidelity.to_markdown(rows, command) + "\n", encoding="utf-8")
        partial.replace(out)
    if as_json:
        print(json.dumps([asdict(row) for row in rows], ensure_ascii=False, indent=2))
        return
    # The terminal gets the numbers; titles and notes go below it (all of them are in the Markdown).
    hidden = ("title", "title ok", "reference / note", "发文机关", "发布日期")
    shown = [column for column in fidelity.MARKDOWN_COLUMNS if column not in hidden] + ["title ok"]
    table = Table(*shown)
    for row in rows:
        cells = fidelity.row_cells(row)
        cells["title ok"] = {True: "✓", False: "✗", None: ""}[row.title_ok]
        style = "red" if row.error else None
        table.add_row(*(Text(cells[column]) for column in shown), style=style)
    console.print(table)
    for row in rows:
        if row.error:
            console.print(Text(row.error, style="red"), soft_wrap=True)
        elif row.title_ok is False:
            line = f"{row.file}: title {row.title!r}, a reader sees {row.expected_title!r}"
            console.print(Text(line, style="yellow"), soft_wrap=True)
    console.print(fidelity.summary(rows), soft_wrap=True)
    if out is not None:
        console.print(f"Report: {out}")


@eval_app.command("base")
def eval_base(
    ctx: typer.Context,
    dataset: Annotated[Path, typer.Argument(help="BEIR folder: corpus.jsonl, queries.jsonl, qrels/<split>.tsv")],
    mode: Annotated[str, typer.Option(help="passage or e2e")] = "passage",
    docs: Annotated[Path | None, typer.Option(help="Folder of raw documents for e2e mode")] = None,
    split: Annotated[str, typer.Option(help="qrels/<split>.tsv [default: the only one]")] = "",
    cache: Annotated[Path, typer.Option(help="Where built bases are kept and reused")] = Path("data/eval-cache"),
) -> None:
    """Build (or reopen) the cached base `eval retrieval` uses and print its folder, e.g. for `--kb` of `tune`."""
    from eval.datasets import load_dataset
    from eval.runner import open_base

    try:
        data = load_dataset(dataset, split)
        with _bars() as progress:
            kb, _ = open_base(data, mode, ctx.obj, cache, docs, _ProgressListener(progress))
        kb.close()
    except ValueError as error:
        _fail(error)
    print(kb.dir)


@eval_app.command("load")
def eval_load(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(help="Base URL of a running policykb server, e.g. http://127.0.0.1:8000")],
    queries: Annotated[Path, typer.Option(help="JSONL with a \"text\" per line (BEIR queries.jsonl works)")],
    clients: Annotated[int, typer.Option(min=1, max=1000, help="Concurrent clients, each a closed loop")] = 8,
    seconds: Annotated[float, typer.Option(min=1, help="How long to drive the server")] = 30,
    mix: Annotated[str, typer.Option(help="Route weights: search=3,ask=1,glossary=1")] = "search=1",
    k: Annotated[int, typer.Option(min=1, max=100, help="k of each search")] = 10,
    out: Annotated[Path | None, typer.Option(help="Also write the report as JSON here")] = None,
    upload: Annotated[list[Path] | None, typer.Option(
        help="Files or folders to upload (admin route) when the load starts, so an ingest runs during it")] = None,
    base: Annotated[str, typer.Option(help="The served knowledge base to drive (/api/v1/kbs/BASE)")] = "default",
    distinct_clients: Annotated[bool, typer.Option(
        help="Each client its own address (X-Forwarded-For, believed from loopback), for per-client rate limits")
    ] = False,
) -> None:
    """Latency p50/p95/p99 per route of the served requests, refusals (429/503) and errors under N concurrent
    HTTP clients (optionally while ingesting).

    The admin key for --upload comes from POLICYKB_API_KEY.
    """
    from eval.benchmark import load_queries
    from eval.load import LoadPlan, parse_mix, run_load

    key = ctx.obj.api_key.get_secret_value() if ctx.obj.api_key else ""
    files = tuple(f for p in (upload or []) for f in (sorted(x for x in p.rglob("*") if x.is_file())
                                                      if p.is_dir() else [p]))
    try:
        plan = LoadPlan(url.rstrip("/"), tuple(load_queries(queries)), clients, seconds, parse_mix(mix), k,
                        upload=files, api_key=key, base=base, distinct_clients=distinct_clients)
        with Progress(TextColumn("{task.description}"), TimeElapsedColumn(), console=errors, transient=True) as bar:
            task = bar.add_task("requests sent: 0", total=None)
            sent = [0]

            def tick() -> None:
                sent[0] += 1
                bar.update(task, description=f"requests sent: {sent[0]}")

            report = run_load(plan, tick)
    except ValueError as error:
        _fail(error)
    table = Table("route", "requests", "refused", "errors", "p50 ms", "p95 ms", "p99 ms", "max ms")
    for r in report.routes:
        table.add_row(r.route, str(r.requests), str(r.refused), str(r.errors), f"{r.p50_ms}", f"{r.p95_ms}",
                      f"{r.p99_ms}", f"{r.max_ms}")
    console.print(table)
    console.print(f"{report.requests} requests in {report.seconds} s from {report.clients} clients "
                  f"({report.per_second}/s): {report.requests - report.refused - report.errors} served, "
                  f"{report.refused} refused (rate limit 429 / queue full 503), {report.errors} errors; "
                  "percentiles over the served", soft_wrap=True)
    for sample in report.error_samples:
        console.print(f"  [red]{sample}[/red]", soft_wrap=True)
    ingest_ok = report.ingest is None or report.ingest.status == "done"
    if report.ingest is not None:
        job = report.ingest
        style = "green" if ingest_ok else "red"
        console.print(f"[{style}]ingest during the load: {job.status}[/{style}], {job.files} files "
                      f"({job.failed_files} refused or failed), {job.seconds} s", soft_wrap=True)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report.as_dict(), ensure_ascii=False, indent=2) + "\n", "utf-8")
    if report.errors or not ingest_ok:
        raise typer.Exit(1)


@eval_app.command("import-feedback")
def eval_import_feedback(
    ctx: typer.Context,
    out: Annotated[Path, typer.Argument(help="Folder to write the BEIR dataset into")],
) -> None:
    """Turn users' feedback on answers into a BEIR dataset (corpus, queries, qrels/feedback.tsv)."""
    from eval.feedback import export_feedback

    kb = _open(ctx)
    try:
        result = export_feedback(kb, out)
    except ValueError as error:
        _fail(error)
    finally:
        kb.close()
    console.print(
        f"Wrote {result.folder}: {result.passages} passages, {result.queries} questions, "
        f"{result.judgements} judgements ({result.relevant} relevant). Skipped: {result.skipped_abstentions} "
        f"on abstentions, {result.skipped_unknown} on answers no longer in the base.",
        soft_wrap=True,
    )
    console.print(f"Measure with: policykb eval retrieval {result.folder}", soft_wrap=True)



# -- tuning the embedding model -----------------------------------------------------------------


class _TuneProgress(_EvalProgress):
    """Stages, mining, training steps and encoding of a tune run."""

    def mined(self) -> None:
        self.progress.advance(self.work)

    def mining(self, questions: int) -> None:
        self.progress.update(self.work, description="mining training pairs", completed=0, total=questions)

    def estimated(self, seconds: float, steps: int, pairs: int) -> None:
        self.progress.console.print(
            f"Training on {pairs} pairs: {steps} steps, about {seconds / 60:.1f} min on this machine "
            "(measured on one batch)"
        )
        self.progress.update(self.work, description="training", completed=0, total=steps)

    def step(self, done: int, total: int) -> None:
        self.progress.update(self.work, completed=done, total=total)


@app.command()
def tune(
    ctx: typer.Context,
    qrels: Annotated[Path, typer.Option(help="Judgements (BEIR/TREC qrels TSV): question id, passage id, grade")],
    queries: Annotated[Path, typer.Option(help="Questions (BEIR queries.jsonl)")],
    corpus: Annotated[Path | None, typer.Option(help="Passages the qrels name [default: corpus.jsonl beside --queries]")]
    = None,
    name: Annotated[str, typer.Option("--name", "--out", help="Name of the new model under <kb>/models/")] = "tuned",
    validation: Annotated[Path | None, typer.Option(
        help="Judgements of held-out questions [default: a seeded share of --qrels]"
    )] = None,
    validation_share: Annotated[float, typer.Option(min=0.01, max=0.99)] = 0.2,
    seed: Annotated[int, typer.Option(help="Seed of the train/validation split and of training")] = 42,
    epochs: Annotated[int, typer.Option(min=1, max=50)] = 1,
    batch_size: Annotated[int, typer.Option(min=2, max=512)] = 32,
    learning_rate: Annotated[float, typer.Option(min=1e-7, max=0.1)] = 3e-5,
    max_seq_length: Annotated[int, typer.Option(min=16, max=8192)] = 256,
    negatives_depth: Annotated[int, typer.Option(min=1, max=1000, help="Hits searched for hard negatives")] = 30,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace a tuned model of the same name")] = False,
) -> None:
    """Fine-tune the embedding model on judged questions; report original vs tuned on held-out questions.

    The new model is saved under <kb>/models/NAME with tune.json (training data, settings,
    evaluation); the original model files are never written. Use it with `policykb reindex --model NAME`.
    """
    from eval.report import markdown_table
    from tune.training import TrainingOptions
    from tune.tuning import TuneRequest, run_tune

    try:
        options = TrainingOptions(epochs, batch_size, learning_rate, max_seq_length=max_seq_length, seed=seed)
        request = TuneRequest(name, queries, qrels, corpus, validation, validation_share, seed, negatives_depth,
                              options, overwrite)
    except ValueError as error:
        _fail(error)
    kb = _open(ctx)
    try:
        with _bars(remaining=True) as progress:
            result = run_tune(kb, request, _TuneProgress(progress))
    except (ValueError, ImportError) as error:
        _fail(error)
    finally:
        kb.close()
    record = result.model.record
    console.print(
        f"Trained {record['training_data']['pairs']} pairs from {record['training_data']['train_questions']} "
        f"questions in {record['training_seconds'] / 60:.1f} min; validated on "
        f"{record['training_data']['validation_questions']} held-out questions:",
        soft_wrap=True,
    )
    console.print(markdown_table(result.evaluation), soft_wrap=True, markup=False)
    style = "green" if result.better else "yellow"
    console.print(f"[{style}]{result.reason}[/{style}]", soft_wrap=True)
    console.print(f"Saved {result.model.folder} (record: {result.model.folder / 'tune.json'})", soft_wrap=True)
    if result.better:
        console.print(f"Search with it: policykb reindex --model {result.model.name}", soft_wrap=True)


@app.command()
def reindex(
    ctx: typer.Context,
    model: Annotated[str, typer.Option(help="A tuned model's name (see `policykb models`), or `original`")] = "",
    backend: Annotated[str, typer.Option(
        help="Move the base's indexes to this backend: local (FAISS + BM25 files) or milvus (setting milvus_uri)"
    )] = "",
    force: Annotated[bool, typer.Option("--force", help="Use a model its tuning did not find better")] = False,
) -> None:
    """Re-encode the base with another embedding model, or move its indexes to another backend.

    Vectors are cached per model, so switching back (`--model original`) encodes nothing, and
    `--backend milvus` builds the Milvus collections from the stored vectors without encoding.
    A running `policykb serve` picks the change up when restarted.
    """
    from index.models import ORIGINAL, named_model

    settings = ctx.obj
    try:
        if bool(model) == bool(backend):
            raise ValueError("give either --model NAME or --backend local|milvus")
        if backend and backend not in ("local", "milvus"):
            raise ValueError(f"unknown backend {backend!r}; use local or milvus")
        if model and model != ORIGINAL:
            chosen = named_model(settings.kb_dir, model)
            if not chosen.record.get("better") and not force:
                why = chosen.record.get("reason", "its tuning did not finish (no tune.json)")
                raise ValueError(f"model {model!r} is not marked better ({why}); add --force to use it anyway")
    except ValueError as error:
        _fail(error)
    if backend:  # the base opens on the backend it is on, whatever POLICYKB_INDEX_BACKEND asks for
        ctx.obj = settings.model_copy(update={"index_backend": ""})
    kb = _open(ctx)
    try:
        with _bars(remaining=True) as progress:
            listener = _ProgressListener(progress)
            progress.update(listener.files, description="passages", visible=False)
            if backend:
                before = kb.backend.name
                kb.move_to_backend(backend, listener)
                moved = (len(kb.dense), len(kb.lexical))
            else:
                dense = kb.use_model(model, listener)
    except (ValueError, ImportError, OSError) as error:
        _fail(error)
    finally:
        kb.close()
    if backend:
        where = f" ({settings.milvus_uri or kb.dir / 'milvus.db'})" if backend == "milvus" else ""
        console.print(
            f"The base's indexes moved from {before} to {backend}{where}: {moved[0]} vectors and "
            f"{moved[1]} BM25 passages, {kb.embedder.encoded} newly encoded. The {before} indexes are kept "
            f"until you move back; set POLICYKB_INDEX_BACKEND={backend} or leave it unset.",
            soft_wrap=True,
        )
        return
    console.print(
        f"The base now searches with {kb.embedder.model_id}: {len(dense)} passages indexed, "
        f"{kb.embedder.encoded} newly encoded.",
        soft_wrap=True,
    )


@app.command()
def models(ctx: typer.Context) -> None:
    """List the base's tuned models and the one it searches with."""
    from index.models import ORIGINAL, active_model, list_models

    settings = ctx.obj
    try:
        active = active_model(settings.kb_dir) or ORIGINAL
        original = settings.model_path()
    except ValueError as error:
        _fail(error)
    table = Table("", "name", "folder", "trained on", "better", "hybrid nDCG@10 (validation)")
    table.add_row("*" if active == ORIGINAL else "", ORIGINAL, str(original), "", "", "")
    for named in list_models(settings.kb_dir):
        record = named.record
        data = record.get("training_data", {})
        scores = record.get("evaluation", {})
        before = scores.get("original/hybrid-convex+doc", {}).get("ndcg@10")
        after = scores.get("tuned/hybrid-convex+doc", {}).get("ndcg@10")
        table.add_row(
            "*" if active == named.name else "", named.name, str(named.folder),
            f"{data.get('train_questions', '?')} questions" if record else "unfinished",
            {True: "yes", False: "no"}.get(record.get("better"), "?"),
            f"{before:.3f} → {after:.3f}" if before is not None and after is not None else "",
        )
    console.print(table)
    if settings.embedding_model:
        console.print("POLICYKB_EMBEDDING_MODEL is set: it overrides the base's choice.", soft_wrap=True)


if __name__ == "__main__":
    app()
