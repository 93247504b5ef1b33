"""A real uvicorn server over a real knowledge base built from corpus/, for HTTP and browser tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.app import create_app
from config.settings import Settings
from tests.live import LiveServer, free_port

API_KEY = "test-admin-key"
REPO = Path(__file__).resolve().parents[2]

# Browser tests: Debian's Chromium driven by playwright (never a downloaded browser).
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
WAIT_MS = 15_000
SCREENSHOTS = REPO / "test-output" / "screenshots"  # the screenshots #4 asks for; git-ignored
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.is_file(), reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)"
)


@pytest.fixture(scope="session")
def api_kb(tmp_path_factory, embedder):
    """The knowledge base behind the live server: corpus/ ingested with the real model."""
    from index.kb import KnowledgeBase

    folder = tmp_path_factory.mktemp("api")
    settings = Settings(
        data_dir=folder,  # bases created through the admin API go here
        kb_dir=folder / "kb",
        api_key=API_KEY,
        cors_origins=["http://portal.example"],
        max_upload_mb=1,
        max_upload_files=5,
    )
    kb = KnowledgeBase(settings, embedder=embedder)
    kb.ingest([REPO / "corpus"])
    yield kb
    kb.close()


@pytest.fixture(scope="session")
def live_server(api_kb) -> str:
    """Base URL of a real HTTP server (admin key API_KEY, CORS for http://portal.example)."""
    server = LiveServer(create_app(api_kb.settings, api_kb), free_port())
    server.start()
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def closed_admin_server(api_kb) -> str:
    """The same base served with no API key configured: admin routes must be off."""
    settings = api_kb.settings.model_copy(update={"api_key": None})
    server = LiveServer(create_app(settings, api_kb), free_port())
    server.start()
    yield server.url
    server.stop()


@pytest.fixture(scope="module")
def playwright():
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=WAIT_MS)
    with sync_playwright() as instance:
        yield instance


@pytest.fixture(scope="module")
def browser(playwright):
    chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


@pytest.fixture(scope="session")
def official_server(official_kb) -> str:
    """A real HTTP server over the official-documents base (tests.samples.write_official_corpus)."""
    kb, _ = official_kb
    from pydantic import SecretStr

    settings = kb.settings.model_copy(update={"api_key": SecretStr(API_KEY)})
    server = LiveServer(create_app(settings, kb), free_port())
    server.start()
    yield server.url
    server.stop()
