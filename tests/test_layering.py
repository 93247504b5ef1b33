"""The packages depend one way: no stage below the interface imports `api` (issue #17)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
STAGES = ("config", "ingest", "index", "answer", "eval", "tune")


def _imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside functions."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("stage", STAGES)
def test_no_stage_imports_the_interface_layer(stage):
    offenders = {
        str(path.relative_to(REPO)): sorted(m for m in _imported_modules(path) if m == "api" or m.startswith("api."))
        for path in sorted((REPO / stage).rglob("*.py"))
    }
    assert not {path: modules for path, modules in offenders.items() if modules}
