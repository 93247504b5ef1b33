"""Background ingestion jobs started by uploads, kept in SQLite beside each base (`jobs.sqlite`).

A job is written before the upload is answered, its results as each file finishes, so a
restarted server (or another worker) reads every job, and a job a dead process left queued or
running is run again when the server starts: its uploaded files are never left orphaned.
Finished jobs older than the setting job_keep_days are pruned, with their uploaded files that
no document holds (files refused by type or size, files whose ingest failed).
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from index.kb import IngestListener, KnowledgeBase
from index.types import FileResult, FileStatus

log = logging.getLogger(__name__)

JOBS_FILE = "jobs.sqlite"
SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL,            -- queued | running | done | failed
    files_total INTEGER NOT NULL,
    files TEXT NOT NULL,             -- JSON list of the accepted files' paths
    results TEXT NOT NULL,           -- JSON list of FileResult fields, in the order files finished
    error TEXT NOT NULL DEFAULT '',
    owner INTEGER,                   -- process id running it
    created REAL NOT NULL,
    finished REAL
);
"""


@dataclass
class Job:
    id: str
    files_total: int
    status: str = "queued"
    results: list[FileResult] = field(default_factory=list)
    error: str = ""
    files: list[str] = field(default_factory=list)


def _result(data: dict) -> FileResult:
    return FileResult(data["path"], FileStatus(data["status"]), data.get("doc_id", ""), data.get("title", ""),
                      int(data.get("chunks", 0)), data.get("message", ""))


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class JobStore:
    """The jobs of one base. Runs one ingest at a time in this process (the base's write lock
    serialises them across processes)."""

    def __init__(self, folder: Path, keep_days: float, on_file: Callable[[FileResult], None] | None = None) -> None:
        """`on_file` hears every file result as it is recorded (the server's ingest metrics)."""
        self.folder = folder
        self.keep_seconds = keep_days * 86400
        self.on_file = on_file or (lambda result: None)
        self._lock = threading.Lock()
        self._run_lock = threading.Lock()
        folder.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(folder / JOBS_FILE, check_same_thread=False, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def new(self, files_total: int) -> Job:
        job = Job(uuid.uuid4().hex, files_total)
        with self._lock:
            self._db.execute("INSERT INTO jobs (id, status, files_total, files, results, created) "
                             "VALUES (?, 'queued', ?, '[]', '[]', ?)", (job.id, files_total, time.time()))
        return job

    def queue(self, job: Job, files: list[Path], early: list[FileResult]) -> None:
        """Record the accepted files and the refusals made before the job runs (size, type)."""
        job.files = [str(p) for p in files]
        job.results = list(early)
        for result in early:
            self.on_file(result)
        with self._lock:
            self._db.execute("UPDATE jobs SET files=?, results=? WHERE id=?",
                             (json.dumps(job.files, ensure_ascii=False), self._results_json(job), job.id))

    @staticmethod
    def _results_json(job: Job) -> str:
        return json.dumps([{**asdict(r), "status": r.status.value} for r in job.results], ensure_ascii=False)

    def _save(self, job: Job, finished: bool = False) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE jobs SET status=?, results=?, error=?, finished=? WHERE id=?",
                (job.status, self._results_json(job), job.error, time.time() if finished else None, job.id))

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            row = self._db.execute("SELECT id, files_total, status, results, error, files FROM jobs WHERE id=?",
                                   (job_id,)).fetchone()
        if row is None:
            return None
        return Job(row[0], row[1], row[2], [_result(r) for r in json.loads(row[3])], row[4], json.loads(row[5]))

    def _claim(self, job_id: str, statuses: tuple[str, ...]) -> bool:
        """Make this process the job's runner, unless another live one already is (atomic)."""
        with self._lock:
            marks = ",".join("?" * len(statuses))
            cursor = self._db.execute(f"UPDATE jobs SET status='running', owner=? WHERE id=? AND status IN ({marks})",
                                      (os.getpid(), job_id, *statuses))
            return cursor.rowcount == 1

    def run(self, job: Job, kb: KnowledgeBase) -> None:
        """Ingest the job's files; the results are saved as each file finishes."""
        with self._run_lock:
            if not self._claim(job.id, ("queued",)):
                return
            self._execute(job, kb)

    def _execute(self, job: Job, kb: KnowledgeBase) -> None:
        job.status = "running"
        done = {r.path for r in job.results}
        store = self

        class Listener(IngestListener):
            def file_done(self, result: FileResult) -> None:
                job.results.append(result)
                store._save(job)
                store.on_file(result)

        try:
            todo = [Path(p) for p in job.files if p not in done]
            kb.ingest(todo, Listener())
            job.status = "done"
        except Exception as error:  # a job must end in a state the client can read
            log.exception("ingest job %s failed", job.id)
            job.status, job.error = "failed", f"{type(error).__name__}: {error}"
        self._save(job, finished=True)

    def resume(self, kb: KnowledgeBase) -> int:
        """Run again the jobs that a stopped process left queued or running; returns how many."""
        with self._lock:
            rows = self._db.execute("SELECT id, owner FROM jobs WHERE status IN ('queued', 'running')").fetchall()
        resumed = 0
        for job_id, owner in rows:
            if owner == os.getpid() or _alive(owner):
                continue
            with self._lock:  # claim it from the dead owner
                cursor = self._db.execute("UPDATE jobs SET owner=? WHERE id=? AND status IN ('queued','running') "
                                          "AND (owner IS ? OR owner IS NULL)", (os.getpid(), job_id, owner))
            if cursor.rowcount != 1:
                continue
            job = self.get(job_id)
            log.info("resuming ingest job %s (%d files)", job_id, len(job.files))
            with self._run_lock:
                self._execute(job, kb)
            resumed += 1
        return resumed

    def prune(self, kb: KnowledgeBase, now: float | None = None) -> int:
        """Delete finished jobs past their keeping time, and their uploaded files no document holds."""
        cutoff = (now or time.time()) - self.keep_seconds
        with self._lock:
            rows = self._db.execute("SELECT id FROM jobs WHERE finished IS NOT NULL AND finished < ?",
                                    (cutoff,)).fetchall()
        held = {str(Path(r.source).resolve()) for r in kb.documents()}
        for (job_id,) in rows:
            upload = self.folder / job_id
            if upload.is_dir():
                for file in upload.iterdir():
                    if str(file.resolve()) not in held:
                        file.unlink(missing_ok=True)
                if not any(upload.iterdir()):
                    upload.rmdir()
            with self._lock:
                self._db.execute("DELETE FROM jobs WHERE id=?", (job_id,))
        return len(rows)


class JobRegistry:
    """The job stores of the served bases, opened on first use."""

    def __init__(self, keep_days: float, on_file: Callable[[FileResult], None] | None = None) -> None:
        self.keep_days = keep_days
        self.on_file = on_file
        self._stores: dict[str, JobStore] = {}
        self._lock = threading.Lock()

    def of(self, bases, name: str) -> JobStore:
        with self._lock:
            if name not in self._stores:
                self._stores[name] = JobStore(bases.folder(name) / "uploads", self.keep_days, self.on_file)
            return self._stores[name]

    def forget(self, name: str) -> None:
        with self._lock:
            store = self._stores.pop(name, None)
        if store is not None:
            store.close()

    def close(self) -> None:
        with self._lock:
            for store in self._stores.values():
                store.close()
            self._stores.clear()
