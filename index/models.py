"""Named embedding models of a knowledge base, and which one the base searches with.

A tuned model is an ordinary sentence-transformers folder under `<kb>/models/<name>/`,
next to the JSON record of how it was made (`tune.json`). The base's choice is the plain
file `<kb>/model.json`; without it the base uses the configured model (the bundled
m3e-small unless POLICYKB_EMBEDDING_MODEL says otherwise). Vectors are cached and indexed
per model, so switching back and forth re-encodes nothing that was encoded before.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from config.settings import Settings

ORIGINAL = "original"  # the name that means "the configured model", for switching back
RECORD = "tune.json"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class NamedModel:
    name: str
    folder: Path
    record: dict  # the tune.json record; empty when the folder has none


def models_dir(kb_dir: Path) -> Path:
    return kb_dir / "models"


def check_name(name: str) -> str:
    """A model name usable as a folder name; `original` is reserved for the configured model."""
    if not _NAME.match(name or ""):
        raise ValueError(
            f"invalid model name {name!r}: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    if name == ORIGINAL:
        raise ValueError(f"{ORIGINAL!r} names the configured model; choose another name")
    return name


def named_model(kb_dir: Path, name: str) -> NamedModel:
    """The tuned model `name` of the base; ValueError naming the available ones when it is absent."""
    folder = models_dir(kb_dir) / check_name(name)
    if not (folder / "config.json").is_file():
        known = [m.name for m in list_models(kb_dir)]
        raise ValueError(f"no model named {name!r} in {models_dir(kb_dir)} (available: {known or 'none'})")
    return NamedModel(name, folder, _read_record(folder))


def list_models(kb_dir: Path) -> list[NamedModel]:
    folder = models_dir(kb_dir)
    if not folder.is_dir():
        return []
    return [
        NamedModel(path.name, path, _read_record(path))
        for path in sorted(folder.iterdir())
        if path.is_dir() and _NAME.match(path.name) and (path / "config.json").is_file()
    ]


def _read_record(folder: Path) -> dict:
    path = folder / RECORD
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text("utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}


def active_model(kb_dir: Path) -> str | None:
    """The tuned model the base was re-indexed with, or None for the configured model."""
    path = kb_dir / "model.json"
    if not path.is_file():
        return None
    try:
        name = json.loads(path.read_text("utf-8")).get("model")
    except (OSError, json.JSONDecodeError, AttributeError) as error:
        raise ValueError(f"{path} is unreadable ({error}); delete it to use the configured model") from None
    return name if isinstance(name, str) and name and name != ORIGINAL else None


def set_active_model(kb_dir: Path, name: str | None) -> None:
    """Record the base's model (None = the configured one), atomically."""
    path = kb_dir / "model.json"
    if name is None:
        path.unlink(missing_ok=True)
        return
    staging = path.with_suffix(".json.tmp")
    staging.write_text(json.dumps({"model": name}, ensure_ascii=False) + "\n", "utf-8")
    os.replace(staging, path)


def model_folder(settings: Settings) -> Path:
    """The model the base in `settings.kb_dir` searches with.

    An explicit POLICYKB_EMBEDDING_MODEL wins; else the model chosen with `reindex --model`;
    else the bundled m3e-small.
    """
    if settings.embedding_model:
        return settings.model_path()
    name = active_model(settings.kb_dir)
    if name is not None:
        return named_model(settings.kb_dir, name).folder
    return settings.model_path()
