"""The named knowledge bases one server serves, and who may read and change each.

Each base is a folder `<data_dir>/kbs/NAME` (a base opened with `--kb DIR` joins under the
name of the settings, "default" unless given). Who may use a base is kept beside it in
`access.json`, plain and inspectable:

    {"public": true, "key_sha256": "…"}

`public` false means reading (search, ask, …) needs a key too. The base's own key (only its
SHA-256 is kept; the key itself is shown once, when it is made) opens that base's reading
and admin routes; the server's key (POLICYKB_API_KEY) opens every base and the routes that
create, list and delete bases.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import secrets
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

from config.settings import KB_NAME_PATTERN, Settings
from index.kb import KnowledgeBase, open_embedder
from index.models import model_folder
from index.types import Embedder

log = logging.getLogger(__name__)

ACCESS_FILE = "access.json"
STORE_FILE = "kb.sqlite"


@dataclass(frozen=True)
class Access:
    public: bool = True
    key_sha256: str = ""

    def opens(self, key: str | None) -> bool:
        """Whether `key` is this base's own key (compared in constant time)."""
        if not key or not self.key_sha256:
            return False
        return secrets.compare_digest(_digest(key), self.key_sha256)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def read_access(folder: Path) -> Access:
    path = folder / ACCESS_FILE
    if not path.is_file():
        return Access()
    try:
        data = json.loads(path.read_text("utf-8"))
        return Access(bool(data.get("public", True)), str(data.get("key_sha256", "")))
    except (OSError, ValueError, AttributeError) as error:
        # A damaged access file must not open a private base to everyone.
        log.error("cannot read %s (%s); the base is closed to reading without the server key", path, error)
        return Access(public=False)


def write_access(folder: Path, access: Access) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / (ACCESS_FILE + ".tmp")
    temporary.write_text(json.dumps({"public": access.public, "key_sha256": access.key_sha256}, indent=2), "utf-8")
    temporary.replace(folder / ACCESS_FILE)


def check_name(name: str) -> str:
    if not re.fullmatch(KB_NAME_PATTERN, name):
        raise ValueError(f"{name!r} is not a base name: lower-case letters, digits, '-' and '_', "
                         "starting with a letter or digit, at most 64 characters")
    return name


class BaseRegistry:
    """Opens bases on first use and keeps them open; bases with the same model share one encoder."""

    def __init__(self, settings: Settings, opened: KnowledgeBase | None = None) -> None:
        """`settings` are the server's; `opened` is an already open base served as settings.kb_name."""
        self.settings = settings
        self._lock = threading.RLock()
        self._open: dict[str, KnowledgeBase] = {}
        self._owned: set[str] = set()
        self._encoders: dict[Path, Embedder] = {}
        self._extra: dict[str, Path] = {}
        if settings.kb_dir.resolve().parent != settings.kbs_dir.resolve() or settings.kb_dir.name != settings.kb_name:
            self._extra[settings.kb_name] = settings.kb_dir  # a base given by its folder (--kb DIR)
        if opened is not None:
            self._open[settings.kb_name] = opened
        self.default = settings.kb_name

    def folder(self, name: str) -> Path:
        return self._extra.get(name) or self.settings.kbs_dir / name

    def names(self) -> list[str]:
        """Every base there is: the folders under kbs_dir holding a store, the default and the extra ones."""
        found = set(self._extra) | set(self._open) | {self.default}
        if self.settings.kbs_dir.is_dir():
            found |= {p.name for p in self.settings.kbs_dir.iterdir()
                      if (p / STORE_FILE).is_file() and re.fullmatch(KB_NAME_PATTERN, p.name)}
        return sorted(found)

    def exists(self, name: str) -> bool:
        return name in self._open or name == self.default or (self.folder(name) / STORE_FILE).is_file()

    def access(self, name: str) -> Access:
        return read_access(self.folder(name))

    def get(self, name: str) -> KnowledgeBase:
        """The open base `name`; KeyError when there is none."""
        with self._lock:
            if name in self._open:
                return self._open[name]
            if not self.exists(name):
                raise KeyError(name)
            return self._opened(name)

    def _opened(self, name: str) -> KnowledgeBase:
        settings = self.settings.model_copy(update={"kb_dir": self.folder(name), "kb_name": name})
        folder = model_folder(settings).resolve()
        if folder not in self._encoders:
            self._encoders[folder] = open_embedder(settings, folder)
        kb = KnowledgeBase(settings, embedder=self._encoders[folder])
        self._open[name] = kb
        self._owned.add(name)
        return kb

    def opened(self) -> list[KnowledgeBase]:
        with self._lock:
            return list(self._open.values())

    def create(self, name: str, public: bool) -> tuple[KnowledgeBase, str]:
        """A new empty base and its key (returned once; only its hash is kept)."""
        check_name(name)
        with self._lock:
            if self.exists(name):
                raise FileExistsError(f"a base named {name!r} exists")
            key = secrets.token_urlsafe(24)
            write_access(self.folder(name), Access(public, _digest(key)))
            return self._opened(name), key

    def set_access(self, name: str, public: bool | None = None, new_key: bool = False) -> str | None:
        """Change who may read `name`; with `new_key` a fresh key replaces the old one and is returned."""
        access = self.access(name)
        key = secrets.token_urlsafe(24) if new_key else None
        write_access(self.folder(name), Access(access.public if public is None else public,
                                               _digest(key) if key else access.key_sha256))
        return key

    def delete(self, name: str) -> None:
        """Close `name` and delete its folder. The server's default base cannot be deleted."""
        with self._lock:
            if name == self.default:
                raise ValueError(f"{name!r} is the server's default base and cannot be deleted")
            if not self.exists(name):
                raise KeyError(name)
            kb = self._open.pop(name, None)
            if kb is not None:
                kb.close()
            self._owned.discard(name)
            shutil.rmtree(self.folder(name))

    def refresh(self) -> None:
        """Load what other processes committed to any open base (errors are logged, never raised)."""
        for kb in self.opened():
            try:
                kb.refresh()
            except Exception:  # a watcher thread must outlive one base's trouble
                log.exception("reloading %s failed", kb.dir)

    def close(self) -> None:
        with self._lock:
            for name in list(self._owned):
                self._open.pop(name).close()
            self._owned.clear()
