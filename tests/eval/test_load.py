"""`policykb eval load` against a real server on loopback."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from api.app import create_app
from api.cli import app
from eval.load import parse_mix
from tests.conftest import SEED
from tests.live import LiveServer, free_port

runner = CliRunner()


def test_concurrent_clients_get_answers_and_latency_per_route(make_kb, tmp_path):
    kb = make_kb()
    kb.ingest([SEED])
    queries = tmp_path / "q.jsonl"
    queries.write_text("\n".join(json.dumps({"text": t}, ensure_ascii=False)
                                 for t in ["村居建设的五清是什么", "五必晒", "公务用车六个不得", "三公开"]), "utf-8")
    server = LiveServer(create_app(kb.settings, kb), free_port())
    server.start()
    try:
        result = runner.invoke(app, ["eval", "load", server.url, "--queries", str(queries), "--clients", "4",
                                     "--seconds", "3", "--mix", "search=2,ask=1,glossary=1",
                                     "--out", str(tmp_path / "load.json")], catch_exceptions=False)
    finally:
        server.stop()
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "load.json").read_text("utf-8"))
    assert report["errors"] == 0 and report["clients"] == 4
    routes = {r["route"]: r for r in report["routes"]}
    assert set(routes) == {"search", "ask", "glossary"}
    assert all(r["requests"] > 0 and 0 < r["p50_ms"] <= r["p95_ms"] for r in routes.values())
    assert report["requests"] == sum(r["requests"] for r in routes.values())


def test_an_unreachable_server_and_a_bad_mix_are_clear_errors(tmp_path):
    queries = tmp_path / "q.jsonl"
    queries.write_text('{"text": "五清"}\n', "utf-8")
    down = runner.invoke(app, ["eval", "load", f"http://127.0.0.1:{free_port()}", "--queries", str(queries),
                               "--seconds", "1"])
    assert down.exit_code == 2 and "cannot reach" in down.output
    bad = runner.invoke(app, ["eval", "load", "http://127.0.0.1:1", "--queries", str(queries), "--mix", "delete=1"])
    assert bad.exit_code == 2 and "mix" in bad.output
    assert parse_mix("search=3, ask=1,glossary") == {"search": 3.0, "ask": 1.0, "glossary": 1.0}
