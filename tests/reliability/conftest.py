"""Figures of the reliability tests (kills survived, requests served, errors …) for docs/reliability.md.

Set POLICYKB_RELIABILITY_REPORT to a file path and every test appends its figures there as
one JSON line (`scripts/reliability.sh` does this); without it nothing is written.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest


@pytest.fixture
def figures(request):
    """A dict the test fills; written as {"test": name, ...figures} when the report is asked for."""
    found: dict = {}
    yield found
    target = os.environ.get("POLICYKB_RELIABILITY_REPORT")
    if target and found:
        with Path(target).open("a", encoding="utf-8") as out:
            out.write(json.dumps({"test": request.node.name, **found}, ensure_ascii=False) + "\n")


# The browser tests here use the same Chromium session fixtures as tests/api.
from tests.api.conftest import browser, playwright  # noqa: F401
from tests.api.test_widget_browser import open_page  # noqa: F401
