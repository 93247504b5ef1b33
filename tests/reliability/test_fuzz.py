"""API fuzzing: schemathesis generates requests from the served OpenAPI schema (valid and invalid
ones) against a real server; no response may be a 5xx. Admin routes are fuzzed with the key.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from api.app import create_app
from config.settings import Settings
from index.kb import KnowledgeBase
from tests.conftest import REPO
from tests.live import LiveServer, free_port

KEY = "fuzz-key"
EXAMPLES = 20  # per operation and mode; the whole run stays around a minute on 2 cores


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory, embedder):
    settings = Settings(kb_dir=tmp_path_factory.mktemp("fuzz") / "kb", api_key=KEY, max_upload_mb=1,
                        max_upload_files=3)
    kb = KnowledgeBase(settings, embedder=embedder)
    kb.ingest([REPO / "corpus"])
    server = LiveServer(create_app(settings, kb), free_port())
    server.start()
    yield schemathesis.openapi.from_url(server.url + "/openapi.json")
    server.stop()
    kb.close()


def test_no_request_gets_a_server_error(api_schema, figures):
    """Every operation of the schema, EXAMPLES generated requests each (schemathesis' own pytest
    loader does not run under this pytest, so the operations are driven with hypothesis here)."""
    sent: dict[str, int] = {}
    for result in api_schema.get_all_operations():
        operation = result.ok()
        for mode in GenerationMode:  # schema-valid requests, then requests that break the schema
            label = f"{operation.method.upper()} {operation.path} ({mode.value})"
            sent[label] = 0
            try:
                _fuzz(operation, mode, label, sent)
            except Unsatisfiable:  # an operation without parameters or body has no invalid form
                assert mode is GenerationMode.NEGATIVE, label
                del sent[label]
    assert len([label for label in sent if "(positive)" in label]) >= 10 and all(sent.values()), sent
    figures.update(operations=len({label.rsplit(" (", 1)[0] for label in sent}), requests=sum(sent.values()),
                   server_errors=0, per_operation=sent)


def _fuzz(operation, mode: GenerationMode, label: str, sent: dict[str, int]) -> None:
    @given(case=operation.as_strategy(mode))
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def call(case):
        response = case.call(headers={"X-API-Key": KEY}, timeout=60)
        sent[label] += 1
        assert response.status_code < 500, (label, case.path_parameters, case.query, case.body, response.text[:500])

    call()
